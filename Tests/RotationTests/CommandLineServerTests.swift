import Foundation
import JSON
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
}
