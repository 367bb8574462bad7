import ArgumentParser
import JSON
import Rotation
import RotationOperations

struct Rotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate a secret now: play Secrets Manager's part and run the four steps in order.")

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Option(help: "Version id for the new version (default: a new UUID, or the token of an unfinished rotation).")
    var token: String?

    @Option(help: "Seconds allowed for each step (1–900).")
    var stepTimeout = 60

    @OptionGroup var output: OutputOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (1...900).contains(stepTimeout) else {
            throw ValidationError("--step-timeout must be 1 to 900 seconds (Lambda's limit).")
        }
    }

    func run() throws {
        do {
            let rotation = try common.makeRotation()
            let version = try rotation.rotate(secretId: secretId, token: token, stepTimeoutSeconds: stepTimeout)
            print(
                output.json
                    ? JSONObject(["secretId": .string(secretId), "rotated": .bool(true), "versionId": .string(version)])
                        .serialized
                    : "Rotated \(secretId): AWSCURRENT is now version \(version).")
        } catch {
            throw failure(error, json: output.json)
        }
    }
}
