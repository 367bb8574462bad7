import Logging

/// What a `TargetService` gets for one step: which secret and version, a deadline, a logger, and a way to
/// read secret versions (from Secrets Manager, through the handler's client).
public struct RotationContext {
    /// The event's `SecretId` (an ARN when Secrets Manager invokes us).
    public let secretId: String
    /// The event's `ClientRequestToken`: the pending version's id.
    public let token: String
    /// The Lambda invocation's deadline; no connection attempt may start that cannot finish before it.
    public let deadline: Deadline
    public let logger: Logger
    private let readSecret: (_ secretId: String, _ stage: String, _ versionId: String?) throws -> SecretValue?
    private let listVersions: () throws -> [String]
    private let readTags: (_ secretId: String) throws -> [(key: String, value: String)]

    /// - Parameter readTags: another secret's tags (DescribeSecret); none by default.
    public init(
        secretId: String, token: String, deadline: Deadline, logger: Logger,
        listVersions: @escaping () throws -> [String] = { [] },
        readTags: @escaping (_ secretId: String) throws -> [(key: String, value: String)] = { _ in [] },
        readSecret: @escaping (_ secretId: String, _ stage: String, _ versionId: String?) throws -> SecretValue?
    ) {
        self.secretId = secretId
        self.token = token
        self.deadline = deadline
        self.logger = logger
        self.listVersions = listVersions
        self.readTags = readTags
        self.readSecret = readSecret
    }

    /// `otherSecretId`'s tags (DescribeSecret's `Tags`, one call): how an RDS-managed master secret names its
    /// database (`aws:rds:primaryDBInstanceArn`).
    public func tags(ofSecret otherSecretId: String) throws -> [(key: String, value: String)] {
        try readTags(otherSecretId)
    }

    /// The id of every version this secret has, deprecated ones included (ListSecretVersionIds): the tokens of all
    /// its rotations that Secrets Manager still keeps, for a target that names what it makes after the token.
    public func versionIds() throws -> [String] {
        try listVersions()
    }

    /// The `AWSCURRENT` value of this secret. - Throws: `RotationError` if it has none.
    public func current() throws -> SecretValue {
        guard let value = try readSecret(secretId, "AWSCURRENT", nil) else {
            throw RotationError.missingVersion(stage: "AWSCURRENT", secretId: secretId)
        }
        return value
    }

    /// The pending value (`AWSPENDING` on this rotation's token). - Throws: `RotationError` if it has none.
    public func pending() throws -> SecretValue {
        guard let value = try readSecret(secretId, "AWSPENDING", token) else {
            throw RotationError.missingVersion(stage: "AWSPENDING", secretId: secretId)
        }
        return value
    }

    /// The `AWSPREVIOUS` value, or `nil` when there is none.
    public func previous() throws -> SecretValue? {
        try readSecret(secretId, "AWSPREVIOUS", nil)
    }

    /// The `AWSCURRENT` value of another secret, such as the master secret named by `masterarn`.
    /// - Throws: `RotationError` if that secret has no current value.
    public func currentValue(ofSecret otherSecretId: String) throws -> SecretValue {
        guard let value = try readSecret(otherSecretId, "AWSCURRENT", nil) else {
            throw RotationError.missingVersion(stage: "AWSCURRENT", secretId: otherSecretId)
        }
        return value
    }
}
