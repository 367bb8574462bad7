import HTTPClient
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How a database target behaves, read once from the environment at start-up and passed down as a value.
///
/// | Variable | Meaning | Default |
/// |---|---|---|
/// | the driver's mode variable (`ROTATOR_POSTGRES_MODE`) | `single` (one user changes its own password), `alternating` (two users, `_clone`), `dual` where the engine has dual passwords, or `auto` | `auto`: alternating when the secret has `masterarn` |
/// | `ROTATOR_DB_CA_FILE` | PEM file of the CAs that may sign the database's certificate | `AWS_CA_BUNDLE`, else the first that exists of `/etc/pki/tls/certs/ca-bundle.crt`, `/etc/ssl/certs/ca-certificates.crt`, `/etc/ssl/cert.pem` |
/// | `USERNAME_CHARACTER_LIMIT` | the longest alternating user name (AWS's MySQL template reads it) | the engine's own limit |
/// | `ROTATOR_ALLOW_TLS_FALLBACK` | `true`/`1`/`y`/`yes`: a secret without a valid `ssl` key may use plain text when the server has no TLS, with a warning | off: TLS is required |
public struct DatabaseTargetConfiguration: Sendable, Equatable {
    /// Which rotation strategy to use.
    public enum Mode: String, Sendable, Equatable {
        /// Alternating users when the secret names a master secret (`masterarn`), else single user.
        case automatic = "auto"
        /// The user changes its own password (AWS's `…RotationSingleUser` templates).
        case singleUser = "single"
        /// A master user keeps two users, `name` and `name_clone`, and sets the idle one's password
        /// (AWS's `…RotationMultiUser` templates).
        case alternatingUsers = "alternating"
        /// The user changes its own password and keeps the current one working until the next rotation (MySQL ≥
        /// 8.0.14 `RETAIN CURRENT PASSWORD`): no window in which running connections' password fails.
        case dualPassword = "dual"
    }

    public var mode: Mode
    /// The CA file for verify-full, or `nil` when none was named and no system bundle exists.
    public var caFile: String?
    /// Whether a secret without a valid `ssl` key may use plain text when the server has no TLS.
    public var allowTLSFallback: Bool
    /// The limit of one connection attempt (the templates' `connect_timeout=5`), name resolution included.
    public var connectTimeoutMilliseconds: Int64
    /// `USERNAME_CHARACTER_LIMIT`: the longest alternating user name, when not the engine's own limit.
    public var userNameLimit: Int?

    public init(
        mode: Mode = .automatic, caFile: String?, allowTLSFallback: Bool = false,
        connectTimeoutMilliseconds: Int64 = 5_000
    ) {
        self.mode = mode
        self.caFile = caFile
        self.allowTLSFallback = allowTLSFallback
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }

    /// Reads the variables in the table above from `environment`.
    /// - Parameters:
    ///   - modeVariable: the driver's variable for the mode.
    ///   - fileExists: checks the system bundle paths; tests pass their own.
    /// - Throws: `DatabaseError(.configuration)` for a mode it does not know, so that a typo stops the function
    ///   at start-up instead of rotating the wrong way.
    public init(
        environment: [String: String], modeVariable: String, supportsDualPasswords: Bool = false,
        fileExists: (String) -> Bool = { access($0, R_OK) == 0 }
    ) throws(DatabaseError) {
        let modeText = (environment[modeVariable] ?? "").lowercased()
        let modes = supportsDualPasswords ? "single, dual, alternating or auto" : "single, alternating or auto"
        switch modeText {
        case "", "auto", "automatic": mode = .automatic
        case "single", "single-user", "singleuser": mode = .singleUser
        case "alternating", "alternating-users", "multi", "multi-user", "multiuser": mode = .alternatingUsers
        case "dual" where supportsDualPasswords, "dual-password" where supportsDualPasswords: mode = .dualPassword
        default:
            throw DatabaseError(.configuration, "\(modeVariable) must be \(modes), not \"\(modeText)\"")
        }
        if let limitText = environment["USERNAME_CHARACTER_LIMIT"], !limitText.isEmpty {
            guard let limit = Int(limitText), (1...1_000).contains(limit) else {
                throw DatabaseError(
                    .configuration,
                    "USERNAME_CHARACTER_LIMIT must be a whole number of characters from 1 to 1000, not \"\(limitText.loggable)\""
                )
            }
            userNameLimit = limit
        }
        if let named = environment["ROTATOR_DB_CA_FILE"], !named.isEmpty {
            caFile = named
        } else if let bundle = environment["AWS_CA_BUNDLE"], !bundle.isEmpty {
            caFile = bundle
        } else {
            // Neither named: the system's bundle (`SystemCABundle.paths`).
            caFile = SystemCABundle.paths.first(where: fileExists)
        }
        let fallback = (environment["ROTATOR_ALLOW_TLS_FALLBACK"] ?? "").lowercased()
        allowTLSFallback = ["true", "1", "y", "yes"].contains(fallback)
        connectTimeoutMilliseconds = 5_000
    }

    /// Whether `secret` gets alternating users: the mode decides; with `auto`, a `masterarn` key does (only AWS's
    /// multi-user templates read it). `"masterarn": null` names no master; any other value does, so that a
    /// wrong type is reported instead of silently rotating a single user.
    public func usesAlternatingUsers(_ secret: SecretValue) -> Bool {
        switch mode {
        case .singleUser, .dualPassword: false
        case .alternatingUsers: true
        case .automatic: Self.namesMaster(secret)
        }
    }

    /// Dual passwords with a master secret: the master adds the password, the user needs no right over itself
    /// (`MasterDualPasswordStrategy`).
    public func setsPasswordsAsMaster(_ secret: SecretValue) -> Bool {
        mode == .dualPassword && Self.namesMaster(secret)
    }

    private static func namesMaster(_ secret: SecretValue) -> Bool {
        secret.object?["masterarn"].map { !$0.isNull } ?? false
    }
}
