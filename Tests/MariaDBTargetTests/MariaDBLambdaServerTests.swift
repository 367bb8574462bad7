import Foundation
import JSON
import MariaDBTarget
import Rotation
import TestSupport
import TestTags
import Testing

/// Whole rotations through `RotatorLambda`, the zip's binary: fake Runtime API, moto, and a real MariaDB 10.11 with
/// TLS and its general, slow and binary logs on.
@Suite("MariaDB rotation through the Lambda loop and moto", .tags(.server))
struct MariaDBLambdaServerTests {
    let lambda: MariaDBLambda
    var server: MariaDBServer { lambda.server }

    init() throws {
        lambda = try MariaDBLambda(server: try SharedMariaDB.withTLS.get())
    }

    @Test("single user: the new password logs in, the old one does not; no password in any output or server log")
    func singleUser() throws {
        let user = uniqueName("single")
        let oldPassword = randomPassword()
        try server.createAccount(user, password: oldPassword)
        let arn = try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: oldPassword))
        let run = try lambda.rotate(arn)
        #expect(lambda.succeeded(run), "\(lambda.runner.errors(run.posts))")
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(newPassword != oldPassword)
        #expect(server.canLogIn(user: user, password: newPassword))
        #expect(!server.canLogIn(user: user, password: oldPassword))
        #expect(
            run.output.contains(
                "setSecret: Successfully set password for user \(user) in MariaDB DB for secret arn \(arn)."))
        expectNoSecrets([oldPassword, newPassword], in: run.output, "the rotator's output")
        try server.expectNoSecretsInLogs([oldPassword, newPassword])
    }

    /// An account with every kind of right: global, database (with GRANT OPTION), table, column, routine, a role
    /// and a default role, a TLS requirement and a resource limit.
    func makeRichAccount(_ user: String, host: String, password: String, database: String, master: String) throws {
        let account = MariaDBServer.account(user, host)
        try server.createAccount(
            user, host: host, password: password, options: "REQUIRE SSL WITH MAX_USER_CONNECTIONS 7")
        try server.execute(
            """
            CREATE DATABASE `\(database)`; CREATE TABLE `\(database)`.orders (id INT, note TEXT, total INT);
            CREATE PROCEDURE `\(database)`.p1() SELECT 1;
            CREATE ROLE IF NOT EXISTS `\(database)_reader`; GRANT SELECT ON `\(database)`.* TO `\(database)_reader`;
            GRANT `\(database)_reader` TO \(MariaDBServer.account(master)) WITH ADMIN OPTION;
            GRANT PROCESS ON *.* TO \(account);
            GRANT INSERT, DELETE ON `\(database)`.* TO \(account) WITH GRANT OPTION;
            GRANT UPDATE (note, total) ON `\(database)`.orders TO \(account);
            GRANT EXECUTE ON PROCEDURE `\(database)`.p1 TO \(account);
            GRANT `\(database)_reader` TO \(account); SET DEFAULT ROLE `\(database)_reader` FOR \(account);
            """)
    }

    /// A master of the test's own: like RDS's, no superuser, but it may create users and grant what it has.
    func masterSecret(_ user: String) throws -> (arn: String, password: String) {
        let password = randomPassword()
        try server.createAccount(user, password: password)
        try server.execute("GRANT ALL PRIVILEGES ON *.* TO \(MariaDBServer.account(user)) WITH GRANT OPTION")
        return (try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: password)), password)
    }

    @Test(
        "alternating users: the clone gets the account's host part and exactly its rights, re-synced every rotation",
        arguments: [("app", "%"), ("o'b\"r `x` %_ é\\n", "127.0.0.%")])
    func alternatingUsers(base: String, host: String) throws {
        let user = uniqueName(base)
        let database = uniqueName("shop")
        let master = uniqueName("admin")
        let (masterARN, masterPassword) = try masterSecret(master)
        let startPassword = randomPassword()
        try makeRichAccount(user, host: host, password: startPassword, database: database, master: master)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: startPassword, masterARN: masterARN))

        let first = try lambda.rotate(arn)
        #expect(lambda.succeeded(first), "\(lambda.runner.errors(first.posts))")
        let clone = user + "_clone"
        #expect(try lambda.username(arn, "AWSCURRENT") == clone)
        let clonePassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: clone, password: clonePassword))
        #expect(server.canLogIn(user: user, password: startPassword), "the original keeps working")
        let cloneRights = try server.rights(of: clone, host: host)
        let userRightsBefore = try server.rights(of: user, host: host)
        #expect(cloneRights == userRightsBefore)
        #expect(
            try server.query(asUser: clone, password: clonePassword, "SELECT COUNT(*) FROM `\(database)`.orders") == "0"
        )

        // The DBA changes the current account's rights; the next rotation gives the original user the same.
        let cloneAccount = MariaDBServer.account(clone, host)
        try server.execute(
            """
            REVOKE INSERT ON `\(database)`.* FROM \(cloneAccount); REVOKE GRANT OPTION ON `\(database)`.* FROM \(cloneAccount);
            GRANT SELECT (id) ON `\(database)`.orders TO \(cloneAccount); REVOKE `\(database)_reader` FROM \(cloneAccount);
            SET DEFAULT ROLE NONE FOR \(cloneAccount); ALTER USER \(cloneAccount) REQUIRE NONE WITH MAX_USER_CONNECTIONS 3;
            """)
        let second = try lambda.rotate(arn)
        #expect(lambda.succeeded(second), "\(lambda.runner.errors(second.posts))")
        let userPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(try lambda.username(arn, "AWSCURRENT") == user)
        let userRights = try server.rights(of: user, host: host)
        let cloneRightsAfter = try server.rights(of: clone, host: host)
        #expect(userRights == cloneRightsAfter)
        #expect(userRights.contains { $0.contains("REQUIRE") } == false, "the REQUIRE SSL the clone lost is gone")
        #expect(!server.canLogIn(user: user, password: startPassword))
        #expect(server.canLogIn(user: user, password: userPassword))
        #expect(second.output.contains("setSecret: Successfully set password for \(user.loggable) in MariaDB DB"))

        let secrets = [startPassword, clonePassword, userPassword, masterPassword]
        expectNoSecrets(secrets, in: first.output + second.output, "the rotator's output")
        try server.expectNoSecretsInLogs(secrets)
    }

    @Test(
        "hostile user names and passwords of every punctuation character, single user",
        arguments: [
            "quote'd", "double\"quote", "back`tick", "per%cent_under", "spa ce", "ünï cødé", "back\\slash",
        ])
    func hostileSingleUser(base: String) throws {
        let user = base + "_" + UUID().uuidString.prefix(4)
        let oldPassword = randomPassword() + everyPunctuation
        try server.createAccount(user, password: oldPassword)
        let arn = try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: oldPassword))
        let run = try lambda.rotate(arn)
        #expect(lambda.succeeded(run), "\(lambda.runner.errors(run.posts))")
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: user, password: newPassword))
        #expect(!server.canLogIn(user: user, password: oldPassword))
    }

    @Test("dual mode on MariaDB: a configuration error that changes nothing")
    func dualRefused() throws {
        let user = uniqueName("dual")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, engine: "mysql"))
        let run = try lambda.rotate(arn, environment: ["ROTATOR_MYSQL_MODE": "dual"])
        let error = try #require(lambda.firstError(run.posts))
        #expect(error.type == "Target.ConfigInvalid")
        #expect(error.message.contains("dual passwords (RETAIN CURRENT PASSWORD) need MySQL 8.0.14 or later"))
        #expect(error.message.contains("MariaDB"))
        #expect(server.canLogIn(user: user, password: password))
        #expect(try lambda.password(arn, "AWSCURRENT") == password)
    }

    @Test("dual mode with masterarn: refused in createSecret, before a pending value or any statement")
    func dualByMasterRefused() throws {
        let user = uniqueName("dualm")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        // A master that could act, for the same engine: only the mode's rule refuses.
        let masterUser = uniqueName("dualmaster")
        let masterPassword = randomPassword()
        try server.createAccount(masterUser, password: masterPassword)
        try server.execute("GRANT ALL PRIVILEGES ON *.* TO \(MariaDBServer.account(masterUser)) WITH GRANT OPTION")
        let master = (
            arn: try lambda.createSecret(
                mariaDBSecret(port: server.port, username: masterUser, password: masterPassword, engine: "mysql")),
            password: masterPassword
        )
        let arn = try lambda.createSecret(
            mariaDBSecret(
                port: server.port, username: user, password: password, engine: "mysql", masterARN: master.arn))
        let run = try lambda.rotate(arn, environment: ["ROTATOR_MYSQL_MODE": "dual"])
        let error = try #require(lambda.firstError(run.posts))
        #expect(run.posts.first?.kind == .error, "createSecret is the step that refuses")
        #expect(error.type == "Target.Unsupported")
        #expect(error.message.contains("leave out masterarn with ROTATOR_MYSQL_MODE=dual"), "\(error.message)")
        #expect(try lambda.password(arn, "AWSPENDING") == nil, "no pending value was stored")
        #expect(try lambda.password(arn, "AWSCURRENT") == password)
        #expect(server.canLogIn(user: user, password: password))
        expectNoSecrets([password, master.password], in: run.output, "the function's output")
    }

    @Test("an ed25519 account: refused as unsupported, its password untouched")
    func ed25519Refused() throws {
        let user = uniqueName("ed")
        // This account's password is written in plain text into the server's logs by PASSWORD(); it is no rotation's.
        let password = "ed25519-fixture-" + UUID().uuidString
        try server.execute(
            "CREATE USER \(MariaDBServer.account(user)) IDENTIFIED VIA ed25519 USING PASSWORD(\(MariaDBServer.literal(password)))"
        )
        let arn = try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: password))
        let run = try lambda.rotate(arn)
        let error = try #require(lambda.firstError(run.posts))
        #expect(error.type == "Target.Unsupported")
        #expect(error.message.contains("authenticates with ed25519"))
        #expect(server.canLogIn(user: user, password: password))
    }
}
