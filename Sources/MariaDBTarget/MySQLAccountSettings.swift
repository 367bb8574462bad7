import DatabaseRotation

/// The settings of an account that `SHOW GRANTS` does not reliably carry: its authentication plugin, its TLS
/// requirement and its resource limits, read from `mysql.user` (a view over `mysql.global_priv` in MariaDB ≥ 10.4:
/// https://mariadb.com/kb/en/mysql-user-table/; https://dev.mysql.com/doc/refman/8.0/en/grant-tables.html).
struct MySQLAccountSettings: Equatable {
    /// `mysql_native_password`, `caching_sha2_password`, `ed25519`, …; empty for old native accounts.
    var plugin: String
    /// `''`, `ANY`, `X509` or `SPECIFIED`.
    var sslType: String
    var sslCipher: String
    var x509Issuer: String
    var x509Subject: String
    /// `MAX_QUERIES_PER_HOUR 10`, … in the order `ALTER USER` takes them, each a keyword and a number.
    var limits: [(keyword: String, value: String)]

    static func == (left: MySQLAccountSettings, right: MySQLAccountSettings) -> Bool {
        left.plugin == right.plugin && left.sslType == right.sslType && left.sslCipher == right.sslCipher
            && left.x509Issuer == right.x509Issuer && left.x509Subject == right.x509Subject
            && left.limits.map { "\($0.keyword) \($0.value)" } == right.limits.map { "\($0.keyword) \($0.value)" }
    }

    /// The columns read, and the `ALTER USER` keyword of each limit (MariaDB adds `max_statement_time`).
    static func query(user: String, host: String, mariaDB: Bool) -> String {
        let limits = limitColumns(mariaDB: mariaDB).map(\.column).joined(separator: ", ")
        return "SELECT plugin, ssl_type, ssl_cipher, x509_issuer, x509_subject, \(limits) FROM mysql.user "
            + "WHERE User = \(user) AND Host = \(host)"
    }

    private static func limitColumns(mariaDB: Bool) -> [(column: String, keyword: String)] {
        [
            ("max_questions", "MAX_QUERIES_PER_HOUR"), ("max_updates", "MAX_UPDATES_PER_HOUR"),
            ("max_connections", "MAX_CONNECTIONS_PER_HOUR"), ("max_user_connections", "MAX_USER_CONNECTIONS"),
        ] + (mariaDB ? [("max_statement_time", "MAX_STATEMENT_TIME")] : [])
    }

    /// Reads the row `query` returned.
    /// - Throws: `DatabaseError(.unsupported)` for a value this function would not copy faithfully.
    init(row: [String?], mariaDB: Bool) throws(DatabaseError) {
        let columns = Self.limitColumns(mariaDB: mariaDB)
        guard row.count == 5 + columns.count else {
            throw DatabaseError(.unsupported, "mysql.user returned \(row.count) columns, not \(5 + columns.count)")
        }
        plugin = row[0] ?? ""
        sslType = (row[1] ?? "").uppercased()
        sslCipher = row[2] ?? ""
        x509Issuer = row[3] ?? ""
        x509Subject = row[4] ?? ""
        guard ["", "ANY", "X509", "SPECIFIED"].contains(sslType) else {
            throw DatabaseError(
                .unsupported,
                "mysql.user has the TLS requirement \(sslType.loggable), which this function does not know")
        }
        limits = []
        for (offset, column) in columns.enumerated() {
            let value = row[5 + offset] ?? "0"
            guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) else {
                throw DatabaseError(.unsupported, "mysql.user has a \(column.column) that is not a number")
            }
            limits.append((column.keyword, value))
        }
    }

    init(
        plugin: String, sslType: String = "", sslCipher: String = "", x509Issuer: String = "", x509Subject: String = "",
        limits: [(keyword: String, value: String)] = []
    ) {
        self.plugin = plugin
        self.sslType = sslType
        self.sslCipher = sslCipher
        self.x509Issuer = x509Issuer
        self.x509Subject = x509Subject
        self.limits = limits
    }

    /// `REQUIRE NONE | SSL | X509 | CIPHER '…' AND ISSUER '…' AND SUBJECT '…'`, the strings quoted by `literal`.
    func requireClause(literal: (String) throws(DatabaseError) -> String) throws(DatabaseError) -> String {
        switch sslType {
        case "ANY": return "REQUIRE SSL"
        case "X509": return "REQUIRE X509"
        case "SPECIFIED":
            var parts: [String] = []
            if !sslCipher.isEmpty { parts.append("CIPHER \(try literal(sslCipher))") }
            if !x509Issuer.isEmpty { parts.append("ISSUER \(try literal(x509Issuer))") }
            if !x509Subject.isEmpty { parts.append("SUBJECT \(try literal(x509Subject))") }
            // SPECIFIED with nothing specified still means a certificate: X509 is the nearest, never less.
            return parts.isEmpty ? "REQUIRE X509" : "REQUIRE " + parts.joined(separator: " AND ")
        default: return "REQUIRE NONE"
        }
    }

    /// `WITH MAX_QUERIES_PER_HOUR 0 …`: every limit, zero included, so that a limit the template dropped is dropped.
    var withClause: String {
        limits.isEmpty ? "" : "WITH " + limits.map { "\($0.keyword) \($0.value)" }.joined(separator: " ")
    }

    /// How `ALTER USER` sets a password for this plugin without the password in the statement: the hash the plugin
    /// stores, computed here. MariaDB's `IDENTIFIED BY PASSWORD` (https://mariadb.com/kb/en/alter-user/) and MySQL's
    /// `IDENTIFIED WITH plugin AS` (https://dev.mysql.com/doc/refman/8.0/en/alter-user.html).
    /// - Returns: the clause and the hash in it (to keep out of error messages).
    /// - Throws: `DatabaseError(.unsupported)` for a plugin without a hash computed here (ed25519, sha256_password):
    ///   giving the account another plugin would change how it logs in.
    func passwordClause(_ password: String, mariaDB: Bool, account: String) throws(DatabaseError) -> (
        clause: String, hash: String
    ) {
        switch (plugin, mariaDB) {
        case ("", true), ("mysql_native_password", true):
            let hash = MySQLPasswordHash.native(password)
            return ("IDENTIFIED BY PASSWORD '\(hash)'", hash)
        case ("mysql_native_password", false):
            let hash = MySQLPasswordHash.native(password)
            return ("IDENTIFIED WITH mysql_native_password AS '\(hash)'", hash)
        case ("caching_sha2_password", false):
            let hash = MySQLPasswordHash.cachingSHA2(password)
            return ("IDENTIFIED WITH caching_sha2_password AS '\(hash)'", hash)
        default:
            throw DatabaseError(
                .unsupported,
                "\(account) authenticates with \(plugin.loggable); this function sets passwords only for "
                    + (mariaDB ? "mysql_native_password" : "mysql_native_password and caching_sha2_password")
                    + " accounts (as a hash computed here, so that no server log holds the password)")
        }
    }
}

/// A server's version as `VERSION()` reports it: `10.11.19-MariaDB-0+deb12u1`, `8.0.36`, `8.0.mysql_aurora.3.05.2`.
struct MySQLServerVersion: Equatable {
    var isMariaDB: Bool
    var major: Int
    var minor: Int
    var patch: Int

    init(_ text: String) {
        isMariaDB = text.contains("MariaDB")
        let parts = text.prefix { $0 != "-" }.split(separator: ".", omittingEmptySubsequences: false)
        major = parts.count > 0 ? Int(parts[0]) ?? 0 : 0
        minor = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        // Aurora MySQL 3 reports `8.0.mysql_aurora.3.x`: compatible with MySQL 8.0.23 and later
        // (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.30Updates.html).
        if parts.count > 2, parts[2].hasPrefix("mysql_aurora") {
            patch = 23
        } else {
            patch = parts.count > 2 ? Int(parts[2].prefix { $0.isNumber }) ?? 0 : 0
        }
    }

    /// `RETAIN CURRENT PASSWORD` exists in MySQL 8.0.14 and later
    /// (https://dev.mysql.com/doc/refman/8.0/en/password-management.html#dual-passwords); MariaDB has none.
    var hasDualPasswords: Bool {
        !isMariaDB && (major, minor, patch) >= (8, 0, 14)
    }
}
