import DatabaseRotation
import Foundation
import JSON
import Logging
import PostgresTarget
import Rotation
import RotationOperations
import TestSupport
import TestTags
import Testing

/// `rotator doctor` and `rotator repair` end to end: the command line against moto (signatures checked) and a real
/// PostgreSQL, with each problem made for real (a changed password, a closed port, a name the certificate does not
/// hold, a master without CREATEROLE, a rotation stopped after each step).
@Suite("rotator doctor and repair against PostgreSQL", .serialized, .tags(.server))
struct DoctorRepairServerTests {
    let lambda: PostgresLambda
    var moto: MotoServer { lambda.moto }
    var server: PostgresServer { lambda.server }
    let appPassword = randomPassword()
    let masterPassword = randomPassword()

    init() throws {
        lambda = try PostgresLambda(server: PostgresServer())
        try server.createRole("doc_app", password: appPassword)
        try server.createRole("doc_admin", password: masterPassword, options: "CREATEROLE")
        try server.createRole("doc_plain", password: masterPassword)
    }

    func appSecret(host: String = "127.0.0.1", port: Int? = nil, masterARN: String? = nil) throws -> String {
        try lambda.createSecret(
            postgresSecret(
                host: host, port: port ?? server.port, username: "doc_app", password: appPassword,
                masterARN: masterARN))
    }

    /// Every password the secret holds and the test made, none of which may appear in any output.
    func secrets(_ arn: String) -> [String] {
        let stored = ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"].compactMap { try? lambda.password(arn, $0) }
        return [appPassword, masterPassword] + stored
    }

    func doctor(_ arn: String, environment: [String: String] = [:], names: IsolatedNames? = nil) throws -> DoctorRun {
        let text = try lambda.runner.command(["doctor", "--secret-id", arn], environment: environment, names: names)
        let json = try lambda.runner.command(
            ["doctor", "--secret-id", arn, "--json"], environment: environment, names: names)
        expectNoSecrets(secrets(arn), in: text.output + json.output, "rotator doctor's output")
        #expect(text.status == json.status)
        return try DoctorRun(status: text.status, text: text.output, json: json.output)
    }

    func repair(_ arn: String, apply: Bool = false) throws -> (status: Int32?, output: String, plan: JSONObject) {
        let run = try lambda.runner.command(
            ["repair", "--secret-id", arn, "--json", "--force"] + (apply ? ["--apply"] : []))
        expectNoSecrets(secrets(arn), in: run.output, "rotator repair's output")
        let line = try #require(
            run.output.split(separator: "\n").first { $0.hasPrefix(#"{"secretId""#) }, "no plan in: \(run.output)")
        return (run.status, run.output, try #require(try JSONValue(parsing: String(line)).objectValue))
    }

    /// Turns rotation on (RotateSecret) and takes the AWSPENDING label it staged off again: configured, not rotating.
    func rotationOn(_ arn: String) throws {
        let token = try moto.startRotation(secretId: arn)
        _ = try moto.adminClient.call(
            "UpdateSecretVersionStage",
            JSONObject([
                "SecretId": .string(arn), "VersionStage": .string("AWSPENDING"), "RemoveFromVersionId": .string(token),
            ]))
    }

    @Test("a healthy secret after a single-user rotation: every check passes, exit 0")
    func healthy() throws {
        let arn = try appSecret()
        let rotated = try lambda.rotate(arn)
        #expect(lambda.errors(rotated.posts).isEmpty, "\(lambda.errors(rotated.posts))")
        let run = try doctor(arn)
        #expect(run.status == 0, "\(run.text)")
        for name in [
            "secret readable", "secret value", "labels", "rotation configuration", "password policy", "name resolution",
            "TCP and TLS", "login with AWSCURRENT", "login with AWSPREVIOUS", "privileges",
        ] {
            #expect(run.status(of: name) == "passed", "\(name): \(run.text)")
        }
        #expect(run.detail(of: "secret value")?.contains("target postgres, strategy single") == true, "\(run.text)")
        #expect(run.detail(of: "login with AWSPREVIOUS")?.hasPrefix("refused, as after a single-user rotation") == true)
        #expect(run.detail(of: "login with AWSCURRENT")?.contains("as doc_app over TLS verified") == true)
        #expect(run.text.contains("All 10 checks passed."))
        #expect(try repair(arn).plan["action"] == .string("nothing"))
    }

    @Test("each problem is one failed check with what to do, and exit 2")
    func problems() throws {
        // A policy that allows characters connection strings break on.
        let arn = try appSecret()
        try rotationOn(arn)
        let policy = try doctor(arn, environment: ["EXCLUDE_CHARACTERS": ""])
        #expect(policy.status == 2)
        #expect(policy.failed == ["password policy"], "\(policy.text)")
        #expect(policy.detail(of: "password policy")?.contains("EXCLUDE_CHARACTERS lets passwords contain") == true)
        #expect(policy.text.contains("1 check failed."))

        // The password changed behind the rotator's back.
        try server.setPassword("doc_app", password: randomPassword())
        let wrong = try doctor(arn)
        #expect(wrong.status == 2)
        #expect(wrong.failed == ["login with AWSCURRENT"], "\(wrong.text)")
        #expect(wrong.detail(of: "login with AWSCURRENT")?.hasPrefix("authentication: ") == true, "\(wrong.text)")
        #expect(wrong.advice(of: "login with AWSCURRENT")?.contains("`rotator repair`") == true)
        #expect(wrong.status(of: "privileges") == nil, "nothing after a failed login")
        try server.setPassword("doc_app", password: appPassword)

        // Nothing listens on the port.
        let closed = try doctor(try appSecret(port: try FreePort.find()))
        #expect(closed.status == 2)
        #expect(closed.failed == ["rotation configuration", "TCP and TLS"], "\(closed.text)")
        #expect(closed.detail(of: "rotation configuration") == "rotation is off")
        #expect(closed.advice(of: "TCP and TLS")?.contains("security groups") == true)

        // A host name nobody can resolve (the only DNS server refuses every query at once).
        let unresolvable = try doctor(
            try appSecret(host: "db.missing.test"), names: IsolatedNames(nameserver: "127.0.0.13"))
        #expect(unresolvable.status == 2)
        #expect(unresolvable.failed == ["rotation configuration", "name resolution"], "\(unresolvable.text)")

        // Another name for the server (a CNAME): resolves and answers, but the certificate does not hold it.
        let alias = IsolatedNames(hosts: [(name: "db-alias.test", address: "127.0.0.1")])
        let aliased = try appSecret(host: "db-alias.test")
        try rotationOn(aliased)
        let cname = try doctor(aliased, names: alias)
        #expect(cname.status == 2)
        #expect(cname.status(of: "name resolution") == "passed" && cname.status(of: "TCP and TLS") == "passed")
        #expect(cname.failed == ["login with AWSCURRENT"], "\(cname.text)")
        #expect(cname.detail(of: "login with AWSCURRENT")?.hasPrefix("tls: ") == true, "\(cname.text)")
        #expect(cname.detail(of: "login with AWSCURRENT")?.contains(#"set "tls_server_name""#) == true, "\(cname.text)")

        // No such secret.
        let missing = try doctor("doctor-no-such-\(UUID().uuidString.prefix(6))")
        #expect(missing.status == 2)
        #expect(missing.failed == ["secret readable"], "\(missing.text)")
        #expect(missing.detail(of: "secret readable")?.contains("ResourceNotFound") == true, "\(missing.text)")
        #expect(missing.advice(of: "secret readable")?.contains("in this account and region") == true)
    }

    @Test("alternating users: the master must be able to create roles")
    func master() throws {
        let plain = try lambda.createSecret(
            postgresSecret(port: server.port, username: "doc_plain", password: masterPassword))
        let weakARN = try appSecret(masterARN: plain)
        try rotationOn(weakARN)
        let weak = try doctor(weakARN)
        #expect(weak.status == 2)
        #expect(weak.status(of: "master login") == "passed", "\(weak.text)")
        #expect(weak.failed == ["privileges"], "\(weak.text)")
        #expect(weak.detail(of: "privileges") == "the master lacks CREATEROLE")

        let admin = try lambda.createSecret(
            postgresSecret(port: server.port, username: "doc_admin", password: masterPassword))
        let arn = try appSecret(masterARN: admin)
        let good = try doctor(arn)
        #expect(good.failed == ["rotation configuration"], "rotation is not on yet: \(good.text)")
        #expect(good.detail(of: "secret value")?.contains("strategy alternating") == true)
        #expect(good.status(of: "login with AWSPREVIOUS") == "skipped")
        #expect(good.detail(of: "privileges") == "the master may create users and grant their rights")
    }

    @Test("stopped after createSecret: doctor names the stale label; repair plans clear, changes nothing, then clears")
    func clearAfterCreate() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret])
        let run = try doctor(arn)
        #expect(run.failed == ["labels"], "\(run.text)")
        #expect(run.advice(of: "labels")?.contains("rotator repair --secret-id") == true)

        let before = try moto.adminClient.stages(secretId: arn)
        let plan = try repair(arn)
        #expect(plan.status == 0 && plan.plan["action"] == .string("clear"), "\(plan.output)")
        #expect(plan.plan["applied"] == .bool(false), "with --json, the plan says it was not carried out")
        #expect(try moto.adminClient.stages(secretId: arn) == before)

        let applied = try repair(arn, apply: true)
        #expect(applied.status == 0 && applied.plan["applied"] == .bool(true), "\(applied.output)")
        #expect(applied.output.contains("Took AWSPENDING off version \(token)."))
        #expect(applied.output.contains("The secret is no longer stuck."))
        #expect(try moto.adminClient.stages(secretId: arn)[token]?.contains("AWSPENDING") != true)
        #expect(try lambda.password(arn, "AWSCURRENT") == appPassword && server.logsIn("doc_app", appPassword))
        #expect(try doctor(arn).status(of: "labels") == "passed")
        // The next rotation starts and completes.
        #expect(lambda.errors(try lambda.rotate(arn).posts).isEmpty)
    }

    @Test("stopped after setSecret (single user): only the pending password works, so repair finishes")
    func finishAfterSet() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret, .setSecret])
        let pending = try #require(try lambda.password(arn, "AWSPENDING"))
        #expect(!server.logsIn("doc_app", appPassword) && server.logsIn("doc_app", pending))
        #expect(try doctor(arn).failed.contains("login with AWSCURRENT"))

        let plan = try repair(arn)
        #expect(plan.plan["action"] == .string("finish"), "\(plan.output)")
        #expect(try moto.adminClient.stages(secretId: arn)[token] == ["AWSPENDING"])
        let applied = try repair(arn, apply: true)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try moto.adminClient.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
        #expect(try lambda.password(arn, "AWSCURRENT") == pending)
        #expect(try doctor(arn).status == 0)
    }

    @Test("stopped after setSecret (alternating users): both users log in, so repair resumes with the same token")
    func resumeAlternating() throws {
        let admin = try lambda.createSecret(
            postgresSecret(port: server.port, username: "doc_admin", password: masterPassword))
        let arn = try appSecret(masterARN: admin)
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret, .setSecret])
        let plan = try repair(arn)
        #expect(plan.plan["action"] == .string("resume"), "\(plan.output)")
        let applied = try repair(arn, apply: true)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try moto.adminClient.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
        #expect(try lambda.runner.field("username", of: arn, "AWSCURRENT") == "doc_app_clone")
        #expect(server.logsIn("doc_app", appPassword), "the previous user still logs in")
    }

    @Test("no credential works: repair refuses and changes nothing, with or without --apply")
    func refuse() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret, .setSecret])
        try server.setPassword("doc_app", password: randomPassword())
        let before = try moto.adminClient.stages(secretId: arn)
        for apply in [false, true] {
            let plan = try repair(arn, apply: apply)
            #expect(plan.status == 2, "\(plan.output)")
            #expect(plan.plan["action"] == .string("refuse"))
            #expect(try moto.adminClient.stages(secretId: arn) == before)
        }
    }

    @Test("not stuck, but the password was set back to the previous one: repair refuses and says AWSPREVIOUS works")
    func passwordSetBack() throws {
        let arn = try appSecret()
        #expect(lambda.errors(try lambda.rotate(arn).posts).isEmpty)
        try server.setPassword("doc_app", password: appPassword)
        let plan = try repair(arn)
        #expect(plan.status == 2 && plan.plan["action"] == .string("refuse"), "\(plan.output)")
        #expect(plan.plan["reason"]?.stringValue?.contains("the AWSPREVIOUS one does") == true, "\(plan.output)")
    }
}

extension DoctorRepairServerTests {
    @Test("a young AWSPENDING: repair refuses without --force, since a step may still be running")
    func youngPending() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret])
        let run = try lambda.runner.command(["repair", "--secret-id", arn, "--apply"])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("a rotation step may still be running"), "\(run.output)")
        #expect(try moto.adminClient.stages(secretId: arn)[token] == ["AWSPENDING"], "nothing changed")
    }

    @Test("the database down: repair cannot tell, refuses, and never advises changing a password by hand")
    func databaseDown() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret, .setSecret])
        let before = try moto.adminClient.stages(secretId: arn)
        server.stop()
        defer { try? server.start() }
        let plan = try repair(arn, apply: true)
        #expect(plan.status == 2, "\(plan.output)")
        #expect(plan.plan["action"] == .string("refuse"))
        let reason = plan.plan["reason"]?.stringValue ?? ""
        #expect(reason.contains("could not be reached") && reason.contains("cannot be told"), "\(reason)")
        #expect(!reason.contains("by hand") && !reason.contains("set the password"), "\(reason)")
        #expect(plan.output.contains("cannot tell: the target could not be reached"), "\(plan.output)")
        #expect(try moto.adminClient.stages(secretId: arn) == before)
    }

    @Test("AWSPENDING taken off after the database got its password: repair finds that version and restores it")
    func restoreUnlabelledVersion() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret, .setSecret])
        let pending = try #require(try lambda.password(arn, "AWSPENDING"))
        // What a repair racing the rotation did: the label is gone, the database has the pending password.
        _ = try moto.adminClient.call(
            "UpdateSecretVersionStage",
            JSONObject([
                "SecretId": .string(arn), "VersionStage": .string("AWSPENDING"), "RemoveFromVersionId": .string(token),
            ]))
        let plan = try repair(arn)
        #expect(plan.plan["action"] == .string("restore"), "\(plan.output)")
        #expect(plan.plan["restoreVersion"] == .string(token))
        let applied = try repair(arn, apply: true)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try moto.adminClient.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
        #expect(try lambda.password(arn, "AWSCURRENT") == pending && server.logsIn("doc_app", pending))
    }

    @Test("a rotation's setSecret lands between repair's plan and its apply: the apply sees it and changes nothing")
    func planOvertakenByRotation() throws {
        let arn = try appSecret()
        let token = try moto.startRotation(secretId: arn)
        _ = try lambda.run(arn: arn, token: token, steps: [.createSecret])
        var environment = moto.clientEnvironment
        environment["ROTATOR_DB_CA_FILE"] = server.caFile
        let rotation = try LocalRotation(
            environment: environment, targets: [DatabaseTarget.choice(PostgresDriver())],
            logger: Logger(label: "repair-race"))
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .clear)
        // Secrets Manager's retry of setSecret: the database now holds the pending password.
        _ = try lambda.run(arn: arn, token: token, steps: [.setSecret])
        let pending = try #require(try lambda.password(arn, "AWSPENDING"))
        #expect(server.logsIn("doc_app", pending))
        #expect(throws: RotationError.self) { try rotation.applyRepair(plan, force: true) }
        #expect(try moto.adminClient.stages(secretId: arn)[token] == ["AWSPENDING"], "AWSPENDING stays")
    }
}

/// One `rotator doctor` run: its exit status, its text, and its checks from `--json`.
struct DoctorRun {
    let status: Int32?
    let text: String
    let checks: [JSONObject]

    init(status: Int32?, text: String, json: String) throws {
        self.status = status
        self.text = text
        let line = try #require(
            json.split(separator: "\n").first { $0.hasPrefix(#"{"secretId""#) }, "no JSON in: \(json)")
        let report = try #require(try JSONValue(parsing: String(line)).objectValue)
        #expect(report["passed"] == .bool(status == 0))
        checks = try #require(report["checks"]?.arrayValue).compactMap(\.objectValue)
    }

    private func check(_ name: String) -> JSONObject? { checks.first { $0["check"] == .string(name) } }
    func status(of name: String) -> String? { check(name)?["status"]?.stringValue }
    func detail(of name: String) -> String? { check(name)?["detail"]?.stringValue }
    func advice(of name: String) -> String? { check(name)?["advice"]?.stringValue }
    var failed: [String] { checks.filter { $0["status"] == .string("failed") }.compactMap { $0["check"]?.stringValue } }
}
