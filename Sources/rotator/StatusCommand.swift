import ArgumentParser
import LambdaRuntime
import Rotation
import RotationOperations
import SecretsManager

#if canImport(Glibc)
    import Glibc
#endif

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a secret's versions and labels, or every secret's rotation state (never values).",
        discussion: """
            With --secret-id: that secret's versions, labels, state, and how to clear a stuck rotation. Without: one \
            line per secret of the account (ListSecrets, paged): rotation on or off, the function, last and next \
            rotation, and its state (ok, off, rotating, stuck, overdue, no-current). Either way it exits 2 when a \
            secret is stuck, overdue or has no AWSCURRENT, so it can run in a scheduled job.
            """)

    @Option(help: "The secret's name or ARN (omit for every secret).")
    var secretId: String?

    @Option(help: "Only secrets whose name starts with this (ListSecrets' name filter).")
    var namePrefix: String?

    @Option(help: "Only secrets with this tag, as KEY=VALUE (repeat for several; all must match).")
    var tag: [String] = []

    @Flag(
        help:
            "Read each secret's AWSCURRENT value (20 a call) to name the target and strategy it would get (never shown)."
    )
    var targets = false

    @Option(
        help:
            "Judge overdue and stuck as of this time (RFC 3339, e.g. 2027-01-04T09:00:00Z): what a later run will see.")
    var asOf: String?

    @Option(help: "How long AWSPENDING may sit on another version before the secret counts as stuck, in seconds.")
    var stuckAfter = Int(FleetEntry.stuckAfterSeconds)

    @OptionGroup var output: OutputOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        for pair in tag where !pair.contains("=") || pair.hasPrefix("=") {
            throw ValidationError("--tag must be KEY=VALUE, not \"\(pair)\".")
        }
        if secretId != nil && (namePrefix != nil || !tag.isEmpty || targets) {
            throw ValidationError("--name-prefix, --tag and --targets are for the account view (no --secret-id).")
        }
        if let asOf, RFC3339.parse(asOf) == nil {
            throw ValidationError("--as-of must be an RFC 3339 time such as 2027-01-04T09:00:00Z, not \"\(asOf)\".")
        }
        guard stuckAfter >= 0 else { throw ValidationError("--stuck-after must be 0 or more seconds.") }
    }

    func run() throws {
        do {
            let rotation = try common.makeRotation()
            let now = asOf.flatMap(RFC3339.parse) ?? Double(Deadline.now().epochMilliseconds) / 1_000
            if let secretId {
                let status = try rotation.status(secretId: secretId, now: now, stuckAfterSeconds: Double(stuckAfter))
                print(output.json ? status.json : status.report.joined(separator: "\n"))
                if status.needsAttention { throw ExitStatus.attention }
                return
            }
            let tags = tag.map { pair -> (key: String, value: String) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
            var filters: [SecretListFilter] = []
            if let namePrefix { filters.append(SecretListFilter(key: "name", values: [namePrefix])) }
            for (key, value) in tags {
                filters.append(SecretListFilter(key: "tag-key", values: [key]))
                filters.append(SecretListFilter(key: "tag-value", values: [value]))
            }
            let progress = TerminalProgress(label: "reading values")
            let report = try rotation.fleet(
                filters: filters, tags: tags, readTargets: targets, now: now, stuckAfterSeconds: Double(stuckAfter),
                progress: progress.show)
            progress.finish()
            print(output.json ? report.json : report.lines.joined(separator: "\n"))
            if report.needsAttention { throw ExitStatus.attention }
        } catch {
            throw failure(error, json: output.json)
        }
    }
}

/// "reading values: 40/123" on standard error, rewritten in place, only when standard error is a terminal: logs
/// and pipes get nothing.
struct TerminalProgress {
    let label: String
    let enabled = isatty(2) == 1

    func show(_ done: Int, _ total: Int) {
        guard enabled else { return }
        var text = "\r\(label): \(done)/\(total)"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    func finish() {
        guard enabled else { return }
        var text = "\r\u{1B}[K"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
