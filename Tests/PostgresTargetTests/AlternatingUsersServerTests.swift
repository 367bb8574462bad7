import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

@Suite("PostgreSQL alternating-users rotation against a real server", .tags(.server))
struct AlternatingUsersServerTests {
    let server: PostgresServer
    let ownerPassword = randomPassword()
    let masterPassword = randomPassword()
    let logs = LogRecorder()

    init() throws {
        server = try PostgresServer()
        // A master like RDS's: not a superuser, but allowed to create roles.
        try server.createRole("rotation_admin", password: masterPassword, options: "CREATEROLE")
        try server.createRole("app_owner", password: ownerPassword)
        try server.execute(
            "CREATE TABLE orders (id int); INSERT INTO orders VALUES (7); GRANT SELECT ON orders TO app_owner")
    }

    var current: SecretValue {
        postgresSecret(
            port: server.port, username: "app_owner", password: ownerPassword, masterARN: SecretVersions.masterARN)
    }
    var master: SecretValue { postgresSecret(port: server.port, username: "rotation_admin", password: masterPassword) }
    var target: AlternatingUsersStrategy<PostgresDriver> {
        AlternatingUsersStrategy(driver: PostgresDriver(), configuration: server.configuration())
    }

    func versions(current: SecretValue, newPassword: String) throws -> SecretVersions {
        let pending = try target.makePendingSecret(
            current: current, newPassword: newPassword,
            context: SecretVersions().context(logger: logs.logger))
        let versions = SecretVersions(current: current, pending: pending)
        versions.setOther(SecretVersions.masterARN, master)
        return versions
    }

    @Test("first rotation creates the clone with the role's rights; both users log in; later rotations alternate")
    func rotatesBackAndForth() throws {
        let clonePassword = randomPassword()
        let first = try versions(current: current, newPassword: clonePassword)
        #expect(first["AWSPENDING"]?.string("username") == "app_owner_clone")
        try target.setSecret(first.context(logger: logs.logger))
        try target.testSecret(first.context(logger: logs.logger))

        #expect(server.logsIn("app_owner", ownerPassword))
        #expect(server.logsIn("app_owner_clone", clonePassword))
        #expect(try server.execute("SELECT id FROM orders", user: "app_owner_clone", password: clonePassword) == "7")
        #expect(try server.execute("SELECT pg_has_role('app_owner_clone', 'app_owner', 'MEMBER')") == "t")
        #expect(logs.contains(.info, "setSecret: Created user app_owner_clone with the rights of app_owner"))
        #expect(
            logs.contains(
                .info,
                "setSecret: Successfully set password for app_owner_clone in PostgreSQL DB for secret arn \(SecretVersions.arn)."
            ))

        // Second rotation: the clone is current, the original user gets a new password.
        first.promotePending()
        let ownerNewPassword = randomPassword()
        let second = try versions(current: try #require(first["AWSCURRENT"]), newPassword: ownerNewPassword)
        #expect(second["AWSPENDING"]?.string("username") == "app_owner")
        try target.setSecret(second.context(logger: logs.logger))
        try target.testSecret(second.context(logger: logs.logger))
        #expect(server.logsIn("app_owner", ownerNewPassword))
        #expect(!server.logsIn("app_owner", ownerPassword))
        #expect(server.logsIn("app_owner_clone", clonePassword))

        // Third: back to the clone, which exists now: only its password changes.
        second.promotePending()
        let cloneNewPassword = randomPassword()
        let third = try versions(current: try #require(second["AWSCURRENT"]), newPassword: cloneNewPassword)
        try target.setSecret(third.context(logger: logs.logger))
        #expect(server.logsIn("app_owner_clone", cloneNewPassword))
        #expect(server.logsIn("app_owner", ownerNewPassword))

        let secrets = [ownerPassword, masterPassword, clonePassword, ownerNewPassword, cloneNewPassword]
        expectNoSecrets(secrets, in: server.log(), "the server log")
        expectNoSecrets(secrets, in: logs.allText, "our log")
    }

    @Test("re-driven after the clone was created: setSecret short-circuits")
    func redrive() throws {
        let clonePassword = randomPassword()
        let first = try versions(current: current, newPassword: clonePassword)
        try target.setSecret(first.context(logger: logs.logger))
        let again = LogRecorder()
        try target.setSecret(first.context(logger: again.logger))
        try target.testSecret(first.context(logger: again.logger))
        #expect(
            again.contains(
                .info, "setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn"))
        #expect(server.logsIn("app_owner_clone", clonePassword))
    }

    @Test("the current credential must log in")
    func currentMustLogIn() throws {
        let stale = current.with("password", .string(randomPassword()))
        let versions = try versions(current: stale, newPassword: randomPassword())
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.LoginFailed")
        #expect(
            error?.message.hasPrefix(
                "Unable to log into database using current credentials for secret \(SecretVersions.arn) (authentication: "
            ) == true)
        #expect(try server.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'app_owner_clone'") == "0")
    }

    @Test("master problems: wrong password, other host, RDS-managed without its tag, missing masterarn")
    func masterProblems() throws {
        let wrongMaster = try versions(current: current, newPassword: randomPassword())
        wrongMaster.setOther(SecretVersions.masterARN, master.with("password", .string(randomPassword())))
        let loginError = targetError { try target.setSecret(wrongMaster.context(logger: logs.logger)) }
        #expect(loginError?.type == "Target.LoginFailed")
        #expect(
            loginError?.message.hasPrefix(
                "Unable to log into database using credentials in master secret \(SecretVersions.masterARN) (authentication: "
            ) == true)

        let otherHost = try versions(current: current, newPassword: randomPassword())
        otherHost.setOther(SecretVersions.masterARN, master.with("host", .string("localhost")))
        let hostError = targetError { try target.setSecret(otherHost.context(logger: logs.logger)) }
        // The templates' message, then why RDS could not call it the same database (no RDS is configured here).
        #expect(
            hostError?.message.hasPrefix(
                "Current database host 127.0.0.1 is not the same host as/rds replica of master localhost (") == true,
            "\(String(describing: hostError))")

        let rdsManaged = try versions(current: current, newPassword: randomPassword())
        rdsManaged.setOther(
            SecretVersions.masterARN,
            .json(JSONObject(["username": .string("rotation_admin"), "password": .string(masterPassword)])))
        let managedError = targetError { try target.setSecret(rdsManaged.context(logger: logs.logger)) }
        // Only username and password, and no aws:rds tag: no database can be found for it.
        #expect(managedError?.type == "Rotation.InvalidSecret")
        #expect(managedError?.message.contains("nor an aws:rds:primaryDBClusterArn tag") == true)

        let noMaster = try versions(current: current.with("masterarn", nil), newPassword: randomPassword())
        let missingError = targetError { try target.setSecret(noMaster.context(logger: logs.logger)) }
        #expect(missingError?.message == "masterarn key is missing from secret JSON")
        #expect(try server.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'app_owner_clone'") == "0")
    }

    @Test("a pending user that is not the current user's alternate is refused")
    func notTheClone() throws {
        let versions = try versions(current: current, newPassword: randomPassword())
        versions["AWSPENDING"] = versions["AWSPENDING"]?.with("username", .string("postgres"))
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Rotation.InvalidSecret")
        #expect(error?.message == "Attempting to modify user postgres other than current user or clone app_owner")
    }

    @Test("a master without CREATEROLE: a permission error, nothing created")
    func masterWithoutPrivilege() throws {
        try server.execute("ALTER ROLE rotation_admin NOCREATEROLE")
        let versions = try versions(current: current, newPassword: randomPassword())
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.Permission")
        #expect(error?.message.contains("could not create role app_owner_clone as a member of app_owner") == true)
        #expect(try server.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'app_owner_clone'") == "0")
    }
}

@Suite("The postgres target as the handler builds it", .tags(.server))
struct DatabaseTargetServerTests {
    @Test("one target instance rotates a single-user secret and an alternating-users secret")
    func bothStrategies() throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let target = try DatabaseTarget(driver: PostgresDriver(), environment: ["ROTATOR_DB_CA_FILE": server.caFile])
        let masterPassword = randomPassword()
        let password = randomPassword()
        try server.createRole("rotation_admin", password: masterPassword, options: "CREATEROLE")
        try server.createRole("solo", password: password)
        try server.createRole("duo", password: password)

        for (user, masterARN) in [("solo", nil), ("duo", SecretVersions.masterARN)] as [(String, String?)] {
            let current = postgresSecret(port: server.port, username: user, password: password, masterARN: masterARN)
            let newPassword = randomPassword()
            let pending = try target.makePendingSecret(
                current: current, newPassword: newPassword,
                context: SecretVersions().context(logger: logs.logger))
            let versions = SecretVersions(current: current, pending: pending)
            versions.setOther(
                SecretVersions.masterARN,
                postgresSecret(port: server.port, username: "rotation_admin", password: masterPassword))
            try target.setSecret(versions.context(logger: logs.logger))
            try target.testSecret(versions.context(logger: logs.logger))
            let pendingUser = try #require(pending.string("username"))
            #expect(pendingUser == (masterARN == nil ? user : user + "_clone"))
            #expect(server.logsIn(pendingUser, newPassword))
        }
        #expect(!server.logsIn("solo", password))
        #expect(server.logsIn("duo", password))
    }
}
