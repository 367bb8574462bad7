import Rotation

/// A database's target: single-user or alternating-users rotation, chosen for each secret by the configuration's
/// rule (the driver's mode variable, else alternating when the secret has `masterarn`).
///
/// One instance serves every secret of its engine, as the handler builds targets once at start-up; the choice is
/// made per call from the version the step reads anyway, so it costs no extra read.
public struct DatabaseTarget<Driver: DatabaseDriver>: TargetService {
    public let driver: Driver
    public let configuration: DatabaseTargetConfiguration
    /// Where alternating users looks up RDS-managed master secrets' databases and read replicas.
    public let rds: RDSDirectory

    public init(driver: Driver, configuration: DatabaseTargetConfiguration, rds: RDSDirectory = .none) {
        self.driver = driver
        self.configuration = configuration
        self.rds = rds
    }

    /// Reads the configuration from `environment` (see `DatabaseTargetConfiguration`).
    /// - Parameter rds: where RDS lookups go; by default an RDS client for `environment`, made on first use.
    /// - Throws: `ConfigurationError` for an unknown mode: reported at start-up.
    public init(driver: Driver, environment: [String: String], rds: RDSDirectory? = nil) throws(ConfigurationError) {
        do throws(DatabaseError) {
            self.init(
                driver: driver,
                configuration: try DatabaseTargetConfiguration(
                    environment: environment, modeVariable: driver.modeVariable,
                    supportsDualPasswords: driver.supportsDualPasswords),
                rds: rds ?? .fromEnvironment(environment))
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    /// The `TargetChoice` for `RotationLambda.run(targets:)`: chosen by `ROTATOR_TARGET=<driver name>` or by the
    /// secret's `engine`; its configuration is read once, at start-up.
    public static func choice(_ driver: Driver, rds: RDSDirectory? = nil) -> TargetChoice {
        TargetChoice(name: driver.name, engines: driver.engines) { environment in
            try DatabaseTarget(driver: driver, environment: environment, rds: rds)
        }
    }

    public var name: String { driver.name }
    public var defaultExcludeCharacters: String { driver.defaultExcludeCharacters }

    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try strategy(for: current).makePendingSecret(current: current, newPassword: newPassword, context: context)
    }

    public func setSecret(_ context: RotationContext) throws {
        try strategy(for: try context.current()).setSecret(context)
    }

    public func testSecret(_ context: RotationContext) throws {
        // The pending version is a copy of the current one, so its masterarn gives the same choice.
        try strategy(for: try context.pending()).testSecret(context)
    }

    /// `alternating`, `dual` or `single`: the strategy's name in the step's outcome line.
    public func strategyName(for current: SecretValue) -> String? {
        if configuration.usesAlternatingUsers(current) {
            return DatabaseTargetConfiguration.Mode.alternatingUsers.rawValue
        }
        return configuration.mode == .dualPassword
            ? DatabaseTargetConfiguration.Mode.dualPassword.rawValue
            : DatabaseTargetConfiguration.Mode.singleUser.rawValue
    }

    /// The strategy for a secret: alternating users or single user, by the configuration's rule.
    public func strategy(for secret: SecretValue) -> any TargetService {
        if configuration.usesAlternatingUsers(secret) {
            return AlternatingUsersStrategy(driver: driver, configuration: configuration, rds: rds)
        }
        if configuration.setsPasswordsAsMaster(secret) {
            return MasterDualPasswordStrategy(driver: driver, configuration: configuration, rds: rds)
        }
        return SingleUserStrategy(
            driver: driver, configuration: configuration, keepsCurrentPassword: configuration.mode == .dualPassword)
    }
}
