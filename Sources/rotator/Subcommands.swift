import ArgumentParser
import LambdaRuntime
import Rotation
import SecretsManager

#if canImport(Glibc)
    import Glibc
#endif

struct Invoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one rotation step from a JSON event file, in-process, exactly as Lambda would.")

    @Option(name: .shortAndLong, help: "The event file (see events/), or - for standard input.")
    var event: String

    @Option(help: "Seconds before the step's deadline, as the Lambda timeout would set it (1–900).")
    var timeout = 30

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (1...900).contains(timeout) else {
            throw ValidationError("--timeout must be 1 to 900 seconds (Lambda's limit).")
        }
    }

    func run() throws {
        guard let body = readEvent(event) else {
            throw failure(ConfigurationError("Cannot read the event file \(event)."))
        }
        do {
            let rotation = try common.makeRotation()
            let response = try rotation.invoke(event: body, timeoutSeconds: timeout)
            print(String(decoding: response, as: UTF8.self))
        } catch {
            throw failure(error)
        }
    }

    private func readEvent(_ path: String) -> [UInt8]? {
        // fdopen(0) rather than the global `stdin`, which Swift 6 treats as shared mutable state.
        let file = path == "-" ? fdopen(0, "rb") : fopen(path, "rb")
        guard let file else { return nil }
        defer { if path != "-" { fclose(file) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > 1 << 20 { return nil }  // No real event is anywhere near 1 MiB.
        }
        return ferror(file) == 0 ? bytes : nil
    }
}

struct Rotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate a secret now: play Secrets Manager's part and run the four steps in order.")

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Option(help: "Version id for the new version (default: a new UUID, or the token of an unfinished rotation).")
    var token: String?

    @Option(help: "Seconds allowed for each step (1–900).")
    var stepTimeout = 60

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
            print("Rotated \(secretId): AWSCURRENT is now version \(version).")
        } catch {
            throw failure(error)
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a secret's versions and labels, or every secret's rotation state (never values).",
        discussion: """
            With --secret-id: that secret's versions, labels, and whether a rotation is stuck and how to clear it. \
            Without: one line per secret of the account (ListSecrets, paged): rotation on or off, the function, \
            last and next rotation, and its state (ok, off, rotating, stuck, overdue, no-current). Exits 2 when any \
            secret is stuck, overdue or has no AWSCURRENT, so it can run in a scheduled job.
            """)

    @Option(help: "The secret's name or ARN (omit for every secret).")
    var secretId: String?

    @Option(help: "Only secrets whose name starts with this (ListSecrets' name filter).")
    var namePrefix: String?

    @Option(help: "Only secrets with this tag, as KEY=VALUE (repeat for several; all must match).")
    var tag: [String] = []

    @Flag(help: "Read each secret's AWSCURRENT value to name the target and strategy it would get (never shown).")
    var targets = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(
        help:
            "Judge overdue and stuck as of this time (RFC 3339, e.g. 2027-01-04T09:00:00Z): what a later run will see.")
    var asOf: String?

    @Option(help: "How long AWSPENDING may sit on another version before the secret counts as stuck, in seconds.")
    var stuckAfter = Int(FleetEntry.stuckAfterSeconds)

    @OptionGroup var common: CommonOptions

    func validate() throws {
        for pair in tag where !pair.contains("=") || pair.hasPrefix("=") {
            throw ValidationError("--tag must be KEY=VALUE, not \"\(pair)\".")
        }
        if secretId != nil && (namePrefix != nil || !tag.isEmpty || targets || json || asOf != nil) {
            throw ValidationError(
                "--name-prefix, --tag, --targets, --json and --as-of are for the account view (no --secret-id).")
        }
        if let asOf, RFC3339.parse(asOf) == nil {
            throw ValidationError("--as-of must be an RFC 3339 time such as 2027-01-04T09:00:00Z, not \"\(asOf)\".")
        }
        guard stuckAfter >= 0 else { throw ValidationError("--stuck-after must be 0 or more seconds.") }
    }

    func run() throws {
        do {
            let rotation = try common.makeRotation()
            if let secretId {
                print(try rotation.status(secretId: secretId).report.joined(separator: "\n"))
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
            let now = asOf.flatMap(RFC3339.parse) ?? Double(Deadline.now().epochMilliseconds) / 1_000
            let report = try rotation.fleet(
                filters: filters, tags: tags, readTargets: targets, now: now, stuckAfterSeconds: Double(stuckAfter))
            print(json ? report.json : report.lines.joined(separator: "\n"))
            if report.needsAttention { throw ExitCode(2) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw failure(error)
        }
    }
}

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, read-only, everything a rotation of the secret needs; exit 0 only when every check passed.",
        discussion: """
            In order: the secret is readable (IAM, KMS), its JSON fits the target, its labels (a stuck AWSPENDING), \
            the rotation configuration, the password policy, and for databases: name resolution, TCP and TLS, the \
            AWSCURRENT and AWSPREVIOUS logins, the master secret, and the privileges the strategy needs. Changes \
            nothing; never prints a secret value.
            """)

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let diagnosis: Diagnosis
        do {
            diagnosis = try common.makeRotation().doctor(
                secretId: secretId, now: Double(Deadline.now().epochMilliseconds) / 1_000)
        } catch {
            throw failure(error)
        }
        print(json ? diagnosis.json : diagnosis.lines.joined(separator: "\n"))
        if !diagnosis.passed { throw ExitCode(2) }
    }
}

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unstick a rotation: find which credential works, plan the one safe fix, and do it with --apply.",
        discussion: """
            Tries the AWSCURRENT, AWSPENDING and AWSPREVIOUS credentials where they are used, then plans one of: \
            finish (only the pending credential works: move AWSCURRENT to it), resume (both work: run the \
            remaining steps), clear (only the current one works: take the stale AWSPENDING off), restore (no \
            labelled credential works but another version's does: make it AWSCURRENT), or refuse (none can be shown \
            to work, the target cannot be reached, or a rotation may still be running: nothing is changed). Without \
            --apply it only prints the plan; with it, the state is checked again right before each change.
            """)

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Flag(help: "Carry out the plan (without it, nothing is changed).")
    var apply = false

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Flag(help: "Act on an AWSPENDING less than 15 minutes old (only when no rotation is running).")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        do {
            let rotation = try common.makeRotation()
            let plan = try rotation.planRepair(secretId: secretId, force: force)
            print(json ? plan.json : plan.lines.joined(separator: "\n"))
            if plan.action == .refuse { throw ExitCode(2) }
            guard apply else {
                if plan.action != .nothing { print("Nothing was changed; run again with --apply to do it.") }
                return
            }
            for line in try rotation.applyRepair(plan, force: force) { print(line) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw failure(error)
        }
    }
}
