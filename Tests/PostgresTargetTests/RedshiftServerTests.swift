import DatabaseRotation
import DatabaseTestKit
import Foundation
import JSON
import PostgresTarget
import Rotation
import TestSupport
import TestTags
import Testing

/// The Redshift driver against PostgreSQL 15 set up as Redshift's stand-in: passwords stored and checked as md5, users
/// in groups. What it proves is the wire, the md5 stored form and the statements both accept; not Redshift itself.
@Suite("Redshift driver on a PostgreSQL stand-in", .serialized, .tags(.server))
struct RedshiftServerTests {
    /// With Redshift's default database, `dev`.
    static let standIn = Result<PostgresServer, any Error> {
        let server = try PostgresServer(hbaLines: ["host all all 127.0.0.1/32 md5", "host all all ::1/128 md5"])
        try server.execute("CREATE DATABASE dev")
        return server
    }

    /// A user whose password reaches the server only as its md5 form.
    static func createUser(_ server: PostgresServer, _ name: String, password: String, options: String = "") throws {
        try server.asSuperuser { connection in
            let hash = try connection.md5Password(password, user: name)
            try connection.execute(
                "CREATE USER \(try connection.quoteIdentifier(name)) \(options) PASSWORD \(try connection.quoteLiteral(hash))"
            )
        }
    }

    /// The stand-in as the conformance kit asks for it: a right is a group's SELECT on a table, as Redshift grants
    /// by group, and the clone must land in that group.
    struct StandIn: ConformanceServer {
        let server: PostgresServer
        var host: String { server.host }
        var port: Int { server.port }
        var caFile: String { server.caFile }
        var untrustedCAFile: String { server.untrustedCAFile }
        let group = "readers_\(UUID().uuidString.prefix(6).lowercased())"

        func createAccount(_ user: String, password: String, administrator: Bool) throws {
            try RedshiftServerTests.createUser(
                server, user, password: password, options: administrator ? "CREATEROLE" : "")
        }

        func grantARight(to user: String) throws {
            try server.execute(
                "CREATE TABLE IF NOT EXISTS redshift_t (a int); CREATE GROUP \(group); GRANT SELECT ON redshift_t TO GROUP \(group); "
                    + "ALTER GROUP \(group) ADD USER \"\(user)\"")
        }

        func canUseTheRight(_ user: String, password: String) -> Bool {
            (try? server.execute("SELECT count(*) FROM redshift_t", user: user, password: password)) == "0"
        }

        func canLogIn(_ user: String, password: String) -> Bool { server.canLogIn(user: user, password: password) }
    }

    @Test("the Redshift driver keeps the driver contract on the md5 stand-in")
    func conformance() throws {
        try DriverConformance.check(RedshiftDriver(), on: StandIn(server: try Self.standIn.get()))
    }

    @Test("a password is stored as md5 + MD5(password + user), and the server never receives it in plain text")
    func storedForm() throws {
        let server = try Self.standIn.get()
        let user = "rs_\(UUID().uuidString.prefix(6).lowercased())"
        let first = randomPassword()
        try Self.createUser(server, user, password: first)
        let session = try RedshiftDriver().connect(
            DatabaseLogin(
                host: server.host, port: server.port, user: user, password: first, database: "postgres",
                tls: .verifyFull(caFile: server.caFile)),
            timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: LogRecorder().logger)
        defer { session.close() }
        #expect(session.usedPassword)
        let second = randomPassword()
        try session.changeOwnPassword(to: second)
        let stored = try server.execute("SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'")
        #expect(stored == "md5" + Self.md5Hex(second + user))
        #expect(server.canLogIn(user: user, password: second) && !server.canLogIn(user: user, password: first))
        expectNoSecrets([first, second], in: server.log(), "the server's statement log")
    }

    @Test("RotatorLambda: single user, then alternating users whose clone joins the user's groups")
    func rotations() throws {
        let server = try Self.standIn.get()
        let lambda = try PostgresLambda(server: server)
        let user = "rs_app_\(UUID().uuidString.prefix(6).lowercased())"
        let first = randomPassword()
        try Self.createUser(server, user, password: first)
        let group = "rs_group_\(UUID().uuidString.prefix(6).lowercased())"
        try server.execute("CREATE GROUP \(group); ALTER GROUP \(group) ADD USER \(user)")
        func secret(_ user: String, _ password: String, master: String? = nil) -> SecretValue {
            var object = JSONObject([
                "engine": .string("redshift"), "host": .string(server.host), "port": .integer(server.port),
                "username": .string(user), "password": .string(password), "dbname": .string("postgres"),
                "ssl": .bool(true),
            ])
            if let master { object["masterarn"] = .string(master) }
            return .json(object)
        }
        let single = try lambda.createSecret(secret(user, first))
        let once = try lambda.rotate(single)
        #expect(lambda.errors(once.posts).isEmpty, "\(once.output)")
        let second = try #require(try lambda.password(single, "AWSCURRENT"))
        #expect(server.canLogIn(user: user, password: second) && !server.canLogIn(user: user, password: first))

        let admin = "rs_admin_\(UUID().uuidString.prefix(6).lowercased())"
        let adminPassword = randomPassword()
        try Self.createUser(server, admin, password: adminPassword, options: "CREATEROLE")
        let master = try lambda.createSecret(secret(admin, adminPassword))
        let alternating = try lambda.createSecret(secret(user, second, master: master))
        let twice = try lambda.rotate(alternating)
        #expect(lambda.errors(twice.posts).isEmpty, "\(twice.output)")
        let clone = user + "_clone"
        #expect(try lambda.runner.field("username", of: alternating, "AWSCURRENT") == clone)
        #expect(
            try server.execute(
                "SELECT count(*) FROM pg_group g, pg_user u WHERE u.usename = '\(clone)' AND g.groname = '\(group)' AND u.usesysid = ANY(g.grolist)"
            ) == "1")
        let clonePassword = try #require(try lambda.password(alternating, "AWSCURRENT"))
        #expect(server.canLogIn(user: clone, password: clonePassword))
        expectNoSecrets(
            [first, second, clonePassword, adminPassword], in: server.log() + once.output + twice.output,
            "the server's log and the function's output")
    }

    /// Lowercase hex MD5, by the shell's md5sum (not the code under test's).
    static func md5Hex(_ text: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(32))
    }
}
