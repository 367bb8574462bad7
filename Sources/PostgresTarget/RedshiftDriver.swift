import DatabaseRotation
import Logging
import Rotation

/// Amazon Redshift, over the PostgreSQL wire protocol (libpq), as AWS's Redshift single-user and multi-user templates
/// rotate it: default port 5439 and database `dev`, `ALTER USER … PASSWORD`, and for the clone of alternating users
/// the current user's group memberships. Redshift has no SCRAM: a password goes only as its stored form,
/// `md5` + MD5(password + user name), never in plain text.
///
/// Tested against PostgreSQL 15 set up as a stand-in (md5 storage and md5 authentication) for the wire and the
/// statements both accept; it has not run against Redshift itself.
package struct RedshiftDriver: DatabaseDriver {
    package init() {}

    /// The `redshift` entry for `RotationLambda.run(targets:)`.
    package static var choice: TargetChoice { DatabaseTarget.choice(RedshiftDriver()) }

    package var traits: DatabaseTraits {
        DatabaseTraits(
            name: "redshift", displayName: "Redshift", engines: ["redshift"], defaultPort: 5439, defaultDatabase: "dev",
            // Identifiers of up to 127 bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html).
            maximumUserNameLength: 127,
            // Redshift refuses passwords with these, and with a space
            // (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html).
            defaultExcludeCharacters: #"/@"'\ "#,
            passwordlessLoginCause: "a trust rule (or another method that asks no password) for the user")
    }

    package func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> RedshiftSession
    {
        RedshiftSession(
            try PostgresConnection(
                login: login, connectTimeoutMilliseconds: timeoutMilliseconds, deadline: deadline, logger: logger))
    }

    package func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        try PostgresTLSProbe.serverOffersTLS(host: host, port: port, within: milliseconds)
    }

    package func meansServerHasNoTLS(_ error: DatabaseError) -> Bool {
        PostgresDriver().meansServerHasNoTLS(error)
    }
}

/// A Redshift session: the PostgreSQL connection, with Redshift's user statements.
package final class RedshiftSession: DatabaseSession {
    let connection: PostgresConnection

    init(_ connection: PostgresConnection) { self.connection = connection }

    package var account: DatabaseAccount { connection.account }
    package var usedPassword: Bool { connection.usedPassword }
    package func ping() throws(DatabaseError) { try connection.ping() }
    package func close() { connection.close() }

    /// `ALTER USER <self> PASSWORD 'md5…'`: a user may change its own password.
    package func changeOwnPassword(to password: String) throws(DatabaseError) {
        try setPassword(of: account.user, to: password)
    }

    package func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        !(try connection.execute("SELECT 1 FROM pg_catalog.pg_user WHERE usename = $1", parameters: [account.user]))
            .isEmpty
    }

    /// `CREATE USER <clone> PASSWORD 'md5…'` and the template's groups, in one transaction.
    package func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        let hash = try connection.md5Password(password, user: account.user)
        let user = try connection.quoteIdentifier(account.user)
        do {
            try connection.execute("BEGIN")
            try connection.execute(
                "CREATE USER \(user) PASSWORD \(try connection.quoteLiteral(hash))", sensitive: [password, hash])
            try joinGroups(of: template.user, user: account.user)
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw DatabaseError(
                error.category,
                "could not create user \(account.user.loggable) like \(template.user.loggable): \(error.message)")
        }
    }

    /// The password, then any group of the template the user is not in yet (as the templates, groups are only
    /// added); the memberships are read back: the user must be in every group the template is in.
    package func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try setPassword(of: account.user, to: password)
        try joinGroups(of: template.user, user: account.user)
        let missing = Set(try groups(of: template.user)).subtracting(try groups(of: account.user))
        guard missing.isEmpty else {
            throw DatabaseError(
                .rightsMismatch,
                "user \(account.user.loggable) is still not in group(s) \(missing.sorted().map(\.loggable).joined(separator: ", ")) of \(template.user.loggable)"
            )
        }
    }

    private func setPassword(of user: String, to password: String) throws(DatabaseError) {
        let hash = try connection.md5Password(password, user: user)
        let statement =
            "ALTER USER \(try connection.quoteIdentifier(user)) PASSWORD \(try connection.quoteLiteral(hash))"
        do {
            try connection.execute(statement, sensitive: [password, hash])
        } catch {
            throw DatabaseError(error.category, "could not set the password of user \(user.loggable): \(error.message)")
        }
    }

    /// The groups `user` is a member of (`pg_group`, as the templates read it).
    func groups(of user: String) throws(DatabaseError) -> [String] {
        try connection.execute(
            "SELECT g.groname FROM pg_catalog.pg_group g, pg_catalog.pg_user u "
                + "WHERE u.usename = $1 AND u.usesysid = ANY(g.grolist) ORDER BY g.groname",
            parameters: [user]
        ).compactMap { $0.first ?? nil }
    }

    /// `ALTER GROUP <group> ADD USER <user>` for each group of `template` that `user` is not in.
    private func joinGroups(of template: String, user: String) throws(DatabaseError) {
        let have = Set(try groups(of: user))
        for group in try groups(of: template) where !have.contains(group) {
            try connection.execute(
                "ALTER GROUP \(try connection.quoteIdentifier(group)) ADD USER \(try connection.quoteIdentifier(user))")
        }
    }
}
