/// The statements that change roles. Names are quoted with `PQescapeIdentifier`, and a password only ever
/// leaves as its SCRAM-SHA-256 verifier, quoted with `PQescapeLiteral`: the server stores the verifier as is
/// (it never sees the password), and `log_statement` or `pg_stat_statements` record only the verifier.
enum PostgresRoleStatements {
    /// `ALTER ROLE <role> WITH PASSWORD '<verifier>'`. On the role's own connection this needs no privilege.
    static func setPassword(_ password: String, of role: String, on connection: PostgresConnection) throws(PostgresError) {
        let verifier = try connection.scramVerifier(password: password, user: role)
        let statement = "ALTER ROLE \(try connection.quoteIdentifier(role)) WITH PASSWORD \(try connection.quoteLiteral(verifier))"
        do {
            try connection.execute(statement, sensitive: [password, verifier])
        } catch {
            throw PostgresError(error.category, "could not set the password of role \(role.loggable): \(error.message)")
        }
    }

    /// Whether a role of that exact name exists (the name is a parameter, never spliced into SQL).
    static func roleExists(_ role: String, on connection: PostgresConnection) throws(PostgresError) -> Bool {
        !(try connection.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", parameters: [role])).isEmpty
    }

    /// Creates `role` with LOGIN and the password, as a member of `memberOf` (so it has that role's rights), in
    /// one transaction: a crash between the two statements must not leave a clone without the rights.
    static func createRole(_ role: String, password: String, memberOf parent: String,
                           on connection: PostgresConnection) throws(PostgresError) {
        let verifier = try connection.scramVerifier(password: password, user: role)
        let quotedRole = try connection.quoteIdentifier(role)
        let quotedParent = try connection.quoteIdentifier(parent)
        let create = "CREATE ROLE \(quotedRole) WITH LOGIN PASSWORD \(try connection.quoteLiteral(verifier))"
        do {
            try connection.execute("BEGIN")
            try connection.execute(create, sensitive: [password, verifier])
            try connection.execute("GRANT \(quotedParent) TO \(quotedRole)")
            try connection.execute("COMMIT")
        } catch {
            // Best effort: if the connection is gone the server has rolled back already.
            _ = try? connection.execute("ROLLBACK")
            throw PostgresError(error.category,
                "could not create role \(role.loggable) as a member of \(parent.loggable): \(error.message)")
        }
    }
}
