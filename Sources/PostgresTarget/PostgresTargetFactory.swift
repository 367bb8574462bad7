import Rotation

/// Chooses the PostgreSQL strategy for a secret, and registers the target with the rotation handler.
///
/// The rule: `ROTATOR_POSTGRES_MODE=single` or `alternating` decides; with `auto` (the default) a secret that
/// has a `masterarn` key gets alternating users, as only AWS's multi-user template reads that key, and any
/// other secret gets single-user rotation.
public enum PostgresTargetFactory {
    /// The `engine` values this target rotates.
    public static let engines = PostgresSecret.engines

    /// The PostgreSQL templates' `EXCLUDE_CHARACTERS` default: `/@"'\` and `:`, which breaks `.pgpass` files.
    public static let defaultExcludeCharacters = #":/@"'\"#

    /// The `postgres` entry for `RotationLambda.run(targets:)`: chosen by `ROTATOR_TARGET=postgres` or by the
    /// secret's `engine`; its configuration is read once, at start-up.
    public static let choice = TargetChoice(name: "postgres", engines: engines) { environment in
        do throws(PostgresError) {
            return try PostgresRotationTarget(environment: environment)
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    /// Whether the secret says it is a PostgreSQL secret (`engine` is one of `engines`).
    public static func handles(_ secret: SecretValue) -> Bool {
        guard let engine = secret.string("engine") else { return false }
        return engines.contains(engine)
    }

    /// The target for a secret whose engine is PostgreSQL, or `nil` for any other secret.
    public static func make(secret: SecretValue, configuration: PostgresTargetConfiguration) -> (any TargetService)? {
        handles(secret) ? makeTarget(for: secret, configuration: configuration) : nil
    }

    /// The strategy's target for a secret the user has said is PostgreSQL, whatever its `engine`: the target's
    /// own checks then report a missing or wrong engine with the template's message.
    public static func makeTarget(for secret: SecretValue, configuration: PostgresTargetConfiguration) -> any TargetService {
        if usesAlternatingUsers(secret, mode: configuration.mode) {
            return PostgresAlternatingUsersTarget(configuration: configuration)
        }
        return PostgresSingleUserTarget(configuration: configuration)
    }

    /// The rule above.
    static func usesAlternatingUsers(_ secret: SecretValue, mode: PostgresTargetConfiguration.Mode) -> Bool {
        switch mode {
        case .singleUser: false
        case .alternatingUsers: true
        // `"masterarn": null` names no master; any other value does (a wrong type is then reported, not ignored).
        case .automatic: secret.object?["masterarn"].map { !$0.isNull } ?? false
        }
    }
}
