import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing
import Timekeeping

/// Whole API-key rotations through `RotatorLambda` and moto against the local API (HTTPS, test CA), with the
/// recipes shipped in `recipes/` (only `baseURL` changed).
@Suite("API keys: rotation through the Lambda loop, moto and a local HTTPS API", .serialized, .tags(.server))
struct APIKeyLambdaServerTests {
    /// This suite's own server (faults count every request it sees).
    static let api = Result { try APIKeysServer() }

    @Test("SendGrid, retire nextRotation: the new key works, the replaced one lives one more period, then dies")
    func sendgridNextRotation() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, first, secrets) = try lab.makeSecret()
        let one = try lab.rotate(arn)
        #expect(one.posts.allAnswered, "\(one.posts.errorTexts)")
        let second = try #require(try lab.key(arn, "AWSCURRENT"))
        #expect(second.usable && second.name == "rotator-\(one.token)" && second.id != first.id)
        #expect(try lab.api.key(withValue: first.value)?.usable == true, "kept through one rotation period")
        let current = try #require(try lab.value(arn, "AWSCURRENT"))
        #expect(current["previous_api_key_id"] == .string(first.id))
        #expect(current["note"] == .string("kept as is") && current["rotator_recipe"] == .string("sendgrid"))
        #expect(current.keys == ["api_key", "api_key_id", "previous_api_key_id", "rotator_recipe", "note"])

        let two = try lab.rotate(arn)
        #expect(two.posts.allAnswered, "\(two.posts.errorTexts)")
        #expect(try lab.api.key(withValue: first.value)?.usable == false, "revoked when the next rotation started")
        #expect(try lab.api.key(withValue: second.value)?.usable == true, "the key AWSPREVIOUS holds still works")
        #expect(try lab.key(arn, "AWSCURRENT")?.usable == true)
        #expect(two.output.contains("revoked key \(first.id) (replaced by the last rotation)"), "\(two.output)")
        let all = secrets + (try lab.values(arn))
        expectNoSecrets(all, in: one.output + two.output, "the rotator's output")
        expectNoSecrets(all, in: (one.posts + two.posts).map(\.bodyText).joined(), "what was posted")
    }

    @Test("SendGrid, retire immediately: the replaced key is revoked as finishSecret ends")
    func sendgridImmediately() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get(), retire: "immediately")
        let (arn, first, _) = try lab.makeSecret()
        let run = try lab.rotate(arn)
        #expect(run.posts.allAnswered, "\(run.posts.errorTexts)")
        #expect(try lab.api.key(withValue: first.value)?.usable == false)
        #expect(try lab.key(arn, "AWSCURRENT")?.usable == true)
        // A re-driven finishSecret revokes again; the API answers 404, which counts as done.
        let again = try lab.run(arn: arn, token: run.token, steps: [.finishSecret])
        #expect(again.posts.allAnswered, "\(again.posts.errorTexts)")
        #expect(again.output.contains("it was already gone"))
    }

    @Test("Cloudflare: an admin token mints the application token, with an expiry; verify proves it")
    func cloudflare() throws {
        let lab = try APIKeyLab(.cloudflare, api: try Self.api.get())
        let (arn, first, secrets) = try lab.makeSecret()
        let run = try lab.rotate(arn)
        #expect(run.posts.allAnswered, "\(run.posts.errorTexts)")
        let minted = try #require(try lab.key(arn, "AWSCURRENT"))
        #expect(minted.usable && minted.id != first.id)
        let expires = try #require(minted.expiresOn.flatMap(RFC3339.parse))
        #expect(abs(expires - Date().timeIntervalSince1970 - 7_776_000) < 120, "90 days from now")
        #expect(try lab.value(arn, "AWSCURRENT")?["admin_token"] == .string(secrets[1]), "the admin token is kept")
        expectNoSecrets(secrets + (try lab.values(arn)), in: run.output, "the rotator's output")
    }

    @Test("a lost answer to create (the key was minted) and a 429: one key survives, the orphan is revoked")
    func lostAnswerAndRateLimit() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, _, _) = try lab.makeSecret()
        try lab.api.fault(status: 500, method: "POST", pathPrefix: "/v3/api_keys", after: true)
        try lab.api.fault(status: 429, method: "GET", pathPrefix: "/v3/api_keys", retryAfter: 1)
        let run = try lab.rotate(arn)
        #expect(run.posts.allAnswered, "\(run.posts.errorTexts)")
        let named = try lab.api.keys().filter { $0.name == "rotator-\(run.token)" }
        #expect(named.count == 2, "the lost one and the stored one")
        #expect(named.filter(\.usable).map(\.value) == [try lab.value(arn, "AWSCURRENT")?["api_key"]?.stringValue])
        #expect(run.output.contains("minted by an attempt of a rotation of this secret and never stored"))
    }

    @Test("the API refuses the key: Target.LoginFailed with the API's message, no key minted, nothing changed")
    func refused() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, first, secrets) = try lab.makeSecret()
        let token = try lab.moto.startRotation(secretId: arn)
        let before = try lab.api.keys().count
        // The API stops accepting the current key (revoked behind the rotator's back).
        try lab.api.fault(status: 401, count: 4, pathPrefix: "/v3/")
        defer { try? lab.api.clearLog() }
        let run = try lab.run(arn: arn, token: token)
        let error = try #require(run.posts.first?.bodyText)
        #expect(run.posts.first?.errorTypeHeader == "Target.LoginFailed", "\(error)")
        #expect(error.contains(#"Recipe \"sendgrid\" create (POST "#), "\(error)")
        #expect(try lab.api.keys().count == before)
        #expect(try lab.value(arn, "AWSPENDING") == nil && lab.key(arn, "AWSCURRENT")?.id == first.id)
        expectNoSecrets(secrets, in: run.output, "the rotator's output")
    }

    @Test("a key with a line break (header injection) is refused before any request: nothing sent, nothing changed")
    func headerInjection() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, first, _) = try lab.makeSecret()
        var object = try #require(try lab.value(arn, "AWSCURRENT"))
        object["api_key"] = .string(first.value + "\r\nX-Injected: yes")
        _ = try lab.moto.adminClient.call(
            "PutSecretValue",
            JSONObject([
                "SecretId": .string(arn), "SecretString": .string(object.serialized),
                "VersionStages": .array([.string("AWSCURRENT")]),
            ]))
        try lab.api.clearLog()
        let token = try lab.moto.startRotation(secretId: arn)
        let run = try lab.run(arn: arn, token: token)
        #expect(run.posts.first?.errorTypeHeader == "Rotation.InvalidSecret", "\(run.posts.errorTexts)")
        #expect(run.posts.first?.bodyText.contains("has a control character") == true)
        #expect(try lab.api.requests().isEmpty, "no request reached the API")
        #expect(try lab.value(arn, "AWSPENDING") == nil)
    }

    @Test("doctor and repair: the current key is tried where it is used")
    func doctorAndRepair() throws {
        let lab = try APIKeyLab(.sendgrid, api: try Self.api.get())
        let (arn, _, secrets) = try lab.makeSecret()
        let token = try lab.moto.startRotation(secretId: arn)
        _ = try lab.run(arn: arn, token: token, steps: [.createSecret])
        func command(_ arguments: [String]) throws -> (status: Int32?, output: String) {
            let child = try ChildProcess(
                executable: BuiltProducts.executable("rotator"), arguments: arguments, environment: lab.environment)
            let status = child.wait(timeout: 60)
            expectNoSecrets(secrets + (try lab.values(arn)), in: child.output, "rotator's output")
            return (status, child.output)
        }
        let doctor = try command(["doctor", "--secret-id", arn])
        #expect(doctor.output.contains("passed   secret value: target apikey, strategy sendgrid"), "\(doctor.output)")
        #expect(doctor.output.contains("passed   login with AWSCURRENT"), "\(doctor.output)")
        #expect(doctor.output.contains("FAILED   labels"))
        // Both keys work (the pending one was minted), so the rotation is resumed with its own token.
        let repair = try command(["repair", "--secret-id", arn, "--apply", "--force"])
        #expect(repair.status == 0 && repair.output.contains("Action: resume"), "\(repair.output)")
        #expect(try lab.moto.adminClient.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
    }
}
