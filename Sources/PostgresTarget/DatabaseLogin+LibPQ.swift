import DatabaseRotation

extension DatabaseLogin {
    /// The libpq keywords and values, in order, for a connection to one of `addresses` (resolved from `host`).
    ///
    /// Handed to libpq as keyword/value arrays, never as a conninfo string, so no value (a password with `'` or
    /// spaces, a database name that looks like a URI) can change how another is read. libpq connects to `hostaddr`
    /// without a lookup of its own and checks the certificate against `host`
    /// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNECT-HOSTADDR): one entry per address.
    func libpqParameters(addresses: [String]) -> [(String, String)] {
        let name = serverName ?? host
        var pairs: [(String, String)] = [
            ("host", addresses.map { _ in name }.joined(separator: ",")),
            ("hostaddr", addresses.joined(separator: ",")),
            ("port", String(port)),
            ("user", user),
            ("password", password),
            ("dbname", database ?? PostgresDriver.database),
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
        case .verifyFull(let caFile):
            pairs.append(("sslmode", "verify-full"))
            pairs.append(("sslrootcert", caFile))
        }
        return pairs
    }
}
