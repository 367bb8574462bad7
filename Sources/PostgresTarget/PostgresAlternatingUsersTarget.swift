import JSON
import Rotation

/// Alternating-users rotation, as AWS's `SecretsManagerRDSPostgreSQLRotationMultiUser` does it: the secret
/// switches between `name` and `name_clone`; a master user (from the secret named by `masterarn`) creates the
/// clone once, as a member of the original role so it has the same rights, and from then on sets the password
/// of whichever user is idle. The users never lose a working password in the middle of a rotation.
public struct PostgresAlternatingUsersTarget: TargetService {
    public let name = "postgres-alternating"
    public let configuration: PostgresTargetConfiguration
    /// The PostgreSQL templates' `EXCLUDE_CHARACTERS` default, with `:` for `.pgpass` files.
    public var defaultExcludeCharacters: String { PostgresTargetFactory.defaultExcludeCharacters }

    public init(configuration: PostgresTargetConfiguration) {
        self.configuration = configuration
    }

    /// The current secret with the other user's name and a new password; every other key stays.
    /// - Throws: `RotationError.invalidSecret` with the template's messages (missing keys,
    ///   wrong engine, `Unable to clone user, username length with _clone appended would exceed 63 characters`).
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        try translatingPostgresErrors {
            let secret = try PostgresSecret(current, validation: .alternatingUsers)
            guard case .json(var object) = current else { return current }
            object["username"] = .string(try PostgresUserNames.alternate(of: secret.username))
            object["password"] = .string(newPassword)
            return .json(object)
        }
    }

    /// Creates the pending user or sets its password, logged in as the master user.
    /// - Throws: `RotationError.invalidSecret` for a pending user that is not the current one's alternate,
    ///   another host, or a missing `masterarn`; `RotationError.target` with reason `Unsupported` for an RDS-managed master secret;
    ///   `LoginFailed`/`Network`/`TLS`/`Timeout` when the current or master credential cannot log in (the
    ///   template's messages, with the cause); `Permission` when the master may not create or alter roles.
    public func setSecret(_ context: RotationContext) throws {
        try setSecret(context, current: try context.current())
    }

    /// `setSecret` with the current value already read.
    func setSecret(_ context: RotationContext, current currentValue: SecretValue) throws {
        try translatingPostgresErrors {
            let arn = context.secretId
            let current = try PostgresSecret(currentValue, validation: .alternatingUsers)
            let pending = try PostgresSecret(try context.pending(), validation: .alternatingUsers)
            let connector = PostgresConnector(configuration: configuration, context: context)

            if connector.pendingAlreadyLogsIn(pending) { return }
            guard try PostgresUserNames.alternate(of: current.username) == pending.username else {
                throw PostgresError.invalidSecret("Attempting to modify user \(pending.username.loggable) other than current user or clone \(current.username.loggable)")
            }
            guard current.host == pending.host else {
                throw PostgresError.invalidSecret("Attempting to modify user for host \(pending.host.loggable) other than current host \(current.host.loggable)")
            }
            // The current credential must work: whoever can write AWSPENDING must not get the master to act
            // for a user they do not control (the template's "confused deputy" guard).
            switch connector.attemptProvingPassword(current, label: "AWSCURRENT") {
            case .success(let connection): connection.close()
            case .failure(let error):
                throw error.rotationError(templateMessage: "Unable to log into database using current credentials for secret \(arn)")
            }
            let (master, masterARN) = try masterSecret(for: current, context: context)
            let connection: PostgresConnection
            switch connector.attempt(master, label: "master") {
            case .success(let opened): connection = opened
            case .failure(let error):
                throw error.rotationError(templateMessage: "Unable to log into database using credentials in master secret \(masterARN)")
            }
            defer { connection.close() }
            if try PostgresRoleStatements.roleExists(pending.username, on: connection) {
                try PostgresRoleStatements.setPassword(pending.password, of: pending.username, on: connection)
            } else {
                try PostgresRoleStatements.createRole(pending.username, password: pending.password,
                                                      memberOf: current.username, on: connection)
                context.logger.info("setSecret: Created role \(pending.username.loggable) as a member of \(current.username.loggable) for secret arn \(arn).")
            }
            context.logger.info("setSecret: Successfully set password for \(pending.username.loggable) in PostgreSQL DB for secret arn \(arn).")
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
            let pending = try PostgresSecret(pendingValue, validation: .alternatingUsers)
            try testPendingLogin(pending, configuration: configuration, context: context)
        }
    }

    /// The master secret named by the current one's `masterarn`, with the child's database, on the same host.
    private func masterSecret(for current: PostgresSecret, context: RotationContext) throws -> (PostgresSecret, String) {
        guard let masterARN = current.masterARN else {
            switch current.masterARNValue {
            case nil, .null?: throw PostgresError.invalidSecret("masterarn key is missing from secret JSON")
            case .string?: throw PostgresError.invalidSecret("masterarn in secret JSON is empty")
            case let other?: throw PostgresError.invalidSecret("masterarn in secret JSON must be a string, not a \(other.typeName)")
            }
        }
        let value = try context.currentValue(ofSecret: masterARN)
        if let object = value.object, Set(object.keys) == ["username", "password"] {
            throw PostgresError(.unsupported, "Master secret \(masterARN) is an RDS-managed secret (only username and "
                + "password); finding its database through RDS is not supported yet: use a master secret that has "
                + "engine, host and port")
        }
        var master: PostgresSecret
        do throws(PostgresError) {
            master = try PostgresSecret(value, validation: .alternatingUsers)
        } catch {
            throw PostgresError(error.category, "\(error.message) (master secret \(masterARN))")
        }
        // The child's database wins (the template's PR #122): the master may name another one.
        master.dbname = current.dbname
        guard current.host == master.host else {
            throw PostgresError.invalidSecret("Current database host \(current.host.loggable) is not the same host as/rds replica of master \(master.host.loggable)")
        }
        return (master, masterARN)
    }
}
