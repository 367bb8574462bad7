import JSON
import LambdaRuntime
import Rotation
import SecretsManager

/// A secret's rotation state, for `rotator status`: versions and labels, never values.
package struct SecretStatus: Sendable {
    package struct Version: Sendable {
        package var versionId: String
        package var stages: [String]
        package var createdDate: Double?
    }

    package var secretId: String
    package var arn: String
    package var name: String
    package var rotationEnabled: Bool?
    package var lastRotatedDate: Double?
    package var nextRotationDate: Double?
    package var versions: [Version]
    /// Judged as the account view judges it (`FleetEntry.state`): ok, off, rotating, stuck, overdue or no-current.
    package var state: FleetEntry.State

    /// Whether a scheduled job should fail for this secret (exit status 2).
    package var needsAttention: Bool { state == .stuck || state == .overdue || state == .noCurrent }

    /// The version AWSPENDING is on when that is not the AWSCURRENT version: a rotation is running, or one
    /// failed and left its label behind (which blocks new rotations).
    package var pendingElsewhere: String? {
        versions.first(where: { $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT") })?.versionId
    }

    package var currentVersion: String? { versions.first(where: { $0.stages.contains("AWSCURRENT") })?.versionId }

    /// Human-readable lines for the terminal.
    package var report: [String] {
        var lines = ["Secret:    \(name)", "ARN:       \(arn)"]
        let enabled = rotationEnabled.map { $0 ? "yes" : "no" } ?? "not configured"
        lines.append(
            "Rotation:  enabled: \(enabled)"
                + (lastRotatedDate.map { ", last rotated \(Self.date($0))" } ?? "")
                + (nextRotationDate.map { ", next \(Self.date($0))" } ?? ""))
        lines.append("Versions:")
        let width = versions.map(\.versionId.count).max() ?? 0
        for version in versions {
            let labels = version.stages.isEmpty ? "(no labels)" : version.stages.joined(separator: ", ")
            let created = version.createdDate.map { "  created \(Self.date($0))" } ?? ""
            lines.append("  " + version.versionId.padding(to: width) + "  " + labels.padding(to: 26) + created)
        }
        if let stale = pendingElsewhere {
            lines.append(
                "State:     rotation in progress or stuck: AWSPENDING is on version \(stale), not on AWSCURRENT.")
            lines.append(
                "           `rotator repair --secret-id \(secretId)` finds which credential works and plans the safe fix."
            )
            lines.append(
                "           Resume it first: `rotator rotate --secret-id \(secretId)` finishes it with its own token")
            lines.append(
                "           (Secrets Manager also retries it). Clear the label only if the AWSCURRENT credential still")
            lines.append(
                "           works where it is used: a single-user database rotation whose setSecret ran has already")
            lines.append("           given the database the AWSPENDING password. To clear it:")
            lines.append(
                "           aws secretsmanager update-secret-version-stage --secret-id \(secretId) "
                    + "--version-stage AWSPENDING --remove-from-version-id \(stale)")
        } else if currentVersion == nil {
            lines.append("State:     no AWSCURRENT version: store a value before rotating.")
        } else if state == .overdue {
            lines.append("State:     overdue: the scheduled rotation is more than a day late (`rotator doctor`).")
        } else {
            lines.append(
                "State:     ok (no rotation in progress" + (state == .off ? "; rotation is not enabled)" : ")"))
        }
        if state == .rotating {
            lines.append("           AWSPENDING is recent: a rotation is probably running now.")
        }
        return lines
    }

    /// One JSON document (docs/reference/command-line.md lists its members). Dates are RFC 3339; nothing here is a value.
    package var json: String {
        var object = JSONObject([
            "secretId": .string(secretId), "arn": .string(arn), "name": .string(name), "state": .string(state.rawValue),
            "needsAttention": .bool(needsAttention),
        ])
        object["rotationEnabled"] = rotationEnabled.map(JSONValue.bool) ?? .null
        object["lastRotatedDate"] = lastRotatedDate.map { .string(Self.date($0)) } ?? .null
        object["nextRotationDate"] = nextRotationDate.map { .string(Self.date($0)) } ?? .null
        object["pendingVersion"] = pendingElsewhere.map(JSONValue.string) ?? .null
        object["versions"] = .array(
            versions.map { version in
                var entry = JSONObject([
                    "versionId": .string(version.versionId), "stages": .array(version.stages.map(JSONValue.string)),
                ])
                entry["createdDate"] = version.createdDate.map { .string(Self.date($0)) } ?? .null
                return .object(entry)
            })
        return object.serialized
    }

    /// The date in RFC 3339, or the raw number when it is not a plausible date (a server could send anything).
    static func date(_ epochSeconds: Double) -> String {
        guard epochSeconds.isFinite, (0...253_402_300_799).contains(epochSeconds) else { return "\(epochSeconds)" }
        let whole = epochSeconds.rounded(.down)
        return RFC3339.format(seconds: Int(whole), milliseconds: Int((epochSeconds - whole) * 1000))
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
