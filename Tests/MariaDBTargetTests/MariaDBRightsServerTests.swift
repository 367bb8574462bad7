import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// Alternating users on a real MariaDB 10.11 where the rights to copy are awkward: a table's privilege beside a
/// column's, a master that may not grant everything, a template that cannot be copied, and `PUBLIC`'s grants.
@Suite("MariaDB: rights copied exactly, or nothing changed", .tags(.server))
struct MariaDBRightsServerTests {
    let lambda: MariaDBLambda
    var server: MariaDBServer { lambda.server }

    init() throws {
        lambda = try MariaDBLambda(server: try SharedMariaDB.withTLS.get())
    }

    /// A master like RDS's: it may create users and read mysql.*, and holds the rights it copies with GRANT OPTION
    /// (everything on `database`, unless `rights` says otherwise).
    func master(rights: String) throws -> (arn: String, password: String) {
        let user = uniqueName("adm")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        try server.execute(
            "GRANT CREATE USER, SELECT ON *.* TO \(MariaDBServer.account(user)) WITH GRANT OPTION; "
                + rights.replacing("<M>", with: MariaDBServer.account(user)))
        return (try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: password)), password)
    }

    @Test("a table's SELECT narrowed to a column's: the re-synced user can still read the column (ERROR 1142 before)")
    func tableNarrowedToColumn() throws {
        let user = uniqueName("col")
        let database = uniqueName("shop")
        let password = randomPassword()
        let (masterARN, masterPassword) = try master(
            rights: "GRANT ALL PRIVILEGES ON `\(database)`.* TO <M> WITH GRANT OPTION")
        try server.createAccount(user, password: password)
        try server.execute(
            """
            CREATE DATABASE `\(database)`; CREATE TABLE `\(database)`.t (a INT, b INT); INSERT INTO `\(database)`.t VALUES (1, 2);
            GRANT SELECT, SELECT (a) ON `\(database)`.t TO \(MariaDBServer.account(user));
            """)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, masterARN: masterARN))
        let first = try lambda.rotate(arn)
        #expect(lambda.succeeded(first), "\(lambda.runner.errors(first.posts))")
        let clone = user + "_clone"
        #expect(try server.rights(of: clone) == server.rights(of: user))

        // The DBA narrows the current user (the clone) to the column; the next rotation re-syncs the original.
        try server.execute("REVOKE SELECT ON `\(database)`.t FROM \(MariaDBServer.account(clone))")
        try server.execute("GRANT SELECT (a) ON `\(database)`.t TO \(MariaDBServer.account(clone))")
        let second = try lambda.rotate(arn)
        #expect(lambda.succeeded(second), "\(lambda.runner.errors(second.posts))")
        #expect(try lambda.username(arn, "AWSCURRENT") == user)
        let current = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(try server.rights(of: user) == server.rights(of: clone))
        #expect(try server.query(asUser: user, password: current, "SELECT a FROM `\(database)`.t") == "1")
        let secrets = [password, masterPassword, current]
        expectNoSecrets(secrets, in: first.output + second.output, "the rotator's output")
    }

    @Test("the master lacks a right the current user now has: Target.Permission naming it, the idle user untouched")
    func masterLacksARight() throws {
        let user = uniqueName("lack")
        let database = uniqueName("shop")
        let other = uniqueName("other")
        let password = randomPassword()
        let (masterARN, _) = try master(rights: "GRANT ALL PRIVILEGES ON `\(database)`.* TO <M> WITH GRANT OPTION")
        try server.createAccount(user, password: password)
        try server.execute(
            """
            CREATE DATABASE `\(database)`; CREATE DATABASE `\(other)`;
            GRANT SELECT, INSERT ON `\(database)`.* TO \(MariaDBServer.account(user));
            """)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, masterARN: masterARN))
        let first = try lambda.rotate(arn)
        #expect(lambda.succeeded(first), "\(lambda.runner.errors(first.posts))")
        let clone = user + "_clone"
        // The current user (the clone) now also inserts into a database the master has no rights on, and no
        // longer inserts into the first.
        try server.execute(
            "GRANT INSERT ON `\(other)`.* TO \(MariaDBServer.account(clone)); "
                + "REVOKE INSERT ON `\(database)`.* FROM \(MariaDBServer.account(clone))")
        let idleBefore = try server.rights(of: user)
        let second = try lambda.rotate(arn)
        let error = try #require(lambda.firstError(second.posts))
        #expect(error.type == "Target.Permission")
        #expect(error.message.contains("INSERT on `\(other)`.*"), "\(error.message)")
        #expect(error.message.contains("nothing was changed"))
        #expect(try server.rights(of: user) == idleBefore, "the idle user keeps every right it had")
        #expect(server.canLogIn(user: user, password: password), "and its password (AWSPREVIOUS)")
        #expect(try lambda.username(arn, "AWSCURRENT") == clone)
    }

    @Test("a template the function cannot copy (ed25519): refused before CREATE USER, so no clone is left behind")
    func refusedTemplateLeavesNoClone() throws {
        let user = uniqueName("ed")
        // This account's password is written in plain text into the server's logs by PASSWORD(); it is no rotation's.
        let password = "ed25519-fixture-" + UUID().uuidString
        try server.execute(
            "CREATE USER \(MariaDBServer.account(user)) IDENTIFIED VIA ed25519 USING PASSWORD(\(MariaDBServer.literal(password)))"
        )
        let (masterARN, _) = try master(rights: "")
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, masterARN: masterARN))
        let run = try lambda.rotate(arn)
        let error = try #require(lambda.firstError(run.posts))
        #expect(error.type == "Target.Unsupported")
        #expect(error.message.contains("ed25519"))
        let clones = try server.execute("SELECT COUNT(*) FROM mysql.user WHERE User = '\(user)_clone'")
        #expect(clones.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "no clone account was created")
    }

    @Test("doctor reads a master's SHOW GRANTS with PUBLIC's and an active role's lines, as MariaDB 10.11 prints them")
    func doctorReadsPublicAndRoles() throws {
        let server = try MariaDBServer()
        let lambda = try MariaDBLambda(server: server)
        // What a default install has (mariadb-install-db without --skip-test-db), and a role as RDS's master uses.
        try server.execute(
            "GRANT SELECT, INSERT ON `test`.* TO PUBLIC; CREATE ROLE admin_role; "
                + "GRANT SELECT ON mysql.* TO admin_role WITH GRANT OPTION")
        let master = uniqueName("adm")
        let masterPassword = randomPassword()
        try server.createAccount(master, password: masterPassword)
        try server.execute(
            "GRANT CREATE USER ON *.* TO \(MariaDBServer.account(master)) WITH GRANT OPTION; "
                + "GRANT admin_role TO \(MariaDBServer.account(master)); "
                + "SET DEFAULT ROLE admin_role FOR \(MariaDBServer.account(master))")
        let user = uniqueName("doc")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        let masterARN = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: master, password: masterPassword))
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, masterARN: masterARN))
        let run = try lambda.runner.command(["doctor", "--secret-id", arn, "--json"])
        expectNoSecrets([password, masterPassword], in: run.output, "rotator doctor's output")
        let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix(#"{"secretId""#) })
        let checks = try #require(try JSONValue(parsing: String(line))["checks"]?.arrayValue).compactMap(\.objectValue)
        let privileges = checks.first { $0["check"]?.stringValue == "privileges" }
        #expect(privileges?["status"]?.stringValue == "passed", "\(run.output)")
    }
}
