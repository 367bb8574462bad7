import DatabaseRotation

/// The statements that change roles. Names are quoted with `PQescapeIdentifier`, and a password only ever leaves
/// as its SCRAM-SHA-256 verifier, quoted with `PQescapeLiteral`: the server stores the verifier as is (it never
/// sees the password), and `log_statement` or `pg_stat_statements` record only the verifier
/// (https://www.postgresql.org/docs/15/sql-alterrole.html: "the password can be given already encrypted").
extension PostgresConnection {
    /// `SELECT NOW()`, the templates' proof that a session works.
    package func ping() throws(DatabaseError) {
        try execute("SELECT NOW()")
    }

    /// A role is its name; PostgreSQL has no host part.
    package var account: DatabaseAccount { DatabaseAccount(user: user) }

    /// `ALTER ROLE <role> WITH PASSWORD '<verifier>'`; on the role's own connection this needs no privilege.
    package func changeOwnPassword(to password: String) throws(DatabaseError) {
        try setPassword(ofUser: user, to: password)
    }

    /// Sets the password; the clone's rights need no update, as it is a member of the original role and so follows
    /// every change to it.
    package func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try setPassword(ofUser: account.user, to: password)
    }

    /// `ALTER ROLE <role> WITH PASSWORD '<verifier>'`, as a role with CREATEROLE (or the role itself).
    package func setPassword(ofUser role: String, to password: String) throws(DatabaseError) {
        let verifier = try scramVerifier(password: password, user: role)
        let statement = "ALTER ROLE \(try quoteIdentifier(role)) WITH PASSWORD \(try quoteLiteral(verifier))"
        do {
            try execute(statement, sensitive: [password, verifier])
        } catch {
            throw DatabaseError(error.category, "could not set the password of role \(role.loggable): \(error.message)")
        }
    }

    /// Whether a role of that exact name exists (the name is a parameter, never spliced into SQL).
    package func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        !(try execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", parameters: [account.user])).isEmpty
    }

    /// Creates `role` with LOGIN and the password, as a member of `template` (so it has that role's rights, as the
    /// template does), in one transaction: a crash between the two statements must not leave a clone without them.
    package func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        let role = account.user
        let verifier = try scramVerifier(password: password, user: role)
        let quotedRole = try quoteIdentifier(role)
        let quotedTemplate = try quoteIdentifier(template.user)
        let create = "CREATE ROLE \(quotedRole) WITH LOGIN PASSWORD \(try quoteLiteral(verifier))"
        do {
            try execute("BEGIN")
            try execute(create, sensitive: [password, verifier])
            try execute("GRANT \(quotedTemplate) TO \(quotedRole)")
            try execute("COMMIT")
        } catch {
            // Best effort: if the connection is gone the server has rolled back already.
            _ = try? execute("ROLLBACK")
            throw DatabaseError(
                error.category,
                "could not create role \(role.loggable) as a member of \(template.user.loggable): \(error.message)")
        }
    }
}
