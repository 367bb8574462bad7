import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

/// What an adversarial review found in the API-key target, each through `RotatorLambda` (or the CLI), moto and the
/// local HTTPS API: keys left live by a crash, an outage or a repair; retries that gave up early; keys not yet valid;
/// lists on many pages; a key that slipped past redaction; a recipe value printed as it was written.
@Suite("API keys: no key orphaned, retries until the deadline, nothing printed", .serialized, .tags(.server))
struct APIKeyAdversarialServerTests {
    static let api = Result { try APIKeysServer() }

    @Test("retire immediately: the revoke at finishSecret fails (an outage), and the next rotation revokes the key")
    func immediatelyRevokedLater() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get(), retire: "immediately")
        let (arn, first, _) = try lab.makeSecret()
        // The API refuses the revoke once (not retried: a 400), after AWSCURRENT has moved.
        try lab.api.fault(status: 400, method: "DELETE", pathPrefix: "/v3/api_keys/")
        let one = try lab.rotate(arn)
        #expect(one.posts.map(\.kind).last != .response, "finishSecret reported the failed revoke")
        #expect(try lab.api.key(withValue: first.value)?.usable == true, "the replaced key is still live")
        let two = try lab.rotate(arn)
        #expect(two.posts.allAnswered, "\(two.posts.errorTexts)")
        #expect(try lab.api.key(withValue: first.value)?.usable == false, "revoked as the next rotation started")
        #expect(two.output.contains("revoked key \(first.id) (replaced by the last rotation)"), "\(two.output)")
    }

    @Test("a failed attempt cleared by repair: the key it minted is revoked by the clear")
    func repairClearRevokesMintedKey() throws {
        // testSecret fails: the recipe mints keys without the scope its test looks for.
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get()) {
            $0.replacingOccurrences(
                of: #""scopes": ["mail.send", "api_keys.create", "api_keys.read", "api_keys.delete"]"#,
                with: #""scopes": ["mail.send"]"#)
        }
        let (arn, first, secrets) = try lab.makeSecret()
        let token = try lab.moto.startRotation(secretId: arn)
        let run = try lab.run(arn: arn, token: token)
        #expect(run.posts.last?.errorTypeHeader == "Target.LoginFailed", "\(run.posts.errorTexts)")
        let minted = try #require(try lab.key(arn, "AWSPENDING"))
        #expect(minted.usable)
        let child = try ChildProcess(
            executable: BuiltProducts.executable("rotator"),
            arguments: ["repair", "--secret-id", arn, "--apply", "--force", "--json"], environment: lab.environment)
        let status = child.wait(timeout: 60)
        #expect(status == 0, "\(child.output)")
        #expect(child.output.contains(#""action":"clear""#), "\(child.output)")
        #expect(child.output.contains("Revoked key \(minted.id)"), "\(child.output)")
        #expect(try lab.api.key(withValue: minted.value)?.usable == false)
        #expect(try lab.api.key(withValue: first.value)?.usable == true, "AWSCURRENT's key stays")
        expectNoSecrets(secrets + [minted.value], in: child.output, "repair's output")
    }

    @Test("a 201 whose body cannot be read: the key it minted is revoked at once")
    func unreadableCreateAnswer() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, _, _) = try lab.makeSecret()
        try lab.api.fault(status: 201, method: "POST", pathPrefix: "/v3/api_keys", after: true, rawBody: "<html>ok")
        let token = try lab.moto.startRotation(secretId: arn)
        let run = try lab.run(arn: arn, token: token, steps: [.createSecret])
        #expect(run.posts.first?.errorTypeHeader == "Target.APIError", "\(run.posts.errorTexts)")
        let named = try lab.api.keys().filter { $0.name == "rotator-\(token)" }
        #expect(named.count == 1 && named.allSatisfy { !$0.usable }, "minted, then revoked")
    }

    @Test("429s for longer than four tries: retried until they stop, after Retry-After or the reset header alone")
    func rateLimitedUntilDeadline() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, _, _) = try lab.makeSecret()
        try lab.api.clearLog()
        try lab.api.fault(status: 429, count: 4, method: "POST", pathPrefix: "/v3/api_keys", retryAfter: 1)
        try lab.api.fault(
            status: 429, count: 2, method: "POST", pathPrefix: "/v3/api_keys", retryAfter: 1, resetOnly: true)
        let run = try lab.rotate(arn)
        #expect(run.posts.allAnswered, "\(run.posts.errorTexts)")
        let creates = try lab.api.requests().filter { $0.call == "POST /v3/api_keys" }
        #expect(creates.map(\.status) == [429, 429, 429, 429, 429, 429, 201])
    }

    @Test("a key answered 403 until it has spread: a recipe's notYetValid makes the test try again")
    func notYetValid() throws {
        let strict = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (strictARN, _, _) = try strict.makeSecret()
        try strict.api.fault(status: 403, count: 2, method: "GET", pathPrefix: "/v3/scopes")
        let refused = try strict.rotate(strictARN)
        #expect(refused.posts.last?.errorTypeHeader == "Target.Permission", "without notYetValid a 403 is final")

        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get()) {
            $0.replacingOccurrences(of: #""attempts": 5"#, with: #""attempts": 5, "notYetValid": [403]"#)
        }
        let (arn, _, _) = try lab.makeSecret()
        try lab.api.fault(status: 403, count: 2, method: "GET", pathPrefix: "/v3/scopes")
        let run = try lab.rotate(arn)
        #expect(run.posts.allAnswered, "\(run.posts.errorTexts)")
    }

    @Test("a list on two pages: the orphan on page two is found and revoked (Cloudflare's page numbers)")
    func pagedList() throws {
        let lab = try APIKeyLab(.cloudflare, api: try Self.api.get())
        let (arn, _, _) = try lab.makeSecret()
        let one = try lab.rotate(arn)
        #expect(one.posts.allAnswered, "\(one.posts.errorTexts)")
        // Fifty-five unrelated tokens fill page one; a key named for the first rotation (an attempt's orphan) is last.
        for number in 0..<55 { _ = try lab.api.seed(family: "cloudflare", name: "other-\(number)") }
        let orphan = try lab.api.seed(family: "cloudflare", name: "rotator-\(one.token)")
        let two = try lab.rotate(arn)
        #expect(two.posts.allAnswered, "\(two.posts.errorTexts)")
        #expect(try lab.api.key(withValue: orphan.value)?.usable == false, "the orphan on page two was revoked")
        #expect(try lab.api.keys().filter { $0.name.hasPrefix("other-") }.allSatisfy(\.usable), "others untouched")
    }

    @Test("a list that says it was cut short, with no paging declared: the sweep fails instead of missing keys")
    func truncatedList() throws {
        let lab = try APIKeyLab(.cloudflare, api: try Self.api.get()) {
            $0.replacingOccurrences(
                of: #""paging": { "page": "page", "totalPages": "/result_info/total_pages" }"#,
                with: #""truncated": "/success""#)
        }
        let (arn, _, _) = try lab.makeSecret()
        let run = try lab.rotate(arn)
        let error = try #require(run.posts.errorTexts.first)
        #expect(error.contains("holds only part of the keys"), "\(error)")
    }

    @Test("an API error text that echoes the key followed by a combining mark: the key is still cut out")
    func combiningMarkRedacted() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, first, secrets) = try lab.makeSecret()
        try lab.api.fault(
            status: 400, count: 1, method: "POST", pathPrefix: "/v3/api_keys",
            message: "bad key \(first.value)\u{0301} (api.sendgrid.com)")
        let token = try lab.moto.startRotation(secretId: arn)
        let run = try lab.run(arn: arn, token: token, steps: [.createSecret])
        let error = try #require(run.posts.errorTexts.first)
        expectNoSecrets(secrets, in: run.output + error, "the output and the /error body")
        // "]" and the combining mark form one Character: look for the marker by its scalars.
        #expect(error.contains("[redacted"), "\(error)")
        #expect(error.contains("api.sendgrid.com"), "the recipe's name is not a secret: \(error)")
    }

    @Test("a secret naming a recipe that is not loaded: its text is never printed, as the strategy or anywhere")
    func unknownRecipeNotPrinted() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, _, _) = try lab.makeSecret()
        var object = try #require(try lab.value(arn, "AWSCURRENT"))
        let written = "https://attacker.example/\(UUID().uuidString)"
        object["rotator_recipe"] = .string(written)
        _ = try lab.moto.adminClient.call(
            "PutSecretValue",
            JSONObject([
                "SecretId": .string(arn), "SecretString": .string(object.serialized),
                "VersionStages": .array([.string("AWSCURRENT")]),
            ]))
        let run = try lab.rotate(arn)
        #expect(run.posts.first?.errorTypeHeader == "Rotation.NoTarget", "\(run.posts.errorTexts)")
        #expect(!run.output.contains(written) && !run.posts.map(\.bodyText).joined().contains(written))
        #expect(run.output.contains(#""Strategy":"unknown recipe""#), "\(run.output)")
    }
}
