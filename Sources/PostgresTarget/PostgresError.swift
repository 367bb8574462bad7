import Rotation

/// A PostgreSQL failure, sorted by what the user has to fix. The message is one line built from libpq's
/// own texts, user names and hosts; it never holds a password or a password verifier.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as far as the client can tell.
    public enum Category: String, Sendable, Equatable {
        /// The server could not be reached or went away (refused, unreachable, DNS, timeout, shutting down).
        case network
        /// The server refused the credential (wrong password, unknown role, no pg_hba.conf entry).
        case authentication
        /// TLS could not be set up or the server's certificate did not verify.
        case tls
        /// The role lacks a privilege (SQLSTATE 42501, no CONNECT, not allowed to log in).
        case permission
        /// A secret version does not fit (missing keys, wrong engine, versions naming another user or host).
        case invalidSecret
        /// The function's configuration or the database setup is wrong (CA file, unknown database).
        case configuration
        /// The Lambda deadline left no time to start or finish the work.
        case timeout
        /// A connection failure whose text we do not recognise, such as a server message in another language.
        /// Never taken for an unreachable host: the next credential is still tried.
        case connectionFailed
        /// The login succeeded without the server asking for the password (trust, peer or cert), so it proves nothing.
        case passwordNotChecked
        /// A case this function does not handle yet.
        case unsupported
        /// Any other SQL error.
        case query
    }

    public var category: Category
    /// One line naming the cause, users and hosts; never a password or verifier.
    public var message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    /// The Lambda `errorType` suffix: the handler reports `Target.<reason>` (`Rotation.InvalidSecret` for
    /// `.invalidSecret`).
    public var reason: String {
        switch category {
        case .network: "Network"
        case .authentication: "LoginFailed"
        case .tls: "TLS"
        case .permission: "Permission"
        case .invalidSecret: "InvalidSecret"
        case .configuration: "ConfigInvalid"
        case .timeout: "Timeout"
        case .unsupported: "Unsupported"
        case .passwordNotChecked: "PasswordNotChecked"
        case .query: "QueryFailed"
        case .connectionFailed: "ConnectionFailed"
        }
    }

    public var description: String { "\(category.rawValue): \(message)" }

    /// This error as a `RotationError`, with the message unchanged: `.invalidSecret` for a secret that does not
    /// fit, `.target(reason:message:)` for the rest.
    public var rotationError: RotationError {
        category == .invalidSecret ? .invalidSecret(message) : .target(reason: reason, message: message)
    }

    /// This error as a `RotationError` whose message starts with a template's text and ends with the cause, so
    /// that users who search for the template's message still find it and the real cause is not hidden.
    public func rotationError(templateMessage: String) -> RotationError {
        .target(reason: reason, message: "\(templateMessage) (\(category.rawValue): \(message))")
    }

    /// A secret that does not fit, with a template's exact text (missing keys, mismatched users).
    static func invalidSecret(_ message: String) -> PostgresError { PostgresError(.invalidSecret, message) }
}
