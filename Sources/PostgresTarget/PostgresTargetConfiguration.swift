#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How the PostgreSQL target behaves, read once from the environment by `main` and passed down as a value.
///
/// | Variable | Meaning | Default |
/// |---|---|---|
/// | `ROTATOR_POSTGRES_MODE` | `single` (one user changes its own password), `alternating` (two users, `_clone`), or `auto` | `auto`: alternating when the secret has `masterarn` |
/// | `ROTATOR_DB_CA_FILE` | PEM file of the CAs that may sign the database's certificate | `AWS_CA_BUNDLE`, else the first that exists of `/etc/pki/tls/certs/ca-bundle.crt`, `/etc/ssl/certs/ca-certificates.crt`, `/etc/ssl/cert.pem` |
/// | `ROTATOR_ALLOW_TLS_FALLBACK` | `true`/`1`/`y`/`yes`: a secret without a valid `ssl` key may fall back to plain text when TLS fails, with a warning in the log | off: TLS is required |
public struct PostgresTargetConfiguration: Sendable, Equatable {
    /// Which rotation strategy to use.
    public enum Mode: String, Sendable, Equatable {
        /// Alternating users when the secret names a master secret (`masterarn`), else single user.
        case automatic = "auto"
        /// The user changes its own password (AWS's `SecretsManagerRDSPostgreSQLRotationSingleUser`).
        case singleUser = "single"
        /// A master user keeps two users, `name` and `name_clone`, and sets the idle one's password
        /// (AWS's `SecretsManagerRDSPostgreSQLRotationMultiUser`).
        case alternatingUsers = "alternating"
    }

    /// The CA bundle paths tried in order when neither `ROTATOR_DB_CA_FILE` nor `AWS_CA_BUNDLE` is set:
    /// Amazon Linux (Lambda), Debian, and the BSD/macOS/Alpine location.
    public static let systemCABundles = [
        "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem",
    ]

    public var mode: Mode
    /// The CA file for `sslmode=verify-full`, or `nil` when none was named and no system bundle exists.
    public var caFile: String?
    /// Whether a secret without a valid `ssl` key may fall back to plain text.
    public var allowTLSFallback: Bool
    /// The limit of one connection attempt (the templates' `connect_timeout=5`).
    public var connectTimeoutMilliseconds: Int64

    public init(mode: Mode = .automatic, caFile: String?, allowTLSFallback: Bool = false,
                connectTimeoutMilliseconds: Int64 = 5_000) {
        self.mode = mode
        self.caFile = caFile
        self.allowTLSFallback = allowTLSFallback
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }

    /// Reads the variables in the table above from `environment`.
    /// - Parameter fileExists: checks the system bundle paths; tests pass their own.
    /// - Throws: `PostgresError(.configuration)` for a `ROTATOR_POSTGRES_MODE` it does not know, so that a typo
    ///   stops the function at the first invocation instead of rotating the wrong way.
    public init(environment: [String: String],
                fileExists: (String) -> Bool = { access($0, R_OK) == 0 }) throws(PostgresError) {
        let modeText = (environment["ROTATOR_POSTGRES_MODE"] ?? "").lowercased()
        switch modeText {
        case "", "auto", "automatic": mode = .automatic
        case "single", "single-user", "singleuser": mode = .singleUser
        case "alternating", "alternating-users", "multi", "multi-user", "multiuser": mode = .alternatingUsers
        default:
            throw PostgresError(.configuration,
                "ROTATOR_POSTGRES_MODE must be single, alternating or auto, not \"\(modeText)\"")
        }
        if let named = environment["ROTATOR_DB_CA_FILE"], !named.isEmpty {
            caFile = named
        } else if let bundle = environment["AWS_CA_BUNDLE"], !bundle.isEmpty {
            caFile = bundle
        } else {
            caFile = Self.systemCABundles.first(where: fileExists)
        }
        let fallback = (environment["ROTATOR_ALLOW_TLS_FALLBACK"] ?? "").lowercased()
        allowTLSFallback = ["true", "1", "y", "yes"].contains(fallback)
        connectTimeoutMilliseconds = 5_000
    }
}
