import Rotation

/// Dual passwords set by the master user: the user keeps its current password and gets the new one beside it, and
/// the master (the secret named by `masterarn`) makes the change, so the user needs no right over its own account.
/// Redis ACL users have this natively; changing one's own ACL needs `+acl|setuser`, which application users should
/// not hold (it lets them grant themselves anything).
///
/// The current credential must log in, with its password checked, before the master acts for it (the templates'
/// "confused deputy" guard); the master's change replaces every password but the current one, so the one from two
/// rotations back stops working, as with `RETAIN CURRENT PASSWORD`.
public struct MasterDualPasswordStrategy<Driver: DatabaseDriver>: TargetService {
    let alternating: AlternatingUsersStrategy<Driver>
    var driver: Driver { alternating.driver }

    public init(driver: Driver, configuration: DatabaseTargetConfiguration, rds: RDSDirectory = .none) {
        alternating = AlternatingUsersStrategy(driver: driver, configuration: configuration, rds: rds)
    }

    public var name: String { driver.name }
    public var defaultExcludeCharacters: String { driver.defaultExcludeCharacters }

    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try translatingDatabaseErrors {
            // Refused here, in createSecret, before anything is written: setSecret could only fail later, leaving a
            // pending version behind.
            guard driver.traits.supportsMasterDualPasswords else {
                throw DatabaseError(
                    .unsupported,
                    "\(driver.displayName)'s dual passwords are set by the user itself, not by a master: leave out "
                        + "masterarn with \(driver.traits.modeVariable)=dual, or use alternating users")
            }
            _ = try DatabaseSecret(current, driver: driver, validation: .alternatingUsers)
            return try current.replacing("password", with: newPassword, secretId: context.secretId)
        }
    }

    public func setSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let arn = context.secretId
            let current = try DatabaseSecret(try context.current(), driver: driver, validation: .alternatingUsers)
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .alternatingUsers)
            let connector = DatabaseConnector(
                driver: driver, configuration: alternating.configuration, context: context)
            if connector.pendingAlreadyLogsIn(pending) { return }
            try pending.requireSameAccount(as: current, user: "current user", host: "current host")
            let account = try alternating.provenAccount(current, connector: connector)
            let session = try alternating.masterSession(for: current, connector: connector)
            defer { session.close() }
            try session.addPassword(pending.password, keeping: current.password, for: account)
            context.logger.info(
                "setSecret: Successfully added a password beside the current one for user \(account) in \(driver.displayName) DB for secret arn \(arn)."
            )
        }
    }

    public func testSecret(_ context: RotationContext) throws {
        try translatingDatabaseErrors {
            let pending = try DatabaseSecret(try context.pending(), driver: driver, validation: .alternatingUsers)
            try testPendingLogin(pending, driver: driver, configuration: alternating.configuration, context: context)
        }
    }
}
