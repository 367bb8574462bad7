import JSON
import Rotation

/// The checks of one `rotator doctor` run, in order.
package struct Diagnosis: Sendable {
    package var secretId: String
    package var checks: [DiagnosticCheck]

    package var passed: Bool { !checks.contains(where: { $0.status == .failed }) }

    package var lines: [String] {
        var lines = ["Doctor: \(secretId)"]
        for check in checks {
            let mark =
                switch check.status {
                case .passed: "passed "
                case .failed: "FAILED "
                case .skipped: "skipped"
                }
            lines.append("  \(mark)  \(check.name): \(check.detail)")
            if let advice = check.advice { lines.append("           → \(advice)") }
        }
        let failed = checks.filter { $0.status == .failed }.count
        lines.append(
            failed == 0
                ? "All \(checks.filter { $0.status == .passed }.count) checks passed."
                : "\(failed) check\(failed == 1 ? "" : "s") failed.")
        return lines
    }

    package var json: String {
        JSONObject([
            "secretId": .string(secretId), "passed": .bool(passed), "checks": .array(checks.map { .object($0.json) }),
        ]).serialized
    }
}
