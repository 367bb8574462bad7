import Rotation

/// The operator commands' view of a target: its diagnostic hooks when it has them (`DiagnosableTarget`), else
/// "cannot tell", no checks of its own, nothing to clean up.
extension TargetService {
    func checkCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck {
        (self as? any DiagnosableTarget)?.verifyCredential(value, label: label, context: context) ?? .cannotTell
    }

    func ownChecks(current: SecretValue, previous: SecretValue?, context: RotationContext) -> [DiagnosticCheck] {
        (self as? any DiagnosableTarget)?.diagnose(current: current, previous: previous, context: context) ?? []
    }

    func cleanUpClearedAttempt(_ context: RotationContext) throws -> [String] {
        try (self as? any DiagnosableTarget)?.didClearPending(context) ?? []
    }
}
