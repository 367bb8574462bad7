import DatabaseRotation
import Logging
import Rotation

/// PostgreSQL (and Aurora PostgreSQL) on libpq: the driver under the shared single-user and alternating-users
/// strategies. Passwords reach the server only as SCRAM-SHA-256 verifiers computed here.
package struct PostgresDriver: DatabaseDriver {
    /// The `dbname` the templates use when the secret has none.
    static let database = "postgres"

    package init() {}

    /// The `postgres` entry for `RotationLambda.run(targets:)`.
    package static var choice: TargetChoice { DatabaseTarget.choice(PostgresDriver()) }

    package var traits: DatabaseTraits {
        DatabaseTraits(
            name: "postgres", displayName: "PostgreSQL", engines: ["postgres", "aurora-postgresql"], defaultPort: 5432,
            defaultDatabase: Self.database,
            // NAMEDATALEN − 1 (https://www.postgresql.org/docs/15/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
            maximumUserNameLength: 63,
            // The PostgreSQL templates' default, with `:`, which breaks `.pgpass` files.
            defaultExcludeCharacters: #":/@"'\"#,
            passwordlessLoginCause: "a trust, peer or cert rule in pg_hba.conf")
    }

    package func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> PostgresConnection
    {
        try PostgresConnection(
            login: login, connectTimeoutMilliseconds: timeoutMilliseconds, deadline: deadline,
            logger: logger)
    }

    package func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        try PostgresTLSProbe.serverOffersTLS(host: host, port: port, within: milliseconds)
    }

    /// libpq's text for a server that answered the SSLRequest with "no" (https://www.postgresql.org/docs/15/libpq-ssl.html).
    package func meansServerHasNoTLS(_ error: DatabaseError) -> Bool {
        error.message.contains("server does not support SSL")
    }
}
