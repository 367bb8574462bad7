import Rotation

/// The `postgres` target: single-user or alternating-users rotation, chosen for each secret by
/// `PostgresTargetFactory`'s rule (`ROTATOR_POSTGRES_MODE`, else alternating when the secret has `masterarn`).
///
/// One instance serves every PostgreSQL secret the function rotates, as the handler builds targets once at
/// start-up; the choice is made per call from the version the step reads anyway, so it costs no extra read.
public struct PostgresRotationTarget: TargetService {
    public let name = "postgres"
    public let configuration: PostgresTargetConfiguration
    /// The PostgreSQL templates' `EXCLUDE_CHARACTERS` default, with `:` for `.pgpass` files.
    public var defaultExcludeCharacters: String { PostgresTargetFactory.defaultExcludeCharacters }

    public init(configuration: PostgresTargetConfiguration) {
        self.configuration = configuration
    }

    /// Reads its configuration from the environment (see `PostgresTargetConfiguration`).
    /// - Throws: `PostgresError(.configuration)` for an unknown `ROTATOR_POSTGRES_MODE`.
    public init(environment: [String: String]) throws(PostgresError) {
        self.configuration = try PostgresTargetConfiguration(environment: environment)
    }

    /// See `PostgresSingleUserTarget` and `PostgresAlternatingUsersTarget`.
    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        if usesAlternatingUsers(current) {
            return try PostgresAlternatingUsersTarget(configuration: configuration)
                .makePendingSecret(current: current, newPassword: newPassword, context: context)
        }
        return try PostgresSingleUserTarget(configuration: configuration)
            .makePendingSecret(current: current, newPassword: newPassword, context: context)
    }

    /// See `PostgresSingleUserTarget.setSecret` and `PostgresAlternatingUsersTarget.setSecret`.
    public func setSecret(_ context: RotationContext) throws {
        let current = try context.current()
        if usesAlternatingUsers(current) {
            try PostgresAlternatingUsersTarget(configuration: configuration).setSecret(context, current: current)
        } else {
            try PostgresSingleUserTarget(configuration: configuration).setSecret(context, current: current)
        }
    }

    /// Logs in with the pending credential and runs a trivial query.
    public func testSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        // The pending version is a copy of the current one, so its masterarn gives the same choice.
        if usesAlternatingUsers(pending) {
            try PostgresAlternatingUsersTarget(configuration: configuration).testSecret(context, pending: pending)
        } else {
            try PostgresSingleUserTarget(configuration: configuration).testSecret(context, pending: pending)
        }
    }

    private func usesAlternatingUsers(_ secret: SecretValue) -> Bool {
        PostgresTargetFactory.usesAlternatingUsers(secret, mode: configuration.mode)
    }
}
