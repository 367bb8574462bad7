import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// `rotator doctor` and `rotator repair` against a real MariaDB 10.11 with TLS: the MySQL-family checks (the
/// master's CREATE USER, GRANT OPTION and read access to mysql.*), and a rotation stopped after setSecret.
@Suite("rotator doctor and repair against MariaDB", .tags(.server))
struct MariaDBDoctorServerTests {
    let lambda: MariaDBLambda
    var server: MariaDBServer { lambda.server }

    init() throws {
        lambda = try MariaDBLambda(server: try SharedMariaDB.withTLS.get())
    }

    /// `rotator doctor --json`'s checks as name → status, and the whole output.
    func doctor(_ arn: String, secrets: [String]) throws -> (status: Int32?, checks: [String: String], output: String) {
        let run = try lambda.runner.command(["doctor", "--secret-id", arn, "--json"])
        expectNoSecrets(secrets, in: run.output, "rotator doctor's output")
        let line = try #require(
            run.output.split(separator: "\n").first { $0.hasPrefix(#"{"secretId""#) }, "\(run.output)")
        let checks = try #require(try JSONValue(parsing: String(line))["checks"]?.arrayValue).compactMap(\.objectValue)
        var statuses: [String: String] = [:]
        for check in checks {
            if let name = check["check"]?.stringValue { statuses[name] = check["status"]?.stringValue }
        }
        return (run.status, statuses, run.output)
    }

    @Test("alternating users: a master with only CREATE USER is named as lacking GRANT OPTION and mysql.* reads")
    func masterPrivileges() throws {
        let user = uniqueName("doc")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        let weak = uniqueName("weak")
        let weakPassword = randomPassword()
        try server.createAccount(weak, password: weakPassword)
        try server.execute("GRANT CREATE USER ON *.* TO \(MariaDBServer.account(weak))")
        let weakARN = try lambda.createSecret(mariaDBSecret(port: server.port, username: weak, password: weakPassword))
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, masterARN: weakARN))
        let secrets = [password, weakPassword]

        let run = try doctor(arn, secrets: secrets)
        #expect(run.status == 2)
        #expect(run.checks["login with AWSCURRENT"] == "passed", "\(run.output)")
        #expect(run.checks["master login"] == "passed", "\(run.output)")
        #expect(run.checks["privileges"] == "failed")
        #expect(run.output.contains("the master lacks GRANT OPTION, SELECT on mysql.*"), "\(run.output)")

        try server.execute(
            "GRANT SELECT ON mysql.* TO \(MariaDBServer.account(weak)); "
                + "GRANT CREATE USER ON *.* TO \(MariaDBServer.account(weak)) WITH GRANT OPTION")
        let granted = try doctor(arn, secrets: secrets)
        #expect(granted.checks["privileges"] == "passed", "\(granted.output)")
    }

    @Test("single user stopped after setSecret: doctor fails the AWSCURRENT login; repair finishes; then all passes")
    func finishAfterSet() throws {
        let user = uniqueName("doc")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        let arn = try lambda.createSecret(mariaDBSecret(port: server.port, username: user, password: password))
        let token = try lambda.runner.moto.startRotation(secretId: arn)
        _ = try lambda.runner.run(arn: arn, token: token, steps: ["createSecret", "setSecret"])
        let pending = try #require(try lambda.password(arn, "AWSPENDING"))
        let secrets = [password, pending]

        let stuck = try doctor(arn, secrets: secrets)
        #expect(stuck.checks["labels"] == "failed" && stuck.checks["login with AWSCURRENT"] == "failed")
        let repaired = try lambda.runner.command(["repair", "--secret-id", arn, "--apply", "--force"])
        expectNoSecrets(secrets, in: repaired.output, "rotator repair's output")
        #expect(repaired.status == 0, "\(repaired.output)")
        #expect(repaired.output.contains("Action: finish"), "\(repaired.output)")
        #expect(try lambda.password(arn, "AWSCURRENT") == pending)
        #expect(server.canLogIn(user: user, password: pending))
        let healthy = try doctor(arn, secrets: secrets)
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(healthy.checks["privileges"] == "passed")
    }
}
