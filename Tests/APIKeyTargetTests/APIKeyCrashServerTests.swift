import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

/// A crash at every API request of a rotation: the local API SIGKILLs the function's process just before it
/// acts on the nth request, or just after (the key was minted or revoked; the answer never leaves). Then the
/// rotation is re-driven as Secrets Manager does (same token, from createSecret, a new process). The points come
/// from a fault-free rotation's requests, never from a list written by hand.
@Suite("API keys: a crash at every API request", .serialized, .tags(.server))
struct APIKeyCrashServerTests {
    /// A server of its own: kill plans and faults count every request the server sees, so no other suite's may
    /// reach it.
    static let api = Result { try APIKeysServer() }

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var recipe: ShippedRecipe = .sendgrid
        var retire: String
        /// Rotations done before the one that is crashed (so that a revoke is due under nextRotation).
        var earlierRotations: Int
        var testDescription: String { name }
    }

    static let scenarios = [
        Scenario(name: "SendGrid, nextRotation, first rotation", retire: "nextRotation", earlierRotations: 0),
        Scenario(name: "SendGrid, nextRotation, a revoke due", retire: "nextRotation", earlierRotations: 1),
        Scenario(name: "SendGrid, immediately", retire: "immediately", earlierRotations: 0),
        Scenario(
            name: "Cloudflare, nextRotation, a revoke due", recipe: .cloudflare, retire: "nextRotation",
            earlierRotations: 1),
    ]

    @Test(
        "every crash point ends with one usable key per live version, no orphan, AWSCURRENT always usable",
        arguments: scenarios)
    func crashEverywhere(_ scenario: Scenario) throws {
        let api = try Self.api.get()
        let lab = try APIKeyLab(scenario.recipe, api: api, retire: scenario.retire)

        // A fault-free rotation tells how many API requests one makes.
        let (probe, _, _) = try lab.makeSecret()
        for _ in 0..<scenario.earlierRotations { #expect(try lab.rotate(probe).posts.allAnswered) }
        try api.clearLog()
        #expect(try lab.rotate(probe).posts.allAnswered)
        let calls = try api.requests().map(\.call)
        #expect(calls.count >= 4, "\(calls)")

        var points: [String] = []
        for (index, call) in calls.enumerated() {
            for after in [false, true] {
                let point = "\(index + 1) \(call) \(after ? "after" : "before")"
                points.append(point)
                try crash(at: index + 1, after: after, point: point, lab: lab, earlier: scenario.earlierRotations)
            }
        }
        print(
            "api-keys: \(scenario.name): \(points.count) crash points (\(calls.count) requests): \(points.joined(separator: "; "))"
        )
    }

    private func crash(at nth: Int, after: Bool, point: String, lab: APIKeyLab, earlier: Int) throws {
        let (arn, _, secrets) = try lab.makeSecret()
        for _ in 0..<earlier { #expect(try lab.rotate(arn).posts.allAnswered) }
        let previousKey = try lab.key(arn, "AWSPREVIOUS")
        let startKey = try #require(try lab.key(arn, "AWSCURRENT"))
        let token = try lab.moto.startRotation(secretId: arn)
        try lab.api.clearLog()
        let crashed = try lab.run(arn: arn, token: token) { pid in
            try lab.api.kill(pid: pid, nth: nth, after: after)
        }
        #expect(crashed.posts.count < 4, "\(point): the process was not killed")
        #expect(try lab.key(arn, "AWSCURRENT")?.usable == true, "\(point): AWSCURRENT's key was revoked")

        try lab.api.clearLog()  // no kill plan may outlive the crashed process
        let redriven = try lab.run(arn: arn, token: token)
        #expect(redriven.posts.allAnswered, "\(point): \(redriven.posts.errorTexts)")
        let current = try #require(try lab.key(arn, "AWSCURRENT"), "\(point)")
        #expect(current.usable && current.name == "rotator-\(token)", "\(point): AWSCURRENT is not the new key")
        // Exactly one usable key was minted for this rotation: the one stored.
        let minted = try lab.api.keys().filter { $0.name == "rotator-\(token)" && $0.usable }
        #expect(minted.map(\.id) == [current.id], "\(point): orphaned keys \(minted.map(\.id))")
        // The replaced key per the policy; the one before it is gone under nextRotation.
        let replacedUsable = try lab.api.key(withValue: startKey.value)?.usable
        #expect(replacedUsable == (lab.recipesRetire == "immediately" ? false : true), "\(point): replaced key")
        if let previousKey {
            #expect(try lab.api.key(withValue: previousKey.value)?.usable == false, "\(point): key two back")
        }
        expectNoSecrets(
            secrets + (try lab.values(arn)), in: crashed.output + redriven.output, "\(point): the rotator's output")
    }
}

extension APIKeyLab {
    /// The retire policy of the installed recipe file.
    var recipesRetire: String {
        let text = (try? String(contentsOfFile: recipesFile, encoding: .utf8)) ?? ""
        return text.contains(#""retire": "immediately""#) ? "immediately" : "nextRotation"
    }
}
