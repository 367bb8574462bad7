import ArgumentParser
import Rotation
import RotationOperations

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, read-only, everything a rotation of the secret needs; exit 0 when no check failed.",
        discussion: """
            In order: the secret is readable (IAM, KMS), its JSON fits the target, its labels (a stuck AWSPENDING), \
            the rotation configuration, the password policy, and for databases: name resolution, TCP and TLS, the \
            AWSCURRENT and AWSPREVIOUS logins, the master secret, and the privileges the strategy needs. Changes \
            nothing; never prints a secret value.
            """)

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Option(
        help: """
            The rotation function (name or ARN) the secret is, or is about to be, attached to: checked as deployed, \
            and rotation being off is then expected (before the attach) rather than a failure.
            """)
    var function: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let diagnosis: Diagnosis
        do {
            diagnosis = try common.makeRotation().doctor(
                secretId: secretId, now: Double(Deadline.now().epochMilliseconds) / 1_000, function: function)
        } catch {
            throw failure(error, json: output.json)
        }
        print(output.json ? diagnosis.json : diagnosis.lines.joined(separator: "\n"))
        if !diagnosis.passed { throw ExitStatus.attention }
    }
}
