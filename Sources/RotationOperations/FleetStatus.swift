import JSON
import LambdaRuntime
import Rotation
import SecretsManager

/// One secret of `rotator status` without `--secret-id`: its rotation settings and whether it needs someone,
/// from ListSecrets alone (values are read only with `--targets`, and never shown).
package struct FleetEntry: Sendable {
    package enum State: String, Sendable, CaseIterable {
        /// Rotation on, on schedule, nothing pending.
        case ok
        /// Rotation off or never configured.
        case off
        /// AWSPENDING on another version than AWSCURRENT, made recently: a rotation is running.
        case rotating
        /// AWSPENDING on another version than AWSCURRENT for longer than a rotation takes: it failed and the label
        /// blocks the next one.
        case stuck
        /// Rotation on, and the scheduled rotation is more than a day late.
        case overdue
        /// No version has AWSCURRENT.
        case noCurrent = "no-current"
    }

    package var name: String
    package var arn: String
    package var rotationEnabled: Bool
    /// The rotation function's name (the last part of its ARN).
    package var function: String?
    package var lastRotatedDate: Double?
    package var nextRotationDate: Double?
    package var state: State
    /// The version AWSPENDING is on, when not AWSCURRENT's.
    package var pendingVersion: String?
    /// With `--targets`: the target and strategy the function would use, or why it could not tell.
    package var target: String?
    package var strategy: String?
    package var targetProblem: String?

    /// Whether a scheduled job should fail for this secret.
    package var needsAttention: Bool { state == .stuck || state == .overdue || state == .noCurrent }

    /// Secrets Manager rotates within the scheduled window, which lasts at most 24 hours
    /// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html).
    package static let overdueAfterSeconds: Double = 24 * 3_600
    /// A step may run 15 minutes (Lambda's limit), and Secrets Manager retries a failed rotation a few times.
    package static let stuckAfterSeconds: Double = 3_600

    /// The state of `entry` at `now` (epoch seconds); `pendingCreated` is the AWSPENDING version's creation date.
    package static func state(
        of entry: SecretListEntry, pendingCreated: Double?, now: Double, stuckAfterSeconds: Double = stuckAfterSeconds
    ) -> State {
        let current = entry.versionIdsToStages.first(where: { $0.stages.contains("AWSCURRENT") })
        guard current != nil else { return .noCurrent }
        if pendingVersion(of: entry) != nil {
            guard let created = pendingCreated, now - created < stuckAfterSeconds else { return .stuck }
            return .rotating
        }
        guard entry.rotationEnabled == true else { return .off }
        let due =
            entry.nextRotationDate
            ?? entry.lastRotatedDate.flatMap { last in entry.rotationDays.map { last + Double($0) * 86_400 } }
        guard let due else { return entry.lastRotatedDate == nil ? .overdue : .ok }
        return now - due > overdueAfterSeconds ? .overdue : .ok
    }

    /// The version AWSPENDING is on when it is not the AWSCURRENT version.
    static func pendingVersion(of entry: SecretListEntry) -> String? {
        entry.versionIdsToStages.first(where: { $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT") }
        )?
        .versionId
    }

    init(_ entry: SecretListEntry, state: State) {
        name = entry.name
        arn = entry.arn
        rotationEnabled = entry.rotationEnabled == true
        function = entry.rotationLambdaARN.map { String($0.split(separator: ":").last ?? Substring($0)) }
        lastRotatedDate = entry.lastRotatedDate
        nextRotationDate = entry.nextRotationDate
        self.state = state
        pendingVersion = Self.pendingVersion(of: entry)
    }

    var json: JSONObject {
        var object = JSONObject([
            "name": .string(name), "arn": .string(arn), "state": .string(state.rawValue),
            "rotationEnabled": .bool(rotationEnabled),
        ])
        object["function"] = function.map(JSONValue.string) ?? .null
        object["lastRotatedDate"] = lastRotatedDate.map { .string(SecretStatus.date($0)) } ?? .null
        object["nextRotationDate"] = nextRotationDate.map { .string(SecretStatus.date($0)) } ?? .null
        if let pendingVersion { object["pendingVersion"] = .string(pendingVersion) }
        if let target { object["target"] = .string(target) }
        if let strategy { object["strategy"] = .string(strategy) }
        if let targetProblem { object["targetProblem"] = .string(targetProblem) }
        return object
    }
}

/// Every secret of an account (or those the filters keep), for `rotator status` without `--secret-id`.
package struct FleetReport: Sendable {
    package var entries: [FleetEntry]
    /// How many ListSecrets pages the scan took.
    package var pages: Int

    package var needsAttention: Bool { entries.contains(where: \.needsAttention) }

    /// One line a secret, then a summary.
    package var lines: [String] {
        let rows = entries.map { entry -> [String] in
            [
                entry.name, entry.state.rawValue, entry.rotationEnabled ? "on" : "off", entry.function ?? "-",
                entry.lastRotatedDate.map(SecretStatus.date) ?? "-",
                entry.nextRotationDate.map(SecretStatus.date) ?? "-",
                entry.target.map { target in entry.strategy.map { "\(target)/\($0)" } ?? target }
                    ?? entry.targetProblem ?? "-",
            ]
        }
        let header = ["NAME", "STATE", "ROTATION", "FUNCTION", "LAST ROTATED", "NEXT ROTATION", "TARGET"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.0 + String(repeating: " ", count: $0.1 - $0.0.count) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }
        return [line(header)] + rows.map(line) + [summary]
    }

    package var summary: String {
        let counts = FleetEntry.State.allCases.compactMap { state -> String? in
            let count = entries.filter { $0.state == state }.count
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }
        return "\(entries.count) secret\(entries.count == 1 ? "" : "s")"
            + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", "))
            + " (ListSecrets, \(pages) page\(pages == 1 ? "" : "s"))"
            + (needsAttention ? "; some need attention: `rotator doctor --secret-id <name>`" : "")
    }

    package var json: String {
        JSONObject([
            "secrets": .array(entries.map { .object($0.json) }), "summary": .string(summary),
            "needsAttention": .bool(needsAttention),
        ]).serialized
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

extension LocalRotation {
    /// Scans every secret ListSecrets returns for `filters`, keeps those with every tag in `tags`, and works out each
    /// one's state. Only secrets with a pending version get one more call (their versions' dates); with
    /// `readTargets`, the AWSCURRENT values are read, 20 a call with BatchGetSecretValue, to name each one's target
    /// (values are never shown). `progress` is told how many values have been read, of how many.
    package func fleet(
        filters: [SecretListFilter], tags: [(key: String, value: String)] = [], readTargets: Bool = false,
        now: Double, stuckAfterSeconds: Double = FleetEntry.stuckAfterSeconds,
        progress: (_ read: Int, _ of: Int) -> Void = { _, _ in }
    ) throws -> FleetReport {
        let deadline = Deadline.after(milliseconds: 600_000)
        var pages = 0
        let listed = try handler.client.listSecrets(filters: filters, pageSize: 100, deadline: deadline) { _ in
            pages += 1
        }
        let wanted = listed.filter { entry in
            tags.allSatisfy { tag in entry.tags.contains(where: { $0.key == tag.key && $0.value == tag.value }) }
        }
        var entries: [FleetEntry] = []
        for secret in wanted {
            var pendingCreated: Double?
            if let pending = FleetEntry.pendingVersion(of: secret) {
                pendingCreated =
                    (try? handler.client.listSecretVersionIds(
                        secretId: secret.arn, includeDeprecated: false, deadline: deadline))?
                    .first(where: { $0.versionId == pending })?.createdDate
            }
            let state = FleetEntry.state(
                of: secret, pendingCreated: pendingCreated, now: now, stuckAfterSeconds: stuckAfterSeconds)
            entries.append(FleetEntry(secret, state: state))
        }
        if readTargets { try nameTargets(of: &entries, deadline: deadline, progress: progress) }
        return FleetReport(entries: entries, pages: pages)
    }

    /// The target the function would choose for each secret's AWSCURRENT value, and its strategy. Values come in
    /// batches; a role without `secretsmanager:BatchGetSecretValue` reads them one by one instead.
    private func nameTargets(
        of entries: inout [FleetEntry], deadline: Deadline, progress: (_ read: Int, _ of: Int) -> Void
    ) throws {
        let readable = entries.indices.filter { entries[$0].state != .noCurrent }
        var read = 0
        for batch in stride(from: 0, to: readable.count, by: BatchSecretValues.batchGetLimit) {
            let indices = Array(readable[batch..<min(batch + BatchSecretValues.batchGetLimit, readable.count)])
            let arns = indices.map { entries[$0].arn }
            let values = try batchValues(arns, deadline: deadline)
            for (index, arn) in zip(indices, arns) {
                if let values {
                    if let value = values.values.first(where: { $0.arn == arn }) {
                        nameTarget(of: &entries[index], value: .success(value))
                    } else {
                        let code = values.errors.first(where: { $0.secretId == arn })?.errorCode ?? "NotReturned"
                        entries[index].targetProblem = "SecretsManager.\(code)"
                    }
                } else {
                    nameTarget(of: &entries[index], value: readOne(arn, deadline))
                }
            }
            read += indices.count
            progress(read, readable.count)
        }
    }

    /// One BatchGetSecretValue call; `nil` when the role may not make it (then values are read one by one).
    private func batchValues(_ arns: [String], deadline: Deadline) throws(SecretsManagerError) -> BatchSecretValues? {
        do {
            return try handler.client.batchGetSecretValue(secretIds: arns, deadline: deadline)
        } catch  where error.code.rawValue.hasPrefix("AccessDenied") {
            return nil
        }
    }

    private func readOne(_ arn: String, _ deadline: Deadline) -> Result<SecretValueResponse, any Error> {
        do {
            return .success(
                try handler.client.getSecretValue(secretId: arn, versionStage: "AWSCURRENT", deadline: deadline))
        } catch {
            return .failure(error)
        }
    }

    private func nameTarget(of entry: inout FleetEntry, value: Result<SecretValueResponse, any Error>) {
        do {
            let response = try value.get()
            guard let string = response.secretString else {
                entry.targetProblem = RotationError.binarySecret(secretId: entry.name).errorType
                return
            }
            let secret = try SecretValue(secretString: string, stage: "AWSCURRENT", secretId: entry.name)
            let target = try handler.selector.target(for: secret, secretId: entry.name)
            entry.target = target.name
            entry.strategy = target.strategyName(for: secret)
        } catch {
            entry.targetProblem = ErrorReport(error).errorType
        }
    }
}
