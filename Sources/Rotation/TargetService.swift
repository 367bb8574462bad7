import Logging

/// What differs between the systems a secret protects: a database, an API, or nothing at all.
///
/// `RotationHandler` runs the parts every rotation shares (the preamble checks, generating and storing the
/// pending version, moving `AWSCURRENT`) and calls the target for the rest. Every method must be idempotent:
/// Secrets Manager retries whole rotations, and a crash can happen between any two lines.
public protocol TargetService {
    /// A short name for logs and error messages (`generic`, `postgres`, …).
    var name: String { get }

    /// The value to store as the pending version, given the current one and a freshly generated password.
    /// The default replaces `password` in a JSON secret (keeping every other key, value and the key order)
    /// and replaces a plain secret with the bare password. Alternating-user targets also change `username`.
    /// - Throws: `RotationError` when the current value cannot be rotated (missing fields, wrong engine).
    func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue

    /// `setSecret`: put the pending credential in place in the target system.
    func setSecret(_ context: RotationContext) throws

    /// `testSecret`: prove the pending credential works.
    func testSecret(_ context: RotationContext) throws

    /// `finishSecret`, before `AWSCURRENT` moves: for example expire the previous API key. Default: nothing.
    func finishSecret(_ context: RotationContext) throws

    /// `EXCLUDE_CHARACTERS` when the variable is unset. Default: the templates' `/@"'\`.
    var defaultExcludeCharacters: String { get }
}

extension TargetService {
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        switch current {
        case .json(var object):
            object["password"] = .string(newPassword)
            return .json(object)
        case .plain:
            return .plain(newPassword)
        }
    }

    public func finishSecret(_ context: RotationContext) throws {}

    public var defaultExcludeCharacters: String { PasswordPolicy.defaultExcludeCharacters }
}
