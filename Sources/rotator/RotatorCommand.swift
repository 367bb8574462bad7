import ArgumentParser
import BuiltInTargets
import JSON
import LambdaRuntime
import Logging
import Rotation
import RotationOperations

#if canImport(Glibc)
    import Glibc
#endif

struct RotatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotator",
        abstract: "Rotate AWS Secrets Manager secrets: the Lambda function, run from your machine.",
        discussion: """
            Inside AWS Lambda (AWS_LAMBDA_RUNTIME_API set) this binary is the rotation function. Anywhere else it \
            runs the same code from the command line, configured by the same environment variables \
            (AWS_REGION, credentials, SECRETS_MANAGER_ENDPOINT, ROTATOR_TARGET, PASSWORD_LENGTH, …).
            """,
        version: RotatorVersion.current,
        subcommands: [Invoke.self, Rotate.self, Status.self, Doctor.self, Repair.self])
}

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Secrets Manager endpoint URL (sets SECRETS_MANAGER_ENDPOINT).")
    var endpointURL: String?

    @Option(help: "AWS Region (sets AWS_REGION).")
    var region: String?

    @Option(help: "Profile in the shared credentials file (sets AWS_PROFILE).")
    var profile: String?

    @Flag(name: .shortAndLong, help: "Log debug detail (every API call).")
    var verbose = false

    /// The process environment with the command-line overrides applied.
    func environment() -> [String: String] {
        var environment = ProcessEnvironment.read()
        if let endpointURL { environment["SECRETS_MANAGER_ENDPOINT"] = endpointURL }
        if let region { environment["AWS_REGION"] = region }
        if let profile { environment["AWS_PROFILE"] = profile }
        return environment
    }

    /// Logs go to standard error in Lambda's text format, so standard output stays the command's result.
    func logger() -> Logger {
        let level: Logger.Level = verbose ? .debug : .info
        return Logger(label: "rotator") { _ in LambdaLogHandler(format: .text, level: level, fileDescriptor: 2) }
    }

    func makeRotation() throws -> LocalRotation {
        try LocalRotation(environment: environment(), targets: BuiltInTargets.all, logger: logger())
    }
}

/// `--json`, which every command that reports takes: one JSON document on standard output and nothing else there
/// (logs and progress stay on standard error), also when the command fails.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output instead of text (logs stay on standard error).")
    var json = false
}

/// The exit statuses every command shares (docs/reference/command-line.md#exit-statuses): 0 done and nothing needs anyone,
/// 1 an error stopped the command, 2 it ran but something needs attention (a failed check, a stuck or overdue
/// secret, a refused repair), 64 the command line was wrong (ArgumentParser's own status for usage errors).
enum ExitStatus {
    static let attention = ExitCode(2)
}

/// Exit 1 with one line on standard error: the error's type and message, never a stack or a value. With `json`,
/// standard output gets `{"error": {"type": …, "message": …}}` too, so a script always has a document to read.
func failure(_ error: any Error, json: Bool = false) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    let report = ErrorReport(error)
    var line = "error: \(report.errorType): \(report.errorMessage)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    if json {
        print(
            JSONObject([
                "error": .object(
                    JSONObject(["type": .string(report.errorType), "message": .string(report.errorMessage)]))
            ]).serialized)
    }
    return ExitCode(1)
}
