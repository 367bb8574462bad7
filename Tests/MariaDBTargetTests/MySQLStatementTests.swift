import DatabaseRotation
import Testing

@testable import MariaDBTarget

@Suite("MySQL and MariaDB: password hashes, grants, account settings, versions (no server)")
struct MySQLStatementTests {
    @Test("mysql_native_password: * and SHA1(SHA1(password)) in uppercase hex")
    func nativeHash() {
        // The stored form of "password", as MySQL and MariaDB print it for PASSWORD('password').
        #expect(MySQLPasswordHash.native("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")
        #expect(MySQLPasswordHash.native("") == "*BE1BDEC0AA74B4DCB079943E70528096CCA985F8")
    }

    @Test("SHA-256-crypt matches Drepper's test vector and MySQL's caching_sha2_password")
    func sha256Crypt() {
        // https://www.akkadia.org/drepper/SHA-crypt.txt: $5$saltstring$... for "Hello world!" (5000 rounds).
        #expect(
            MySQLPasswordHash.sha256Crypt(Array("Hello world!".utf8), salt: Array("saltstring".utf8), rounds: 5_000)
                == "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
        // A caching_sha2_password row from MySQL 8 for "foobar" with its 20-byte salt.
        let salt: [UInt8] = [
            0x03, 0x1A, 0x69, 0x25, 0x1C, 0x34, 0x29, 0x5C, 0x4B, 0x35, 0x16, 0x7C, 0x7F, 0x1E, 0x5A, 0x7B, 0x63, 0x09,
            0x13, 0x49,
        ]
        #expect(
            MySQLPasswordHash.sha256Crypt(Array("foobar".utf8), salt: salt, rounds: 5_000)
                == "P9tbM4PKZBFy5HV3hhhoRHZsnJs3hxnBuuQlsDdiIe7")
    }

    @Test("caching_sha2_password's stored form: $A$005$, a fresh 20-character salt, 43 characters, no quote or $")
    func cachingSHA2Form() {
        let first = MySQLPasswordHash.cachingSHA2("secret")
        let second = MySQLPasswordHash.cachingSHA2("secret")
        #expect(first.hasPrefix("$A$005$"))
        #expect(first.utf8.count == 7 + 20 + 43)
        #expect(first != second, "each hash has its own salt")
        #expect(!first.dropFirst(7).contains("$") && !first.contains("'") && !first.contains("\\"))
    }

    @Test("the lexer keeps quoted names whole, undoes doubled quotes and escapes, and refuses an open quote")
    func lexer() throws {
        let tokens = try MySQLLexer.tokens(#"GRANT SELECT (`a``b`) ON `d`.* TO 'it\'s'@'%' "#)
        #expect(
            tokens.map(\.text) == [
                "GRANT", "SELECT", "(", "`a``b`", ")", "ON", "`d`", ".*", "TO", #"'it\'s'"#, "@", "'%'",
            ])
        #expect(tokens[3].value == "a`b")
        #expect(tokens[9].value == "it's")
        #expect(throws: DatabaseError.self) { try MySQLLexer.tokens("GRANT `open") }
    }

    static let svc = DatabaseAccount(user: "svc", host: "10.0.%")
    /// MariaDB 10.11's SHOW GRANTS for an account with every kind of right.
    static let svcGrants = [
        "GRANT `writer` TO `svc`@`10.0.%`",
        "GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO `svc`@`10.0.%` IDENTIFIED BY PASSWORD '*420F0A2F1B1E2D5B6C3A0A2F1B1E2D5B6C3A0A2F' REQUIRE ISSUER '/CN=Test CA' SUBJECT '/CN=svc' WITH GRANT OPTION MAX_USER_CONNECTIONS 10",
        "GRANT SELECT, INSERT ON `shop`.* TO `svc`@`10.0.%` WITH GRANT OPTION",
        "GRANT UPDATE (`note`, `total`) ON `shop`.`orders` TO `svc`@`10.0.%`",
        "GRANT EXECUTE ON PROCEDURE `shop`.`p1` TO `svc`@`10.0.%`",
        "GRANT PROXY ON ''@'%' TO `svc`@`10.0.%`",
        "SET DEFAULT ROLE `writer` FOR `svc`@`10.0.%`",
    ]

    @Test("SHOW GRANTS is read into objects, privileges, grant options, roles and the default role")
    func readsGrants() throws {
        let grants = try MySQLGrants(lines: Self.svcGrants, of: Self.svc)
        #expect(grants.objects["*.*"] == .init(privileges: ["RELOAD", "PROCESS", "BINLOG MONITOR"], grantOption: true))
        #expect(grants.objects["`shop`.*"] == .init(privileges: ["SELECT", "INSERT"], grantOption: true))
        #expect(grants.objects["`shop`.`orders`"] == .init(privileges: ["UPDATE (`note`)", "UPDATE (`total`)"]))
        #expect(grants.objects["PROCEDURE `shop`.`p1`"] == .init(privileges: ["EXECUTE"]))
        #expect(grants.objects["''@'%'"] == .init(privileges: ["PROXY"]))
        #expect(grants.roles == ["`writer`": false])
        #expect(grants.defaultRole == "`writer`")
    }

    @Test("a line that is not understood, or grants to someone else, is refused without quoting the line")
    func refusesWhatItCannotRead() {
        let cases = [
            "GRANT SELECT ON `d`.* TO `other`@`10.0.%`",
            "GRANT SELECT ON `d`.* TO `svc`@`10.0.%` WITH SOMETHING NEW",
            "REVOKE INSERT ON `d`.* FROM `svc`@`10.0.%`",
            "GRANT USAGE ON *.* TO `svc`@`10.0.%` IDENTIFIED BY PASSWORD '*HASHVALUE' AND MORE",
            "GRANT SELECT ON `d`.* TO `svc`",
        ]
        for line in cases {
            let error = #expect(throws: DatabaseError.self) { try MySQLGrants(lines: [line], of: Self.svc) }
            #expect(error?.category == .unsupported)
            #expect(error?.message.contains("HASHVALUE") == false)
        }
    }

    @Test("a new clone gets every right of the original, the default role after the role; nothing to take away")
    func copiesToEmptyClone() throws {
        let wanted = try MySQLGrants(lines: Self.svcGrants, of: Self.svc)
        let clone = DatabaseAccount(user: "svc_clone", host: "10.0.%")
        let held = try MySQLGrants(lines: ["GRANT USAGE ON *.* TO `svc_clone`@`10.0.%`"], of: clone)
        let plan = MySQLGrantPlan(from: held, to: wanted, grantee: "'svc_clone'@'10.0.%'")
        #expect(
            plan.additions == [
                "GRANT PROXY ON ''@'%' TO 'svc_clone'@'10.0.%'",
                "GRANT BINLOG MONITOR, PROCESS, RELOAD ON *.* TO 'svc_clone'@'10.0.%' WITH GRANT OPTION",
                "GRANT EXECUTE ON PROCEDURE `shop`.`p1` TO 'svc_clone'@'10.0.%'",
                "GRANT INSERT, SELECT ON `shop`.* TO 'svc_clone'@'10.0.%' WITH GRANT OPTION",
                "GRANT UPDATE (`note`), UPDATE (`total`) ON `shop`.`orders` TO 'svc_clone'@'10.0.%'",
                "GRANT `writer` TO 'svc_clone'@'10.0.%'",
                "SET DEFAULT ROLE `writer` FOR 'svc_clone'@'10.0.%'",
            ])
        #expect(plan.removals.isEmpty)
    }

    @Test("re-sync grants what the original gained first, then takes away what it lost; equal rights need nothing")
    func resyncs() throws {
        let original = DatabaseAccount(user: "app", host: "%")
        let clone = DatabaseAccount(user: "app_clone", host: "%")
        let wanted = try MySQLGrants(
            lines: [
                "GRANT USAGE ON *.* TO `app`@`%`", "GRANT ALL PRIVILEGES ON `a`.* TO `app`@`%`",
                "GRANT SELECT (`x`) ON `b`.`t` TO `app`@`%`", "GRANT `r2` TO `app`@`%` WITH ADMIN OPTION",
                "GRANT SELECT ON `same`.* TO `app`@`%`",
            ], of: original)
        let held = try MySQLGrants(
            lines: [
                "GRANT USAGE ON *.* TO `app_clone`@`%`", "GRANT SELECT ON `a`.* TO `app_clone`@`%` WITH GRANT OPTION",
                "GRANT SELECT (`x`, `y`) ON `b`.`t` TO `app_clone`@`%`", "GRANT `r1` TO `app_clone`@`%`",
                "GRANT `r2` TO `app_clone`@`%`", "GRANT SELECT ON `same`.* TO `app_clone`@`%`",
                "SET DEFAULT ROLE `r1` FOR `app_clone`@`%`",
            ], of: clone)
        let plan = MySQLGrantPlan(from: held, to: wanted, grantee: "C")
        // SELECT on `a` is part of ALL PRIVILEGES: not revoked (revoking it would take it from ALL as well).
        #expect(plan.additions == ["GRANT ALL PRIVILEGES ON `a`.* TO C", "GRANT `r2` TO C WITH ADMIN OPTION"])
        #expect(
            plan.removals == [
                "SET DEFAULT ROLE NONE FOR C", "REVOKE GRANT OPTION ON `a`.* FROM C",
                "REVOKE SELECT (`y`) ON `b`.`t` FROM C", "REVOKE `r1` FROM C",
            ])
        #expect(MySQLGrantPlan(from: wanted, to: wanted, grantee: "C").isEmpty, "equal rights need no statement")
    }

    @Test("account settings: REQUIRE and WITH from mysql.user, every limit written so a dropped one is dropped")
    func settings() throws {
        let row: [String?] = [
            "mysql_native_password", "SPECIFIED", "", "/CN=Test CA", "/CN=it's", "0", "5", "0", "10", "0.000000",
        ]
        let settings = try MySQLAccountSettings(row: row, mariaDB: true)
        let literal: (String) throws(DatabaseError) -> String = { "'" + $0.replacing("'", with: "\\'") + "'" }
        #expect(
            try settings.requireClause(literal: literal) == #"REQUIRE ISSUER '/CN=Test CA' AND SUBJECT '/CN=it\'s'"#)
        #expect(
            settings.withClause
                == "WITH MAX_QUERIES_PER_HOUR 0 MAX_UPDATES_PER_HOUR 5 MAX_CONNECTIONS_PER_HOUR 0 MAX_USER_CONNECTIONS 10 MAX_STATEMENT_TIME 0.000000"
        )
        #expect(try MySQLAccountSettings(plugin: "", sslType: "").requireClause(literal: literal) == "REQUIRE NONE")
        #expect(try MySQLAccountSettings(plugin: "", sslType: "ANY").requireClause(literal: literal) == "REQUIRE SSL")
        #expect(
            try MySQLAccountSettings(plugin: "", sslType: "SPECIFIED").requireClause(literal: literal) == "REQUIRE X509"
        )
        #expect(throws: DatabaseError.self) {
            try MySQLAccountSettings(row: ["p", "SOMETHING", "", "", "", "0", "0", "0", "0"], mariaDB: false)
        }
        #expect(throws: DatabaseError.self) {
            try MySQLAccountSettings(row: ["p", "", "", "", "", "0; DROP", "0", "0", "0"], mariaDB: false)
        }
    }

    @Test("passwords are set as the plugin's hash; plugins without one here are refused")
    func passwordClauses() throws {
        let native = MySQLAccountSettings(plugin: "mysql_native_password")
        #expect(
            try native.passwordClause("password", mariaDB: true, account: "a").clause
                == "IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'")
        #expect(
            try native.passwordClause("password", mariaDB: false, account: "a").clause
                == "IDENTIFIED WITH mysql_native_password AS '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'")
        let sha2 = try MySQLAccountSettings(plugin: "caching_sha2_password").passwordClause(
            "p", mariaDB: false, account: "a")
        #expect(
            sha2.clause == "IDENTIFIED WITH caching_sha2_password AS '\(sha2.hash)'" && sha2.hash.hasPrefix("$A$005$"))
        for (plugin, mariaDB) in [("ed25519", true), ("caching_sha2_password", true), ("sha256_password", false)] {
            let error = #expect(throws: DatabaseError.self) {
                try MySQLAccountSettings(plugin: plugin).passwordClause("p", mariaDB: mariaDB, account: "a")
            }
            #expect(error?.category == .unsupported)
        }
    }

    @Test("dual passwords: MySQL 8.0.14 and later, Aurora MySQL 3; never MariaDB or older MySQL")
    func dualPasswordCapability() {
        #expect(MySQLServerVersion("8.0.14").hasDualPasswords)
        #expect(MySQLServerVersion("8.0.36-log").hasDualPasswords)
        #expect(MySQLServerVersion("8.4.3").hasDualPasswords)
        #expect(MySQLServerVersion("9.1.0").hasDualPasswords)
        #expect(MySQLServerVersion("8.0.mysql_aurora.3.05.2").hasDualPasswords)
        #expect(!MySQLServerVersion("8.0.13").hasDualPasswords)
        #expect(!MySQLServerVersion("5.7.44").hasDualPasswords)
        #expect(!MySQLServerVersion("10.11.19-MariaDB-0+deb12u1").hasDualPasswords)
        #expect(!MySQLServerVersion("11.4.2-MariaDB").hasDualPasswords)
    }

    @Test("the TLS probe reads CLIENT_SSL from the greeting, and refuses what is not a greeting")
    func greeting() throws {
        func packet(capabilities: UInt16) -> [UInt8] {
            let payload: [UInt8] =
                [10] + Array("10.11.19-MariaDB".utf8) + [0] + [1, 0, 0, 0] + Array(repeating: 0x41, count: 8) + [0]
                + [UInt8(capabilities & 0xFF), UInt8(capabilities >> 8)] + Array(repeating: 0, count: 20)
            return [UInt8(payload.count), 0, 0, 0] + payload
        }
        let withTLS = packet(capabilities: 0xF7FE | 0x0800)
        #expect(MySQLTLSProbe.isWholePacket(withTLS) && !MySQLTLSProbe.isWholePacket(Array(withTLS.dropLast())))
        #expect(try MySQLTLSProbe.capabilities(greeting: withTLS, host: "h", port: 1) & 0x0800 != 0)
        #expect(
            try MySQLTLSProbe.capabilities(greeting: packet(capabilities: 0xF7FE), host: "h", port: 1) & 0x0800 == 0)
        #expect(throws: DatabaseError.self) {
            try MySQLTLSProbe.capabilities(greeting: [5, 0, 0, 0, 0xFF, 0x10, 0x04, 0x41, 0x42], host: "h", port: 1)
        }
        #expect(throws: DatabaseError.self) {
            try MySQLTLSProbe.capabilities(greeting: [3, 0, 0, 0, 10, 0x41, 0], host: "h", port: 1)
        }
    }

    @Test("drivers: engines, limits, modes; dual only for mysql")
    func drivers() throws {
        let mysql = MySQLDriver(.mysql)
        let mariaDB = MySQLDriver(.mariaDB)
        #expect(mysql.engines == ["mysql", "aurora-mysql"] && mariaDB.engines == ["mariadb"])
        #expect(mysql.maximumUserNameLength == 32 && mariaDB.maximumUserNameLength == 80)
        #expect(
            mysql.wrongEngineMessage == "Database engine must be set to 'mysql' in order to use this rotation lambda")
        let none: (String) -> Bool = { _ in false }
        let dual = try DatabaseTargetConfiguration(
            environment: ["ROTATOR_MYSQL_MODE": "dual", "USERNAME_CHARACTER_LIMIT": "16"],
            modeVariable: mysql.modeVariable, supportsDualPasswords: true, fileExists: none)
        #expect(dual.mode == .dualPassword && dual.userNameLimit == 16)
        let error = #expect(throws: DatabaseError.self) {
            try DatabaseTargetConfiguration(
                environment: ["ROTATOR_MARIADB_MODE": "dual"], modeVariable: mariaDB.modeVariable,
                supportsDualPasswords: false, fileExists: none)
        }
        #expect(error?.message == "ROTATOR_MARIADB_MODE must be single, alternating or auto, not \"dual\"")
        #expect(throws: DatabaseError.self) {
            try DatabaseTargetConfiguration(
                environment: ["USERNAME_CHARACTER_LIMIT": "sixteen"], modeVariable: "M", fileExists: none)
        }
        #expect(try UserNames.alternate(of: "ééééé", maximum: 11, unit: .characters) == "ééééé_clone")
        #expect(throws: DatabaseError.self) { try UserNames.alternate(of: "ééééé", maximum: 11, unit: .bytes) }
    }
}
