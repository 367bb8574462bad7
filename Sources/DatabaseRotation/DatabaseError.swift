import Rotation

/// A database failure, sorted by what the user has to fix. The message is one line built from the client
/// library's own texts, user names and hosts; it never holds a password or a password hash.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as far as the client can tell.
    public enum Category: String, Sendable, Equatable {
        /// The server could not be reached or went away (refused, unreachable, DNS, timeout, shutting down).
        case network
        /// The server refused the credential (wrong password, unknown user, no matching access rule).
        case authentication
        /// TLS could not be set up or the server's certificate did not verify.
        case tls
        /// The user lacks a privilege (no CONNECT, not allowed to log in, may not create users).
        case permission
        /// A secret version does not fit (missing keys, wrong engine, versions naming another user or host).
        case invalidSecret
        /// The function's configuration or the database setup is wrong (CA file, unknown database).
        case configuration
        /// The Lambda deadline left no time to start or finish the work.
        case timeout
        /// A connection failure whose text the driver does not recognise, such as a message in another language.
        /// Never taken for an unreachable host: the next credential is still tried.
        case connectionFailed
        /// The login succeeded without the server asking for the password (trust, peer, cert): it proves nothing.
        case passwordNotChecked
        /// A case this function does not handle yet.
        case unsupported
        /// Any other SQL error.
        case query
        /// An account's rights, read back after copying, differ from those they were copied from.
        case rightsMismatch
    }

    public var category: Category
    /// One line naming the cause, users and hosts; never a password or hash.
    public var message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    /// A secret that does not fit, with a template's exact text (missing keys, mismatched users).
    public static func invalidSecret(_ message: String) -> DatabaseError { DatabaseError(.invalidSecret, message) }

    /// The Lambda `errorType` code after `Target.` (`.invalidSecret` is reported as `Rotation.InvalidSecret`).
    public var code: TargetErrorCode {
        switch category {
        case .network: .network
        case .authentication: .loginFailed
        case .tls: .tls
        case .permission: .permission
        case .invalidSecret: TargetErrorCode("InvalidSecret")
        case .configuration: .configInvalid
        case .timeout: .timeout
        case .unsupported: .unsupported
        case .query: .queryFailed
        case .connectionFailed: .connectionFailed
        case .passwordNotChecked: .passwordNotChecked
        case .rightsMismatch: .rightsMismatch
        }
    }

    public var description: String { "\(category.rawValue): \(message)" }

    /// This error as a `RotationError`, with the message unchanged: `.invalidSecret` for a secret that does not
    /// fit, `.target(code:message:)` for the rest.
    public var rotationError: RotationError {
        category == .invalidSecret ? .invalidSecret(message) : .target(code, message: message)
    }

    /// This error as a `RotationError` whose message starts with a template's text and ends with the cause, so
    /// that users who search for the template's message still find it and the real cause is not hidden.
    public func rotationError(templateMessage: String) -> RotationError {
        .target(code, message: "\(templateMessage) (\(category.rawValue): \(message))")
    }
}

/// Runs a target step and reports a `DatabaseError` that escapes it as the `RotationError` the handler maps to a
/// Lambda `errorType`; every other error (reading a secret version, …) passes through unchanged.
func translatingDatabaseErrors<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as DatabaseError {
        throw error.rotationError
    }
}
