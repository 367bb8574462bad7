/// Everything needed to open one libpq connection. Handed to libpq as keyword/value arrays, never as a
/// conninfo string, so no value (a password with `'` or spaces, a database name that looks like a URI) can
/// change how another is read. Its description leaves the password out.
public struct PostgresConnectionParameters: Sendable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLS: Sendable, Equatable {
        /// `sslmode=disable`: plain text.
        case disabled
        /// `sslmode=verify-full`: TLS, the chain checked against `rootCertificateFile`, the host name checked.
        case verifyFull(rootCertificateFile: String)
    }

    /// Host name or address (libpq resolves it and tries every address).
    public var host: String
    public var port: Int
    /// The role to log in as.
    public var user: String
    /// Sent only inside the SCRAM exchange; never logged.
    public var password: String
    /// The database to connect to (`dbname`).
    public var database: String
    public var tls: TLS

    public init(host: String, port: Int, user: String, password: String, database: String, tls: TLS) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// The libpq keywords and values, in order.
    var keywordValuePairs: [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host),
            ("port", String(port)),
            ("user", user),
            ("password", password),
            ("dbname", database),
            // Identifiers and literals are escaped by libpq according to the client encoding: make it
            // UTF-8 so that non-ASCII role names survive whatever the server's default is.
            ("client_encoding", "UTF8"),
            ("application_name", "secrets-manager-rotator"),
            // No Kerberos in Lambda: skip the GSSAPI-encryption probe libpq would otherwise try first.
            ("gssencmode", "disable"),
        ]
        switch tls {
        case .disabled:
            pairs.append(("sslmode", "disable"))
        case .verifyFull(let rootCertificateFile):
            pairs.append(("sslmode", "verify-full"))
            pairs.append(("sslrootcert", rootCertificateFile))
        }
        return pairs
    }

    /// `user@host:port/database`, for logs and errors.
    public var endpointDescription: String { "\(user)@\(host):\(port)/\(database)" }

    public var description: String {
        switch tls {
        case .disabled: "PostgresConnectionParameters(\(endpointDescription), TLS off)"
        case .verifyFull: "PostgresConnectionParameters(\(endpointDescription), TLS verify-full)"
        }
    }
}
