import JSON

/// What the operator commands (`rotator doctor`, `rotator repair`, in `RotationOperations`) need from a target
/// beyond a rotation: trying a credential where it is used, checks of its own, and cleaning up after a cleared
/// attempt. A target that does not conform is "cannot tell" to them.
public protocol DiagnosableTarget: TargetService {
    /// Whether `value`'s credential works where it is used (`rotator repair` decides with it). It must change
    /// nothing. Default: `.cannotTell`.
    func verifyCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck

    /// The target's own checks for `rotator doctor` (reachability, TLS, logins, privileges), after the generic ones
    /// passed. Read-only. Default: none.
    func diagnose(current: SecretValue, previous: SecretValue?, context: RotationContext) -> [DiagnosticCheck]

    /// `rotator repair` took AWSPENDING off this rotation's version (`context.token`) because it never reached the
    /// target: undo what the attempt may still have left there (an API key it minted). Returns what it did, one line
    /// each. Default: nothing.
    func didClearPending(_ context: RotationContext) throws -> [String]
}

extension DiagnosableTarget {
    public func verifyCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck {
        .cannotTell
    }

    public func diagnose(current: SecretValue, previous: SecretValue?, context: RotationContext) -> [DiagnosticCheck] {
        []
    }

    public func didClearPending(_ context: RotationContext) throws -> [String] { [] }
}

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

    package var json: JSONObject {
        var object = JSONObject([
            "check": .string(name), "status": .string(status.rawValue), "detail": .string(detail),
        ])
        if let advice { object["advice"] = .string(advice) }
        return object
    }
}
