import Rotation

/// Chooses the PostgreSQL strategy for a secret.
///
/// The rule: `ROTATOR_POSTGRES_MODE=single` or `alternating` decides; with `auto` (the default) a secret that
/// has a `masterarn` key gets alternating users, as only AWS's multi-user template reads that key, and any
/// other secret gets single-user rotation.
public enum PostgresTargetFactory {
    /// The `engine` values this target rotates.
    public static let engines = PostgresSecret.engines

    /// Whether the secret says it is a PostgreSQL secret (`engine` is one of `engines`).
    public static func handles(_ secret: SecretValue) -> Bool {
        guard let engine = secret.string("engine") else { return false }
        return engines.contains(engine)
    }

    /// The target for a secret whose engine is PostgreSQL, or `nil` for any other secret.
    public static func make(secret: SecretValue, configuration: PostgresTargetConfiguration) -> (any TargetService)? {
        handles(secret) ? makeTarget(for: secret, configuration: configuration) : nil
    }

    /// The target for a secret the user has said is PostgreSQL, whatever its `engine`: the target's own checks
    /// then report a missing or wrong engine with the template's message.
    public static func makeTarget(for secret: SecretValue, configuration: PostgresTargetConfiguration) -> any TargetService {
        switch configuration.mode {
        case .singleUser:
            return PostgresSingleUserTarget(configuration: configuration)
        case .alternatingUsers:
            return PostgresAlternatingUsersTarget(configuration: configuration)
        case .automatic:
            if secret.object?["masterarn"] != nil {
                return PostgresAlternatingUsersTarget(configuration: configuration)
            }
            return PostgresSingleUserTarget(configuration: configuration)
        }
    }
}
