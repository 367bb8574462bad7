import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import RedisTarget

/// Whole rotations of Redis ACL users through `RotatorLambda` (the zip's binary) and moto with signature checking,
/// against redis-server over TLS; `MONITOR` records every command the server ran meanwhile, and no password may be
/// in it, nor in ACL LOG, SLOWLOG or the function's output.
@Suite(.serialized, .tags(.server)) struct RedisLambdaServerTests {
    let server: RedisServer
    let runner: RotatorLambdaRunner

    init() throws {
        server = try SharedRedis.withTLS.get()
        runner = try RotatorLambdaRunner(caFile: server.caFile, secretPrefix: "redis-e2e")
    }

    func uniqueUser(_ prefix: String) -> String { "\(prefix)_\(UUID().uuidString.prefix(6).lowercased())" }

    /// A new ACL administrator (the master secret's user), and its password.
    func administrator(on server: RedisServer) throws -> (user: String, password: String) {
        let admin = uniqueUser("admin")
        let password = randomPassword()
        try server.cli(["ACL", "SETUSER", admin, "on", ">" + password, "~*", "&*", "+@all"])
        return (admin, password)
    }

    func secret(user: String, password: String, master: String? = nil) -> String {
        var object = JSONObject([
            "engine": .string("redis"), "host": .string(server.host), "port": .integer(server.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(true),
        ])
        if let master { object["masterarn"] = .string(master) }
        return object.serialized
    }

    /// Runs `body` while MONITOR records, then checks that no password of `secrets` reached the server in clear.
    func watching(_ arns: [String], _ body: () throws -> Void) throws {
        let monitor = try server.monitor()
        try body()
        let recorded = monitor.stop()
        // MONITOR was on (its +OK); it leaves out AUTH, administrative commands (ACL) and refused ones itself, so what
        // it shows is only what else the rotation sent. The wire capture test reads every command.
        #expect(recorded.hasPrefix("OK"), "MONITOR was recording: \(recorded.prefix(200))")
        var passwords: [String] = []
        for arn in arns {
            for stage in ["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"] {
                if let password = try runner.password(arn, stage) { passwords.append(password) }
            }
        }
        expectNoSecrets(passwords, in: recorded, "MONITOR")
        for (name, text) in server.logs() { expectNoSecrets(passwords, in: text, name) }
    }

    @Test("dual passwords: the new password is added beside the current one; the one two rotations back goes")
    func dualPasswords() throws {
        let user = uniqueUser("dual")
        let first = randomPassword()
        try server.cli(["ACL", "SETUSER", user, "on", ">" + first, "resetchannels", "-@all", "+ping", "+acl|setuser"])
        let arn = try runner.createSecret(secretString: secret(user: user, password: first))
        let environment = ["ROTATOR_REDIS_MODE": "dual"]
        try watching([arn]) {
            let once = try runner.rotate(arn, environment: environment)
            #expect(runner.errors(once.posts).isEmpty, "\(once.output)")
            let second = try #require(try runner.password(arn, "AWSCURRENT"))
            #expect(second != first)
            #expect(server.canLogIn(user: user, password: first), "AWSPREVIOUS keeps working for one period")
            #expect(server.canLogIn(user: user, password: second))

            let twice = try runner.rotate(arn, environment: environment)
            #expect(runner.errors(twice.posts).isEmpty, "\(twice.output)")
            let third = try #require(try runner.password(arn, "AWSCURRENT"))
            #expect(!server.canLogIn(user: user, password: first), "two rotations back: gone")
            #expect(server.canLogIn(user: user, password: second) && server.canLogIn(user: user, password: third))
            expectNoSecrets([first, second, third], in: once.output + twice.output, "the function's output")
        }
    }

    @Test("on the wire, a password is only ever an AUTH argument: every other command carries its SHA-256")
    func passwordsOnTheWire() throws {
        let plain = try SharedRedis.plain.get()
        let wire = Locked<[(fromClient: Bool, text: String)]>([])
        let proxy = try DatabaseWireProxy(
            upstreamPort: plain.port, dialect: .redis,
            record: { fromClient, message in
                wire.withLock { $0.append((fromClient, String(decoding: message, as: UTF8.self))) }
            },
            observe: { _, _ in .pass })
        defer { proxy.stop() }
        let (admin, adminPassword) = try administrator(on: plain)
        func secret(_ user: String, _ password: String, master: String? = nil) -> String {
            var object = JSONObject([
                "engine": .string("redis"), "host": .string(plain.host), "port": .integer(proxy.port),
                "username": .string(user), "password": .string(password), "ssl": .bool(false),
            ])
            if let master { object["masterarn"] = .string(master) }
            return object.serialized
        }
        let master = try runner.createSecret(secretString: secret(admin, adminPassword))
        let user = uniqueUser("wire")
        let first = randomPassword()
        try plain.cli(["ACL", "SETUSER", user, "on", ">" + first, "~\(user):*", "resetchannels", "-@all", "+ping"])
        let arn = try runner.createSecret(secretString: secret(user, first, master: master))
        // Dual passwords set by the master, then alternating users: every command that changes a password.
        for environment in [["ROTATOR_REDIS_MODE": "dual"], ["ROTATOR_REDIS_MODE": "alternating"]] {
            let run = try runner.rotate(arn, environment: environment)
            #expect(runner.errors(run.posts).isEmpty, "\(run.output)")
        }
        var passwords = [first, adminPassword]
        for stage in ["AWSCURRENT", "AWSPREVIOUS"] { passwords += [try runner.password(arn, stage)].compactMap { $0 } }
        let commands = wire.withLock { $0 }.filter(\.fromClient).map(\.text)
        #expect(commands.contains { $0.contains("SETUSER") && $0.contains("#") }, "the capture holds the changes")
        for command in commands where !command.contains("\r\nAUTH\r\n") {
            expectNoSecrets(passwords, in: command, "a command other than AUTH")
        }
    }

    @Test("dual passwords set by the master: the user needs no +acl|setuser, and its rules do not change")
    func dualPasswordsByMaster() throws {
        let (admin, adminPassword) = try administrator(on: server)
        let master = try runner.createSecret(secretString: secret(user: admin, password: adminPassword))
        let user = uniqueUser("app")
        let first = randomPassword()
        // Not even PING: testSecret's proof is the AUTH, and the session answering at all.
        try server.cli(["ACL", "SETUSER", user, "on", ">" + first, "~\(user):*", "resetchannels", "-@all", "+get"])
        let rulesBefore = try server.cli(["ACL", "GETUSER", user]).replacingOccurrences(
            of: Self.hashLines, with: "", options: .regularExpression)
        let arn = try runner.createSecret(secretString: secret(user: user, password: first, master: master))
        let environment = ["ROTATOR_REDIS_MODE": "dual"]
        try watching([arn, master]) {
            let once = try runner.rotate(arn, environment: environment)
            #expect(runner.errors(once.posts).isEmpty, "\(once.output)")
            #expect(try runner.field("username", of: arn, "AWSCURRENT") == user)
            let second = try #require(try runner.password(arn, "AWSCURRENT"))
            #expect(server.canLogIn(user: user, password: first) && server.canLogIn(user: user, password: second))
            let twice = try runner.rotate(arn, environment: environment)
            #expect(runner.errors(twice.posts).isEmpty, "\(twice.output)")
            #expect(!server.canLogIn(user: user, password: first))
        }
        let rulesAfter = try server.cli(["ACL", "GETUSER", user]).replacingOccurrences(
            of: Self.hashLines, with: "", options: .regularExpression)
        #expect(rulesAfter == rulesBefore, "only the passwords changed")
    }

    /// The password hashes in `ACL GETUSER`'s output (64 hex digits a line), which rotations change.
    static let hashLines = "(?m)^[0-9a-f]{64}\\n"

    @Test("alternating users: the clone gets the user's ACL rules exactly, and the two take turns")
    func alternatingUsers() throws {
        let (admin, adminPassword) = try administrator(on: server)
        let master = try runner.createSecret(secretString: secret(user: admin, password: adminPassword))
        let user = uniqueUser("app")
        let first = randomPassword()
        try server.cli([
            "ACL", "SETUSER", user, "on", ">" + first, "~\(user):*", "resetchannels", "&\(user).events", "-@all",
            "+get", "+set", "+ping", "(~shared:* +get)",
        ])
        let arn = try runner.createSecret(secretString: secret(user: user, password: first, master: master))
        try watching([arn, master]) {
            let once = try runner.rotate(arn)
            #expect(runner.errors(once.posts).isEmpty, "\(once.output)")
            let clone = try #require(try runner.field("username", of: arn, "AWSCURRENT"))
            #expect(clone == user + "_clone")
            let session = try RedisDriver().connect(
                DatabaseLogin(
                    host: server.host, port: server.port, user: admin, password: adminPassword, database: nil,
                    tls: .verifyFull(caFile: server.caFile)),
                timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: LogRecorder().logger)
            defer { session.close() }
            #expect(try session.rules(of: clone) == session.rules(of: user))
            #expect(try session.rules(of: clone).contains { $0.hasPrefix("(~shared:*") && $0.hasSuffix("+get)") })
            #expect(server.canLogIn(user: clone, password: try #require(try runner.password(arn, "AWSCURRENT"))))
            #expect(server.canLogIn(user: user, password: first), "the user the applications still hold works")

            let twice = try runner.rotate(arn)
            #expect(runner.errors(twice.posts).isEmpty, "\(twice.output)")
            #expect(try runner.field("username", of: arn, "AWSCURRENT") == user)
            #expect(server.canLogIn(user: user, password: try #require(try runner.password(arn, "AWSCURRENT"))))
        }
    }

    @Test("a user that may not change its own ACL: refused with what to do, and nothing changed")
    func withoutTheRight() throws {
        let user = uniqueUser("plain")
        let first = randomPassword()
        try server.cli(["ACL", "SETUSER", user, "on", ">" + first, "resetchannels", "-@all", "+ping"])
        let arn = try runner.createSecret(secretString: secret(user: user, password: first))
        let run = try runner.rotate(arn)
        let error = try #require(runner.errors(run.posts).first)
        #expect(
            error.contains("Target.Permission") && error.contains("+acl|setuser") && error.contains("masterarn"),
            "\(error)")
        #expect(server.canLogIn(user: user, password: first))
        #expect(try runner.password(arn, "AWSCURRENT") == first)
    }
}
