import JSON

/// Whether a secret version's credential works where it is used, as far as a target can tell.
public enum CredentialCheck: Sendable, Equatable {
    case works
    /// It was tried and refused (or could not be tried): the reason, without any secret.
    case fails(String)
    /// The target cannot try it (the generic target: the value is used somewhere the function does not know).
    case cannotTell
    /// The target could not be reached to try it (network, DNS, TLS, timeout): whether it works cannot be told,
    /// which is never taken for "does not work".
    case unreachable(String)
}

/// One check of `rotator doctor`.
public struct DiagnosticCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        case passed, failed, skipped
    }

    public var name: String
    public var status: Status
    /// What was found (never a secret value).
    public var detail: String
    /// What to do, for a failed check.
    public var advice: String?

    public init(_ name: String, _ status: Status, _ detail: String, advice: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.advice = advice
    }

    public static func passed(_ name: String, _ detail: String) -> DiagnosticCheck { .init(name, .passed, detail) }
    public static func failed(_ name: String, _ detail: String, advice: String? = nil) -> DiagnosticCheck {
        .init(name, .failed, detail, advice: advice)
    }
    public static func skipped(_ name: String, _ detail: String) -> DiagnosticCheck { .init(name, .skipped, detail) }

    var json: JSONObject {
        var object = JSONObject([
            "check": .string(name), "status": .string(status.rawValue), "detail": .string(detail),
        ])
        if let advice { object["advice"] = .string(advice) }
        return object
    }
}

/// The checks of one `rotator doctor` run, in order.
public struct Diagnosis: Sendable {
    public var secretId: String
    public var checks: [DiagnosticCheck]

    public var passed: Bool { !checks.contains(where: { $0.status == .failed }) }

    public var lines: [String] {
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

    public var json: String {
        JSONObject([
            "secretId": .string(secretId), "passed": .bool(passed), "checks": .array(checks.map { .object($0.json) }),
        ]).serialized
    }
}
