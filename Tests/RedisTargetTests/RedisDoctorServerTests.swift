import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// `rotator doctor` on Redis secrets, against redis-server 7 over TLS: the privilege check asks the server with
/// `ACL DRYRUN` whether the user (or the master) may send the ACL commands its strategy sends, and runs none of them.
@Suite(.serialized, .tags(.server)) struct RedisDoctorServerTests {
    let server: RedisServer
    let runner: RotatorLambdaRunner

    init() throws {
        server = try SharedRedis.withTLS.get()
        runner = try RotatorLambdaRunner(caFile: server.caFile, secretPrefix: "redis-doctor")
    }

    /// A user with `rules` and a new password; the secret naming it (and `master`, when given).
    func secret(rules: [String], master: String? = nil) throws -> (arn: String, user: String, password: String) {
        let user = "doc_\(UUID().uuidString.prefix(6).lowercased())"
        let password = randomPassword()
        try server.cli(["ACL", "SETUSER", user, "on", ">" + password] + rules)
        var object = JSONObject([
            "engine": .string("redis"), "host": .string(server.host), "port": .integer(server.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(true),
        ])
        if let master { object["masterarn"] = .string(master) }
        return (try runner.createSecret(secretString: object.serialized), user, password)
    }

    /// The doctor's checks by name: (status, detail); no password of `passwords` in its output.
    func doctor(_ arn: String, mode: String? = nil, passwords: [String]) throws -> [String: (String, String)] {
        let run = try runner.command(
            ["doctor", "--secret-id", arn, "--json"], environment: mode.map { ["ROTATOR_REDIS_MODE": $0] } ?? [:])
        expectNoSecrets(passwords, in: run.output, "rotator doctor's output")
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.output)")
        var checks: [String: (String, String)] = [:]
        for check in try JSONValue(parsing: String(line))["checks"]?.arrayValue ?? [] {
            guard let name = check["check"]?.stringValue else { continue }
            checks[name] = (check["status"]?.stringValue ?? "", check["detail"]?.stringValue ?? "")
        }
        return checks
    }

    @Test("single user: may it change its own ACL? passed with +acl|setuser, failed without, skipped without DRYRUN")
    func singleUser() throws {
        let allowed = try secret(rules: ["resetchannels", "-@all", "+ping", "+acl|setuser", "+acl|dryrun"])
        let passes = try doctor(allowed.arn, passwords: [allowed.password])
        #expect(passes["privileges"]?.0 == "passed", "\(passes)")
        #expect(passes["privileges"]?.1 == "the user may change its own password")

        let denied = try secret(rules: ["resetchannels", "-@all", "+ping", "+acl|dryrun"])
        let fails = try doctor(denied.arn, passwords: [denied.password])
        #expect(fails["privileges"]?.0 == "failed" && fails["privileges"]?.1 == "the user lacks +acl|setuser")

        let silent = try secret(rules: ["resetchannels", "-@all", "+ping", "+acl|setuser"])
        let cannotTell = try doctor(silent.arn, passwords: [silent.password])
        #expect(cannotTell["privileges"]?.0 == "skipped", "without +acl|dryrun the server cannot tell: \(cannotTell)")
        #expect(cannotTell["privileges"]?.1.contains("NOPERM") == true)
    }

    @Test("dual passwords by the master: the master is checked (login, +acl|setuser); the user needs no ACL right")
    func dualByMaster() throws {
        let admin = try secret(rules: ["~*", "&*", "+@all"])
        let user = try secret(rules: ["~app:*", "resetchannels", "-@all", "+get"], master: admin.arn)
        let checks = try doctor(user.arn, mode: "dual", passwords: [admin.password, user.password])
        #expect(checks["master login"]?.0 == "passed", "\(checks)")
        #expect(
            checks["privileges"]?.0 == "passed" && checks["privileges"]?.1 == "the master may set the user's passwords")
    }

    @Test("alternating users: a master that may change ACLs but not read them lacks +acl|getuser and +acl|list")
    func alternatingMaster() throws {
        let limited = try secret(rules: ["resetchannels", "-@all", "+acl|setuser", "+acl|dryrun"])
        let user = try secret(rules: ["~app:*", "resetchannels", "-@all", "+get"], master: limited.arn)
        let checks = try doctor(user.arn, passwords: [limited.password, user.password])
        #expect(checks["master login"]?.0 == "passed", "\(checks)")
        #expect(
            checks["privileges"]?.0 == "failed"
                && checks["privileges"]?.1 == "the master lacks +acl|getuser, +acl|list",
            "\(checks)")
    }
}
