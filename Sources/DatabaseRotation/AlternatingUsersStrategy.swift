import JSON
import RDS
import Rotation

/// Alternating-users rotation, as AWS's `…RotationMultiUser` templates do it: the secret switches between `name`
/// and `name_clone`; a master user (from the secret named by `masterarn`) creates the clone once, with the
/// original's rights, and from then on sets the password of whichever user is idle. The users never lose a
/// working password in the middle of a rotation.
public struct AlternatingUsersStrategy<Driver: DatabaseDriver>: TargetService {
    public let driver: Driver
    public let configuration: DatabaseTargetConfiguration
    /// Where RDS-managed master secrets and replicas are looked up.
    public let rds: RDSDirectory

    public init(driver: Driver, configuration: DatabaseTargetConfiguration, rds: RDSDirectory = .none) {
        self.driver = driver
        self.configuration = configuration
        self.rds = rds
    }

    public var name: String { driver.name }
    public var defaultExcludeCharacters: String { driver.defaultExcludeCharacters }

    /// The current secret with the other user's name and a new password; every other key stays.
    /// - Throws: `RotationError.invalidSecret` with the template's messages (missing keys, wrong engine,
    ///   `Unable to clone user, username length with _clone appended would exceed … characters`).
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try translatingDatabaseErrors {
            let secret = try DatabaseSecret(current, driver: driver, validation: .alternatingUsers)
            let alternate = try alternateName(of: secret.username)
            return try current.replacing("username", with: alternate, secretId: context.secretId)
                .replacing("password", with: newPassword, secretId: context.secretId)
        }
    }

    /// Creates the pending user or sets its password, logged in as the master user.
    /// - Throws: `RotationError.invalidSecret` for a pending user that is not the current one's alternate, another
    ///   host, or a missing `masterarn`; `Permission` when RDS denies the lookup of an RDS-managed master's database;
    ///   `LoginFailed`/`Network`/`TLS`/`Timeout`/`PasswordNotChecked` when the current or master
    ///   credential cannot log in (the templates' messages, with the cause); `Permission` when the master may not
    ///   create users or set passwords.
    public func setSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let arn = context.secretId
            let current = try DatabaseSecret(try context.current(), driver: driver, validation: .alternatingUsers)
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .alternatingUsers)
            let connector = DatabaseConnector(driver: driver, configuration: configuration, context: context)

            // Where rights are copied, the pending password is set before the copy is finished and verified (so
            // that an account in use never has fewer rights than it had): a login proves nothing about the rights.
            if !driver.copiesRights, connector.pendingAlreadyLogsIn(pending) { return }
            guard
                try alternateName(of: current.username)
                    == pending.username
            else {
                throw DatabaseError.invalidSecret(
                    "Attempting to modify user \(pending.username.loggable) other than current user or clone \(current.username.loggable)"
                )
            }
            guard current.host == pending.host else {
                throw DatabaseError.invalidSecret(
                    "Attempting to modify user for host \(pending.host.loggable) other than current host \(current.host.loggable)"
                )
            }
            // The account the application logs in as, with its real host part: the clone gets the same one.
            let currentAccount = try provenAccount(current, connector: connector)
            let pendingAccount = currentAccount.named(pending.username)
            let session = try masterSession(for: current, connector: connector)
            defer { session.close() }
            if try session.userExists(pendingAccount) {
                try session.updateUser(pendingAccount, password: pending.password, like: currentAccount)
            } else {
                try session.createUser(pendingAccount, password: pending.password, like: currentAccount)
                context.logger.info(
                    "setSecret: Created user \(pendingAccount) with the rights of \(currentAccount) for secret arn \(arn)."
                )
            }
            context.logger.info(
                "setSecret: Successfully set password for \(pending.username.loggable) in \(driver.displayName) DB for secret arn \(arn)."
            )
        }
    }

    /// Logs in with the pending credential, with a checked password, and runs a trivial query.
    /// - Throws: `RotationError.target` whose message starts with the template's
    ///   `Unable to log into database with pending secret of secret ARN …` and names the cause.
    public func testSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .alternatingUsers)
            try testPendingLogin(pending, driver: driver, configuration: configuration, context: context)
        }
    }

    /// The account the current credential logs in as, its password checked: whoever can write AWSPENDING must not get
    /// the master to act for a user they do not control (the templates' "confused deputy" guard).
    func provenAccount(_ current: DatabaseSecret, connector: DatabaseConnector<Driver>) throws -> DatabaseAccount {
        switch connector.attempt(current, label: "AWSCURRENT", provingPassword: true) {
        case .success(let session):
            defer { session.close() }
            return session.account
        case .failure(let error):
            throw error.rotationError(
                templateMessage:
                    "Unable to log into database using current credentials for secret \(connector.context.secretId)")
        }
    }

    /// A session of the user of the master secret the current one names.
    func masterSession(for current: DatabaseSecret, connector: DatabaseConnector<Driver>) throws -> Driver.Session {
        let (master, masterARN) = try masterSecret(for: current, context: connector.context)
        switch connector.attempt(master, label: "master", provingPassword: false) {
        case .success(let session):
            return session
        case .failure(let error):
            throw error.rotationError(
                templateMessage: "Unable to log into database using credentials in master secret \(masterARN)")
        }
    }

    /// The other user's name, within the server's limit (or `USERNAME_CHARACTER_LIMIT`).
    private func alternateName(of user: String) throws(DatabaseError) -> String {
        try UserNames.alternate(
            of: user, maximum: configuration.userNameLimit ?? driver.maximumUserNameLength,
            unit: driver.userNameLengthUnit)
    }

    /// The master secret named by the current one's `masterarn` (its database found through RDS when RDS manages
    /// it), with the child's database, on the same host or one RDS says is the same database.
    func masterSecret(for current: DatabaseSecret, context: RotationContext) throws -> (DatabaseSecret, String) {
        let (master, masterARN, _) = try masterSecretAndSource(for: current, context: context)
        return (master, masterARN)
    }

    /// The same, and whether its database was found through RDS (an RDS-managed master secret).
    func masterSecretAndSource(for current: DatabaseSecret, context: RotationContext) throws
        -> (DatabaseSecret, String, foundThroughRDS: Bool)
    {
        guard let masterARN = current.masterARN else {
            switch current.masterARNValue {
            case nil, .null?: throw DatabaseError.invalidSecret("masterarn key is missing from secret JSON")
            case .string?: throw DatabaseError.invalidSecret("masterarn in secret JSON is empty")
            case let other?:
                throw DatabaseError.invalidSecret("masterarn in secret JSON must be a string, not a \(other.typeName)")
            }
        }
        var value = try context.currentValue(ofSecret: masterARN)
        let database = MasterDatabase(rds: rds, context: context)
        var cluster: RDSCluster?
        let foundThroughRDS = MasterDatabase.isRDSManaged(value)
        if foundThroughRDS {
            (value, cluster) = try database.resolve(value, masterARN: masterARN)
        }
        var master: DatabaseSecret
        do throws(DatabaseError) {
            master = try DatabaseSecret(value, driver: driver, validation: .alternatingUsers)
        } catch {
            throw DatabaseError(error.category, "\(error.message) (master secret \(masterARN))")
        }
        // The child's database wins (the templates' PR #122): the master may name another one.
        master.dbname = current.dbname
        if current.host != master.host,
            let why = database.sameDatabase(userHost: current.host, masterHost: master.host, cluster: cluster)
        {
            throw DatabaseError.invalidSecret(
                "Current database host \(current.host.loggable) is not the same host as/rds replica of master \(master.host.loggable) (\(why.loggable))"
            )
        }
        return (master, masterARN, foundThroughRDS)
    }
}
