import SecretsManager

/// A failed RDS call: the service's code and message (never a credential: the client redacts), or what kept an
/// answer from arriving. `message` says what to do where something can be done.
public struct RDSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service's error code (`AccessDenied`, `DBInstanceNotFound`, `Throttling`…), or this client's own:
    /// `Network`, `TLS`, `DeadlineExceeded`, `InvalidResponse`, `Configuration`.
    public var code: String
    public var message: String
    public var httpStatus: Int?

    public init(code: String, message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// The caller's role may not make the call: the message names the action and how to grant it.
    public var isAccessDenied: Bool {
        ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"].contains(code)
    }

    public var description: String { "\(code): \(message)" }
}

extension RDSError {
    package init(_ error: QueryError) {
        self.init(
            code: error.code == "Credentials" ? "Configuration" : error.code, message: error.message,
            httpStatus: error.httpStatus)
    }
}
