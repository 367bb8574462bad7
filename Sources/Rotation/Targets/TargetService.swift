import Logging

/// What differs between the systems a secret protects: a database, an API, or nothing at all.
///
/// `RotationHandler` runs the parts every rotation shares (the preamble checks, generating and storing the
/// pending version, moving `AWSCURRENT`) and calls the target for the rest. Every method must be idempotent:
/// Secrets Manager retries whole rotations, and a crash can happen between any two lines.
public protocol TargetService {
    /// A short name for logs and error messages (`generic`, `postgres`, …).
    var name: String { get }

    /// Checks, at the start of every step, that the current value is one this target can rotate safely.
    /// Default: nothing. A target refuses here what it must never touch (for the generic target: a database
    /// secret, whose password would change in Secrets Manager only).
    /// - Throws: `RotationError` (`invalidSecret`, `noTarget`) saying what to change.
    func checkCurrent(_ current: SecretValue, context: RotationContext) throws

    /// The value to store as the pending version, given the current one and a freshly generated password.
    /// The default replaces `password` in a JSON secret (keeping every other key, value and the key order),
    /// refuses a JSON secret without it, and replaces a plain secret with the bare password.
    /// - Throws: `RotationError` when the current value cannot be rotated (missing fields, wrong engine).
    func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue

    /// createSecret for a target whose new credential the system itself issues (an API mints a key): the pending
    /// value, or `nil` to draw a password and call `makePendingSecret` (the default). Called once per createSecret
    /// that finds no pending value yet, so it must first find and retire what an earlier attempt issued and never
    /// stored (the attempt may have crashed after the system answered).
    func issuePendingSecret(current: SecretValue, context: RotationContext) throws -> SecretValue?

    /// `setSecret`: put the pending credential in place in the target system.
    func setSecret(_ context: RotationContext) throws

    /// `testSecret`: prove the pending credential works.
    func testSecret(_ context: RotationContext) throws

    /// `finishSecret`, before `AWSCURRENT` moves: prove once more that the pending credential works where it is
    /// used, so that no sequence of steps (a finishSecret invoked by hand after a failed testSecret) can move the
    /// label to a credential that locks the application out. Default: `testSecret`.
    func provePending(_ context: RotationContext) throws

    /// `finishSecret`, *after* `AWSCURRENT` has moved to this rotation's version: the place to retire the
    /// previous credential (for example revoke the API key `AWSPREVIOUS` now holds). Default: nothing.
    ///
    /// Contract: it also runs when finishSecret is re-driven for a version that already holds `AWSCURRENT`, so a
    /// crash between the label move and this hook is healed by Secrets Manager's retry; it must therefore be
    /// idempotent, and retire only what `AWSPREVIOUS` or older versions hold, never `AWSCURRENT`'s credential.
    /// A failure is reported (the rotation is retried), but `AWSCURRENT` stays on the new version.
    func didFinishSecret(_ context: RotationContext) throws

    /// `EXCLUDE_CHARACTERS` when the variable is unset. Default: the templates' `/@"'\`.
    var defaultExcludeCharacters: String { get }

    /// Whether new credentials are generated passwords (the password policy applies), rather than issued by the
    /// system itself (`issuePendingSecret`). Default: `true`.
    var generatesPasswords: Bool { get }

    /// How this target rotates `current` (`single`, `alternating`, `dual`), for the step's outcome line and metrics;
    /// `nil` when it has one way only. Default: `nil`.
    func strategyName(for current: SecretValue) -> String?
}

extension TargetService {
    public func checkCurrent(_ current: SecretValue, context: RotationContext) throws {}

    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try current.replacing("password", with: newPassword, secretId: context.secretId)
    }

    public func issuePendingSecret(current: SecretValue, context: RotationContext) throws -> SecretValue? { nil }

    public func provePending(_ context: RotationContext) throws {
        try testSecret(context)
    }

    public func didFinishSecret(_ context: RotationContext) throws {}

    public var defaultExcludeCharacters: String { PasswordPolicy.defaultExcludeCharacters }

    public var generatesPasswords: Bool { true }

    public func strategyName(for current: SecretValue) -> String? { nil }
}

extension SecretValue {
    /// This value with `key`'s string replaced by `newValue`; a plain secret becomes the bare `newValue`.
    /// - Throws: `RotationError.invalidSecret` for a JSON secret without `key`, or whose `key` is not a string:
    ///   adding one would leave the key the application reads unchanged.
    public func replacing(_ key: String, with newValue: String, secretId: String) throws(RotationError) -> SecretValue {
        switch self {
        case .plain:
            return .plain(newValue)
        case .json(var object):
            guard let existing = object[key] else {
                throw .invalidSecret(
                    "Secret \(secretId) is JSON without a \"\(key)\" key, so there is no password to rotate. Add the key, "
                        + "or set ROTATOR_PASSWORD_KEY to the key that holds the credential.")
            }
            guard existing.stringValue != nil else {
                throw .invalidSecret(
                    "The \"\(key)\" key of secret \(secretId) is a JSON \(existing.typeName), not a string.")
            }
            object[key] = .string(newValue)
            return .json(object)
        }
    }
}
