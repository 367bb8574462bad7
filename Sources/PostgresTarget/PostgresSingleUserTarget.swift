import JSON
import Rotation

/// Single-user rotation: the user changes its own password, as AWS's
/// `SecretsManagerRDSPostgreSQLRotationSingleUser` does, with the same secret JSON and messages.
///
/// The new password reaches the server only as a SCRAM-SHA-256 verifier computed here.
public struct PostgresSingleUserTarget: TargetService {
    public let name = "postgres"
    public let configuration: PostgresTargetConfiguration
    /// The PostgreSQL templates' `EXCLUDE_CHARACTERS` default, with `:` for `.pgpass` files.
    public var defaultExcludeCharacters: String { PostgresTargetFactory.defaultExcludeCharacters }

    public init(configuration: PostgresTargetConfiguration) {
        self.configuration = configuration
    }

    /// The current secret with a new `password`; every other key, value and the key order stay.
    /// - Throws: `RotationError.invalidSecret` with the template's message when the current
    ///   secret lacks a key or names another engine.
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        try translatingPostgresErrors {
            _ = try PostgresSecret(current, validation: .singleUser)
            guard case .json(var object) = current else { return current }
            object["password"] = .string(newPassword)
            return .json(object)
        }
    }

    /// Puts the pending password in place: returns at once if it already works (a re-driven rotation); else
    /// logs in with the current credential, or the previous one, and changes the user's own password.
    /// - Throws: `RotationError.invalidSecret` for versions naming another user or host; `RotationError.target`
    ///   with reason `LoginFailed`/`Network`/`TLS`/`Timeout` when no credential logs in (the message starts with the
    ///   template's `Unable to log into database with previous, current, or pending secret of secret arn …`),
    ///   `Permission` when the server refuses the change. Nothing has changed on the server in those cases.
    public func setSecret(_ context: RotationContext) throws {
        try setSecret(context, current: try context.current())
    }

    /// `setSecret` with the current value already read.
    func setSecret(_ context: RotationContext, current currentValue: SecretValue) throws {
        try translatingPostgresErrors {
            let arn = context.secretId
            let previous = try previousSecret(context)
            let current = try PostgresSecret(currentValue, validation: .singleUser)
            let pending = try PostgresSecret(try context.pending(), validation: .singleUser)
            let connector = PostgresConnector(configuration: configuration, context: context)

            if connector.pendingAlreadyLogsIn(pending) { return }
            guard current.username == pending.username else {
                throw PostgresError.invalidSecret("Attempting to modify user \(pending.username.loggable) other than current user \(current.username.loggable)")
            }
            guard current.host == pending.host else {
                throw PostgresError.invalidSecret("Attempting to modify user for host \(pending.host.loggable) other than current host \(current.host.loggable)")
            }
            let connection = try login(current: current, previous: previous, pending: pending, connector: connector)
            defer { connection.close() }
            try PostgresRoleStatements.setPassword(pending.password, of: pending.username, on: connection)
            context.logger.info("setSecret: Successfully set password for user \(pending.username.loggable) in PostgreSQL DB for secret arn \(arn).")
        }
    }

    /// Logs in with the pending credential and runs `SELECT NOW()`.
    /// - Throws: `RotationError.target` whose message starts with the template's
    ///   `Unable to log into database with pending secret of secret ARN …` and names the cause.
    public func testSecret(_ context: RotationContext) throws {
        try testSecret(context, pending: try context.pending())
    }

    /// `testSecret` with the pending value already read.
    func testSecret(_ context: RotationContext, pending pendingValue: SecretValue) throws {
        try translatingPostgresErrors {
            let pending = try PostgresSecret(pendingValue, validation: .singleUser)
            try testPendingLogin(pending, configuration: configuration, context: context)
        }
    }

    /// `AWSPREVIOUS`, or `nil` when there is none or it is not a usable PostgreSQL secret (the template's
    /// PR #59: a broken previous version must not hide why the current one failed).
    private func previousSecret(_ context: RotationContext) throws -> PostgresSecret? {
        guard let value = try context.previous() else { return nil }
        do throws(PostgresError) {
            return try PostgresSecret(value, validation: .singleUser)
        } catch {
            context.logger.info("setSecret: AWSPREVIOUS of secret arn \(context.secretId) is not usable (\(error.message)); ignoring it")
            return nil
        }
    }

    /// The current credential's connection, else the previous one's (with the current `ssl` setting, as the
    /// template does since its fix for AWSPREVIOUS logins).
    private func login(current: PostgresSecret, previous: PostgresSecret?, pending: PostgresSecret,
                       connector: PostgresConnector) throws -> PostgresConnection {
        let template = "Unable to log into database with previous, current, or pending secret of secret arn \(connector.context.secretId)"
        let currentError: PostgresError
        // Proving the password here as well: a user the server lets in without one could never pass testSecret,
        // so the rotation stops before anything changes.
        switch connector.attemptProvingPassword(current, label: "AWSCURRENT") {
        case .success(let connection): return connection
        case .failure(let error): currentError = error
        }
        guard var previous else { throw currentError.rotationError(templateMessage: template) }
        previous.ssl = current.ssl
        // Checked before logging in (the template logs in first, and leaks that connection when the check fails).
        guard previous.username == pending.username else {
            throw PostgresError.invalidSecret("Attempting to modify user \(pending.username.loggable) other than previous valid user \(previous.username.loggable)")
        }
        guard previous.host == pending.host else {
            throw PostgresError.invalidSecret("Attempting to modify user for host \(pending.host.loggable) other than current previous valid \(previous.host.loggable)")
        }
        switch connector.attemptProvingPassword(previous, label: "AWSPREVIOUS") {
        case .success(let connection):
            return connection
        case .failure(let previousError):
            throw RotationError.target(reason: currentError.reason,
                message: "\(template) (AWSCURRENT: \(currentError); AWSPREVIOUS: \(previousError))")
        }
    }
}
