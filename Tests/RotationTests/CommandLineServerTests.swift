import Foundation
import JSON
import LambdaRuntime
import Rotation
import TestSupport
import TestTags
import Testing

/// `rotator invoke`, `rotate` and `status` against moto with IAM authentication.
@Suite("Command line", .serialized, .tags(.server))
struct CommandLineServerTests {
    @Test("rotate runs a whole rotation from a laptop; status shows the labels and never a value")
    func rotateAndStatus() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"cli-initial-Pw1!"}"#)
        let before = try fixture.runCLI(["status", "--secret-id", fixture.name])
        #expect(before.status == 0)
        #expect(before.output.contains("AWSCURRENT"))
        #expect(before.output.contains("State:     ok"))

        let rotated = try fixture.runCLI(["rotate", "--secret-id", fixture.name])
        #expect(rotated.status == 0, "\(rotated.output)")
        let current = try #require(fixture.version(with: "AWSCURRENT"))
        #expect(rotated.output.contains("AWSCURRENT is now version \(current)"))
        #expect(fixture.versions().count == 2)
        #expect(fixture.version(with: "AWSPREVIOUS") != nil)

        let after = try fixture.runCLI(["status", "--secret-id", fixture.name])
        #expect(after.status == 0)
        #expect(after.output.contains("AWSPREVIOUS"))
        #expect(!after.output.contains("cli-initial-Pw1!"))
    }

    @Test("rotate resumes a rotation that stopped after createSecret, and status calls it stuck first")
    func resume() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"resume-Pw1!"}"#)
        let token = try fixture.startRotation()
        let status = try fixture.runCLI(["status", "--secret-id", fixture.arn])
        #expect(status.output.contains("rotation in progress or stuck: AWSPENDING is on version \(token)"))
        #expect(status.output.contains("Resume it first: `rotator rotate --secret-id \(fixture.arn)`"))
        #expect(status.output.contains("Clear the label only if the AWSCURRENT credential still"))
        #expect(status.output.contains("`rotator repair --secret-id \(fixture.arn)` finds which credential works"))
        // A token of one's own would start a second rotation beside the unfinished one: refused, nothing changed.
        let other = UUID().uuidString.lowercased()
        let refused = try fixture.runCLI(["rotate", "--secret-id", fixture.arn, "--token", other])
        #expect(refused.status == 1)
        #expect(
            refused.output.contains(
                "error: Rotation.InProgress: A rotation of secret \(fixture.arn) is unfinished on version \(token); --token \(other) would start another."
            ))
        #expect(fixture.versions()[other] == nil && fixture.version(with: "AWSPENDING") == token)
        let rotated = try fixture.runCLI(["rotate", "--secret-id", fixture.arn])
        #expect(rotated.status == 0, "\(rotated.output)")
        #expect(fixture.version(with: "AWSCURRENT") == token)
    }

    @Test("invoke runs one step from an event file or standard input, as Lambda would")
    func invoke() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"invoke-Pw1!"}"#)
        let token = try fixture.startRotation()
        let eventFile = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString).json")
        try RotationEvent(step: .createSecret, secretId: fixture.arn, clientRequestToken: token).json
            .write(to: eventFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: eventFile) }
        let created = try fixture.runCLI(["invoke", "--event", eventFile.path])
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("null"))
        #expect(try fixture.value(stage: "AWSPENDING") != nil)

        let fromStdin = try fixture.runCLI(
            ["invoke", "--event", "-"],
            stdin: Data(RotationEvent(step: .setSecret, secretId: fixture.arn, clientRequestToken: token).json.utf8))
        #expect(fromStdin.status == 0, "\(fromStdin.output)")
    }

    @Test("failures exit non-zero with one error line")
    func failures() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"fail-Pw1!"}"#)
        let missing = try fixture.runCLI(["status", "--secret-id", "no-such-secret-\(UUID().uuidString.prefix(6))"])
        #expect(missing.status == 1)
        let errorLines = missing.output.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errorLines.count == 1)
        #expect(errorLines.first?.hasPrefix("error: SecretsManager.ResourceNotFoundException") == true)

        let badEvent = try fixture.runCLI(["invoke", "--event", "-"], stdin: Data(#"{"Step":"createSecret"}"#.utf8))
        #expect(badEvent.status == 1)
        #expect(badEvent.output.contains("error: Rotation.InvalidEvent: The event has no \"SecretId\" field"))
    }

    @Test("--json: one JSON document on standard output, also on failure; exit 0 done, 1 error, 2 attention, 64 usage")
    func scriptsContract() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"json-Pw1!"}"#)
        func document(_ arguments: [String], status expected: Int32) throws -> JSONObject {
            let run = try fixture.runCLIApart(arguments + ["--json"])
            #expect(run.status == expected, "\(arguments): \(run.stdout) \(run.stderr)")
            // Exactly one line, and it is the whole document: nothing else reaches standard output.
            #expect(run.stdout.split(separator: "\n").count == 1, "\(arguments): \(run.stdout)")
            return try #require(try JSONValue(parsing: run.stdout).objectValue, "\(arguments)")
        }
        let ok = try document(["status", "--secret-id", fixture.arn], status: 0)
        // The fixture's secret has no rotation configured: off, which needs nobody.
        #expect(ok["state"] == .string("off") && ok["needsAttention"] == .bool(false))
        #expect(ok["versions"]?.arrayValue?.count == 1)

        let token = try fixture.startRotation()
        let later = RFC3339.format(seconds: Int(Date().timeIntervalSince1970) + 2 * 3_600, milliseconds: 0)
        let rotating = try document(["status", "--secret-id", fixture.arn], status: 0)
        #expect(rotating["state"] == .string("rotating") && rotating["pendingVersion"] == .string(token))
        let stuck = try document(["status", "--secret-id", fixture.arn, "--as-of", later], status: 2)
        #expect(stuck["state"] == .string("stuck") && stuck["needsAttention"] == .bool(true))

        let plan = try document(["repair", "--secret-id", fixture.arn, "--force"], status: 0)
        #expect(plan["applied"] == .bool(false) && plan["action"]?.stringValue != nil)
        let rotated = try document(["rotate", "--secret-id", fixture.arn], status: 0)
        #expect(rotated["versionId"] == .string(token) && fixture.version(with: "AWSCURRENT") == token)
        let doctor = try document(["doctor", "--secret-id", fixture.arn], status: 0)
        #expect(doctor["passed"] == .bool(true))

        let missing = try fixture.runCLIApart([
            "status", "--secret-id", "no-such-\(UUID().uuidString.prefix(6))", "--json",
        ])
        #expect(missing.status == 1)
        let error = try #require(try JSONValue(parsing: missing.stdout).objectValue?["error"]?.objectValue)
        #expect(error["type"] == .string("SecretsManager.ResourceNotFoundException"))
        #expect(missing.stderr.contains("error: SecretsManager.ResourceNotFoundException"))

        for usage in [["status", "--bogus"], ["status", "--secret-id", fixture.arn, "--targets"], ["doctor"]] {
            #expect(try fixture.runCLIApart(usage).status == 64, "\(usage)")
        }
    }

    @Test("doctor, generic target: passes after a rotation; a value the safety rules refuse fails, naming why")
    func doctor() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"cli","password":"doctor-Pw1!"}"#)
        _ = try fixture.startRotation()
        #expect(try fixture.runCLI(["rotate", "--secret-id", fixture.arn]).status == 0)
        let healthy = try fixture.runCLI(["doctor", "--secret-id", fixture.arn])
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(healthy.output.contains("passed   secret value: target generic"), "\(healthy.output)")
        #expect(healthy.output.contains("All 5 checks passed."), "no database checks for the generic target")

        let duplicate = try RotationFixture(secretString: #"{"password":"dup-Pw1!","password":"dup-Pw2!"}"#)
        let refused = try duplicate.runCLI(["doctor", "--secret-id", duplicate.arn])
        #expect(refused.status == 2)
        #expect(refused.output.contains(#"FAILED   secret value: Rotation.InvalidSecret"#), "\(refused.output)")
        #expect(refused.output.contains(#"duplicate key "password""#), "\(refused.output)")
        #expect(refused.output.contains("passed   secret readable"))
        #expect(refused.output.contains("FAILED   rotation configuration: rotation is off"))
        #expect(refused.output.contains("skipped  target checks: the value does not fit"))

        // repair on a generic secret with a rotation stopped after createSecret: the value never left Secrets
        // Manager, so the target cannot tell which works; resuming is what Secrets Manager would do.
        let stopped = try RotationFixture(secretString: #"{"username":"cli","password":"repair-Pw1!"}"#)
        let token = try stopped.startRotation()
        #expect(
            try stopped.runCLI(
                ["invoke", "--event", "-"],
                stdin: Data(
                    RotationEvent(step: .createSecret, secretId: stopped.arn, clientRequestToken: token).json.utf8)
            ).status == 0)
        // The pending version is seconds old: a step may still be running, so repair refuses without --force.
        let young = try stopped.runCLI(["repair", "--secret-id", stopped.arn, "--apply"])
        #expect(young.status == 2, "\(young.output)")
        #expect(young.output.contains("Action: refuse — AWSPENDING is on version \(token), created 0 min ago"))
        #expect(young.output.contains("or with --force if no rotation is running"))
        #expect(stopped.version(with: "AWSPENDING") == token)
        let plan = try stopped.runCLI(["repair", "--secret-id", stopped.arn, "--force"])
        #expect(plan.status == 0 && plan.output.contains("Action: resume"), "\(plan.output)")
        #expect(stopped.version(with: "AWSPENDING") == token, "the plan alone changes nothing")
        let applied = try stopped.runCLI(["repair", "--secret-id", stopped.arn, "--apply", "--force"])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(stopped.version(with: "AWSCURRENT") == token)
    }
}

/// `rotator status` without `--secret-id`: the account view.
@Suite("Command line: the account view", .serialized, .tags(.server))
struct FleetCommandLineServerTests {
    @Test("one line per secret with its state; --json; exit 2 when one is stuck, overdue or has no AWSCURRENT")
    func fleet() throws {
        let prefix = "fleet-\(UUID().uuidString.prefix(6).lowercased())-"
        // ok: rotation on and just done (RotateSecret staged it, `rotator rotate` finished it).
        let done = try RotationFixture(
            secretString: #"{"username":"a","password":"fleet-done-Pw1!"}"#, name: prefix + "done")
        _ = try done.startRotation()
        #expect(try done.runCLI(["rotate", "--secret-id", done.arn]).status == 0)
        // off: never configured.
        let off = try RotationFixture(
            secretString: #"{"username":"b","password":"fleet-off-Pw1!"}"#, name: prefix + "off")
        // rotating: AWSPENDING staged a moment ago.
        let running = try RotationFixture(
            secretString: #"{"username":"c","password":"fleet-running-Pw1!"}"#, name: prefix + "running")
        let token = try running.startRotation()
        // no-current: a secret without a value.
        _ = try done.moto.adminClient.call("CreateSecret", JSONObject(["Name": .string(prefix + "empty")]))

        let text = try done.runCLI(["status", "--name-prefix", prefix])
        #expect(text.status == 2, "no-current needs attention: \(text.output)")
        let lines = text.output.split(separator: "\n").map(String.init)
        func row(_ name: String) -> String? { lines.first(where: { $0.hasPrefix(prefix + name + " ") }) }
        #expect(row("done")?.contains(" ok ") == true, "\(text.output)")
        #expect(row("done")?.contains("rotator-not-deployed") == true, "the function's name")
        #expect(row("off")?.contains(" off ") == true)
        #expect(row("running")?.contains(" rotating ") == true)
        #expect(row("empty")?.contains(" no-current ") == true)
        #expect(
            lines.contains { $0.hasPrefix("4 secrets: 1 ok, 1 off, 1 rotating, 1 no-current (ListSecrets, 1 page)") })

        // Later, with the rotation still unfinished: stuck, and the finished one overdue a month on.
        let later = RFC3339.format(seconds: Int(Date().timeIntervalSince1970) + 32 * 86_400, milliseconds: 0)
        let json = try done.runCLI(["status", "--name-prefix", prefix + "r", "--json", "--as-of", later])
        #expect(json.status == 2)
        let report = try #require(try JSONValue(parsing: jsonLine(json.output)).objectValue)
        let secrets = try #require(report["secrets"]?.arrayValue)
        #expect(secrets.count == 1 && secrets.first?.objectValue?["state"] == .string("stuck"))
        #expect(secrets.first?.objectValue?["pendingVersion"] == .string(token))
        let overdue = try done.runCLI(["status", "--name-prefix", prefix + "d", "--as-of", later])
        #expect(overdue.status == 2 && overdue.output.contains(" overdue "))
        let fine = try done.runCLI(["status", "--name-prefix", prefix + "d"])
        #expect(fine.status == 0, "\(fine.output)")

        // --targets reads each value to name its target; no value is ever printed.
        let targets = try done.runCLI(["status", "--name-prefix", prefix, "--targets"])
        #expect(row("done").map { _ in targets.output.contains("generic") } == true)
        for fixture in [done, off, running] { fixture.leaks.assertClean(targets.output) }
    }

    @Test("tags filter exactly (both key and value on the same tag), and pages are followed")
    func tagsAndPages() throws {
        let prefix = "fleet-pages-\(UUID().uuidString.prefix(6).lowercased())-"
        let moto = try SharedMoto.get()
        for index in 0..<105 {
            var body = JSONObject(["Name": .string("\(prefix)\(index)"), "SecretString": .string("v\(index)")])
            let tags: [(String, String)] =
                index < 3 ? [("team", "pay")] : (index < 5 ? [("team", "x"), ("env", "pay")] : [])
            body["Tags"] = .array(
                tags.map { .object(JSONObject(["Key": .string($0.0), "Value": .string($0.1)])) })
            _ = try moto.adminClient.call("CreateSecret", body)
        }
        let fixture = try RotationFixture(secretString: "unused", name: prefix + "fixture")
        let all = try fixture.runCLI(["status", "--name-prefix", prefix])
        #expect(all.output.contains("106 secrets: 106 off (ListSecrets, 2 pages)"), "\(all.output.suffix(300))")
        #expect(all.status == 0)
        let tagged = try fixture.runCLI(["status", "--name-prefix", prefix, "--tag", "team=pay"])
        #expect(tagged.output.contains("3 secrets: 3 off"), "\(tagged.output)")
        let bad = try fixture.runCLI(["status", "--tag", "novalue"])
        #expect(bad.status != 0 && bad.output.contains("--tag must be KEY=VALUE"))
    }
}

/// The JSON document in a command's output (logs go to standard error, which the fixture mixes in).
private func jsonLine(_ output: String) -> String {
    output.split(separator: "\n").first(where: { $0.hasPrefix("{") }).map(String.init) ?? ""
}
