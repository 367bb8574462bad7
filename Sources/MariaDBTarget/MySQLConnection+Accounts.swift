import DatabaseRotation

/// The statements that change accounts. Account names and strings are quoted by the client library
/// (`mysql_real_escape_string`); rights are copied as `SHOW GRANTS` printed them, after a complete parse.
///
/// Passwords: MariaDB writes `CREATE/ALTER USER … IDENTIFIED BY '<password>'` and `PASSWORD('<password>')` as sent
/// into its general log, slow log and binary log (https://mariadb.com/kb/en/general-query-log/), so MariaDB only
/// ever gets the hash its plugin stores, computed here. MySQL rewrites passwords in its logs
/// (https://dev.mysql.com/doc/refman/8.0/en/password-logging.html); the one statement that needs the password
/// itself, a user's change of its own password (`ALTER USER USER() IDENTIFIED BY`), is only sent over TLS.
extension MySQLConnection {
    /// `SELECT NOW()`, the templates' proof that a session works.
    package func ping() throws(DatabaseError) {
        try query("SELECT NOW()")
    }

    /// MariaDB: `SET PASSWORD = '<hash>'`; MySQL: `ALTER USER USER() IDENTIFIED BY '<password>'` over TLS. Neither
    /// needs a privilege for one's own account.
    package func changeOwnPassword(to password: String) throws(DatabaseError) {
        if isMariaDB {
            try requireNativePassword()
            let hash = MySQLPasswordHash.native(password)
            try run("SET PASSWORD = '\(hash)'", sensitive: [password, hash], doing: "set the password of \(account)")
        } else {
            try requireTLS(for: "change its own password")
            try run(
                "ALTER USER USER() IDENTIFIED BY \(try literal(password))", sensitive: [password],
                doing: "set the password of \(account)")
        }
    }

    /// MySQL ≥ 8.0.14: `ALTER USER USER() IDENTIFIED BY '<password>' RETAIN CURRENT PASSWORD`, which keeps the
    /// current password as the secondary one (and drops the secondary from before). Needs the
    /// `APPLICATION_PASSWORD_ADMIN` privilege (https://dev.mysql.com/doc/refman/8.0/en/password-management.html).
    package func changeOwnPasswordKeepingCurrent(to password: String) throws(DatabaseError) {
        let version = MySQLServerVersion(serverVersion)
        guard version.hasDualPasswords else {
            throw DatabaseError(
                .configuration,
                "dual passwords (RETAIN CURRENT PASSWORD) need MySQL 8.0.14 or later, and this server is "
                    + "\(serverVersion.loggable); nothing was changed. Set ROTATOR_MYSQL_MODE to single or alternating")
        }
        try requireTLS(for: "change its own password")
        try run(
            "ALTER USER USER() IDENTIFIED BY \(try literal(password)) RETAIN CURRENT PASSWORD", sensitive: [password],
            doing: "add a password to \(account) (this needs the APPLICATION_PASSWORD_ADMIN privilege)")
    }

    package func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        let rows = try query(
            "SELECT COUNT(*) FROM mysql.user WHERE User = \(try literal(account.user)) AND Host = \(try literal(account.host ?? "%"))"
        )
        return (rows.first?.first ?? nil).flatMap { Int($0) } ?? 0 > 0
    }

    /// Creates the account locked and without rights, then gives it the template's rights and last its password
    /// (`updateUser`). Everything that may refuse the template (its plugin, its rights, what the master may grant)
    /// is read before `CREATE USER`, so a refusal leaves nothing behind. A crash in between leaves a locked account
    /// that the next attempt finishes; it is unlocked only once its rights are read back equal to the template's.
    package func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        let copy = try MySQLRightsCopy(to: account, like: template, password: password, on: self, exists: false)
        try run("CREATE USER \(copy.grantee) ACCOUNT LOCK", doing: "create \(account)")
        try copy.apply(on: self)
    }

    /// Gives `account` the template's rights, TLS requirement, limits and a new password; see `MySQLRightsCopy`
    /// for the order, which never leaves an account in use with fewer rights than it had.
    package func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try MySQLRightsCopy(to: account, like: template, password: password, on: self, exists: true).apply(on: self)
    }

    /// `'user'@'host'` for an account; `%` when it has no host part.
    func name(of account: DatabaseAccount) throws(DatabaseError) -> String {
        try accountName(account.user, host: account.host ?? "%")
    }

    func accountSettings(of account: DatabaseAccount) throws(DatabaseError) -> MySQLAccountSettings {
        let rows = try query(
            MySQLAccountSettings.query(
                user: try literal(account.user), host: try literal(account.host ?? "%"), mariaDB: isMariaDB))
        guard let row = rows.first else {
            throw DatabaseError(.configuration, "\(account) is not in mysql.user (was it dropped?)")
        }
        return try MySQLAccountSettings(row: row, mariaDB: isMariaDB)
    }

    func grantLines(of account: DatabaseAccount) throws(DatabaseError) -> [String] {
        try query("SHOW GRANTS FOR \(try name(of: account))").compactMap { $0.first ?? nil }
    }

    /// MariaDB's `SET PASSWORD = '<hash>'` stores the hash for the account's plugin, so the plugin must be
    /// mysql_native_password. `SHOW CREATE USER CURRENT_USER()` is allowed without privileges
    /// (https://mariadb.com/kb/en/show-create-user/).
    private func requireNativePassword() throws(DatabaseError) {
        guard let line = try query("SHOW CREATE USER CURRENT_USER()").first?.first ?? nil else {
            throw DatabaseError(.query, "SHOW CREATE USER returned nothing for \(account)")
        }
        let tokens = try MySQLStatementText(line).tokens
        guard let identified = tokens.firstIndex(where: { $0.isKeyword("IDENTIFIED") }) else { return }
        let rest = tokens[(identified + 1)...].map { $0.text.uppercased() }
        if rest.starts(with: ["BY", "PASSWORD"]) { return }
        if rest.starts(with: ["VIA", "MYSQL_NATIVE_PASSWORD"]) && !rest.contains("OR") { return }
        let plugin = tokens.count > identified + 2 ? tokens[identified + 2].value : "?"
        throw DatabaseError(
            .unsupported,
            "\(account) authenticates with \(plugin.loggable)\(rest.contains("OR") ? " among other plugins" : ""); "
                + "this function sets MariaDB passwords only for mysql_native_password accounts (as a hash computed "
                + "here, so that no server log holds the password); nothing was changed")
    }

    /// A password in a statement crosses the network as it is: only over TLS.
    private func requireTLS(for action: String) throws(DatabaseError) {
        guard usesTLS else {
            throw DatabaseError(
                .configuration,
                "\(account) can \(action) on MySQL only by sending the new password, which this function does only "
                    + "over TLS; this session is plain text (set \"ssl\": true in the secret, or enable TLS on the server)"
            )
        }
    }

    /// Runs a statement whose failure is reported as what it was doing.
    func run(_ statement: String, sensitive: [String] = [], doing action: String) throws(DatabaseError) {
        do {
            try query(statement, sensitive: sensitive)
        } catch {
            throw DatabaseError(error.category, "could not \(action): \(error.message)")
        }
    }
}
