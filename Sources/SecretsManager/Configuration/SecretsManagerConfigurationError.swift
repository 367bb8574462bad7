/// The environment does not describe a usable Secrets Manager client (no region, bad endpoint, unsupported
/// credential source). Not retryable: report `message` and stop. It names variables and files, never values
/// of credentials.
public struct SecretsManagerConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
