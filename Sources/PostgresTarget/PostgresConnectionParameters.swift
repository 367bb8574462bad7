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

    /// Host name or address to connect to; resolved by `HostResolver` within the attempt's time limit.
    public var host: String
    /// The name the server's certificate must carry, when it is not `host` (a CNAME); `nil` verifies `host`.
    public var serverName: String?
    public var port: Int
    /// The role to log in as.
    public var user: String
    /// Sent only inside the SCRAM exchange; never logged.
    public var password: String
    /// The database to connect to (`dbname`).
    public var database: String
    public var tls: TLS

    public init(host: String, serverName: String? = nil, port: Int, user: String, password: String, database: String,
                tls: TLS) {
        self.host = host
        self.serverName = serverName
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// The libpq keywords and values, in order, for a connection to one of `addresses` (resolved from `host`).
    /// libpq connects to `hostaddr` without a lookup of its own and checks the certificate against `host`
    /// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNECT-HOSTADDR): one entry per address.
    func keywordValuePairs(addresses: [String]) -> [(String, String)] {
        let name = serverName ?? host
        var pairs: [(String, String)] = [
            ("host", addresses.map { _ in name }.joined(separator: ",")),
            ("hostaddr", addresses.joined(separator: ",")),
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
