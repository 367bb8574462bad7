import Rotation

/// Single-user rotation: the user changes its own password, as AWS's `…RotationSingleUser` templates do, with
/// the same secret JSON and messages.
///
/// With `keepsCurrentPassword` it is the dual-password strategy, which no AWS template has: the new password is
/// added beside the current one (MySQL's `RETAIN CURRENT PASSWORD`), so connections still using the current one
/// keep working until the next rotation replaces it; there is no window in which the application is locked out.
public struct SingleUserStrategy<Driver: DatabaseDriver>: TargetService {
    public let driver: Driver
    public let configuration: DatabaseTargetConfiguration
    public let keepsCurrentPassword: Bool

    public init(driver: Driver, configuration: DatabaseTargetConfiguration, keepsCurrentPassword: Bool = false) {
        self.driver = driver
        self.configuration = configuration
        self.keepsCurrentPassword = keepsCurrentPassword
    }

    public var name: String { driver.name }
    public var defaultExcludeCharacters: String { driver.defaultExcludeCharacters }

    /// The current secret with a new `password`; every other key, value and the key order stay.
    /// - Throws: `RotationError.invalidSecret` with the template's message when the current secret lacks a key or
    ///   names another engine.
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try translatingDatabaseErrors {
            _ = try DatabaseSecret(current, driver: driver, validation: .singleUser)
            return try current.replacing("password", with: newPassword, secretId: context.secretId)
        }
    }

    /// Puts the pending password in place: returns at once if it already works (a re-driven rotation); else
    /// logs in with the current credential, or the previous one, and changes the user's own password.
    /// - Throws: `RotationError.invalidSecret` for versions naming another user or host; `RotationError.target`
    ///   (`LoginFailed`, `Network`, `TLS`, `Timeout`, `PasswordNotChecked`) when no credential logs in with a checked
    ///   password (the message starts with the template's `Unable to log into database with previous, current, or
    ///   pending secret of secret arn …`), `Permission` when the server refuses the change. Nothing has changed on
    ///   the server in those cases.
    public func setSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let arn = context.secretId
            let previous = try previousSecret(context)
            let current = try DatabaseSecret(try context.current(), driver: driver, validation: .singleUser)
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .singleUser)
            let connector = DatabaseConnector(driver: driver, configuration: configuration, context: context)

            if connector.pendingAlreadyLogsIn(pending) { return }
            try pending.requireSameAccount(as: current, user: "current user", host: "current host")
            let session = try login(current: current, previous: previous, pending: pending, connector: connector)
            defer { session.close() }
            if keepsCurrentPassword {
                try session.changeOwnPasswordKeepingCurrent(to: pending.password)
            } else {
                try session.changeOwnPassword(to: pending.password)
            }
            context.logger.info(
                "setSecret: Successfully set password for user \(pending.username.loggable) in \(driver.displayName) DB for secret arn \(arn)."
            )
        }
    }

    /// Logs in with the pending credential, with a checked password, and runs a trivial query.
    /// - Throws: `RotationError.target` whose message starts with the template's
    ///   `Unable to log into database with pending secret of secret ARN …` and names the cause.
    public func testSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .singleUser)
            try testPendingLogin(pending, driver: driver, configuration: configuration, context: context)
        }
    }

    /// `AWSPREVIOUS`, or `nil` when there is none or it is not a usable secret (the templates' PR #59: a broken
    /// previous version must not hide why the current one failed).
    private func previousSecret(_ context: RotationContext) throws -> DatabaseSecret? {
        guard let value = try context.previous() else { return nil }
        do throws(DatabaseError) {
            return try DatabaseSecret(value, driver: driver, validation: .singleUser)
        } catch {
            context.logger.info(
                "setSecret: AWSPREVIOUS of secret arn \(context.secretId) is not usable (\(error.message)); ignoring it"
            )
            return nil
        }
    }

    /// The current credential's session, else the previous one's (with the current `ssl` setting, as the templates
    /// do since their fix for AWSPREVIOUS logins). Both must have had their password checked: a user the server lets
    /// in without one could never pass testSecret, so the rotation stops before anything changes.
    private func login(
        current: DatabaseSecret, previous: DatabaseSecret?, pending: DatabaseSecret,
        connector: DatabaseConnector<Driver>
    ) throws -> Driver.Session {
        let template =
            "Unable to log into database with previous, current, or pending secret of secret arn \(connector.context.secretId)"
        let currentError: DatabaseError
        switch connector.attempt(current, label: "AWSCURRENT", provingPassword: true) {
        case .success(let session): return session
        case .failure(let error): currentError = error
        }
        guard var previous else { throw currentError.rotationError(templateMessage: template) }
        previous.ssl = current.ssl
        // Checked before logging in (the templates log in first, and leak that connection when the check fails).
        try pending.requireSameAccount(as: previous, user: "previous valid user", host: "current previous valid")
        switch connector.attempt(previous, label: "AWSPREVIOUS", provingPassword: true) {
        case .success(let session):
            return session
        case .failure(let previousError):
            throw RotationError.target(
                currentError.code,
                message: "\(template) (AWSCURRENT: \(currentError); AWSPREVIOUS: \(previousError))")
        }
    }
}

/// Logs in with the pending credential, with a checked password, and runs a trivial query: `testSecret` for
/// every strategy.
func testPendingLogin<Driver: DatabaseDriver>(
    _ pending: DatabaseSecret, driver: Driver, configuration: DatabaseTargetConfiguration, context: RotationContext
) throws {
    let connector = DatabaseConnector(driver: driver, configuration: configuration, context: context)
    do throws(DatabaseError) {
        let session = try connector.connectProvingPassword(pending, label: "AWSPENDING")
        defer { session.close() }
        try session.ping()
    } catch {
        throw error.rotationError(
            templateMessage: "Unable to log into database with pending secret of secret ARN \(context.secretId)")
    }
    context.logger.info(
        "testSecret: Successfully signed into \(driver.displayName) DB with AWSPENDING secret in \(context.secretId).")
}

extension DatabaseSecret {
    /// The templates' guard against a pending version naming another user or host than `other`, with their texts
    /// ("Attempting to modify user X other than current user Y").
    func requireSameAccount(as other: DatabaseSecret, user: String, host: String) throws(DatabaseError) {
        guard other.username == username else {
            throw DatabaseError.invalidSecret(
                "Attempting to modify user \(username.loggable) other than \(user) \(other.username.loggable)")
        }
        guard other.host == self.host else {
            throw DatabaseError.invalidSecret(
                "Attempting to modify user for host \(self.host.loggable) other than \(host) \(other.host.loggable)")
        }
    }
}
