import Foundation
import JSON
import PostgresTarget
import Rotation
import TestSupport
import TestTags
import Testing

/// Whole rotations through `RotatorLambda`, the zip's binary, in Lambda mode: fake Runtime API, moto as Secrets
/// Manager, and a real PostgreSQL. The steps arrive as Secrets Manager sends them.
@Suite("PostgreSQL rotation through the Lambda loop and moto", .serialized, .tags(.server))
struct LambdaEndToEndServerTests {
    let lambda: PostgresLambda
    var moto: MotoServer { lambda.moto }
    var server: PostgresServer { lambda.server }
    let startPassword = randomPassword()
    let masterPassword = randomPassword()

    init() throws {
        lambda = try PostgresLambda(server: PostgresServer())
        try server.createRole("e2e_app", password: startPassword)
        try server.createRole("e2e_admin", password: masterPassword, options: "CREATEROLE")
        try server.execute(
            "CREATE TABLE ledger (n int); INSERT INTO ledger VALUES (42); GRANT SELECT ON ledger TO e2e_app")
    }

    func createSecret(_ value: SecretValue) throws -> String { try lambda.createSecret(value) }

    func runLambda(arn: String, token: String, steps: [RotationStep], extra: [String: String] = [:]) throws
        -> (posts: [FakeRuntimeAPI.Post], output: String)
    {
        let run = try lambda.run(arn: arn, token: token, steps: steps, environment: extra)
        return (run.posts, run.output)
    }

    func errors(_ posts: [FakeRuntimeAPI.Post]) -> [String] { lambda.errors(posts) }

    func password(_ arn: String, _ stage: String) throws -> String? { try lambda.password(arn, stage) }

    @Test("single user: the new password logs in, the old one does not; nothing secret in any output")
    func singleUser() throws {
        let arn = try createSecret(postgresSecret(port: server.port, username: "e2e_app", password: startPassword))
        let token = try moto.startRotation(secretId: arn)
        let run = try runLambda(arn: arn, token: token, steps: [.createSecret, .setSecret, .testSecret, .finishSecret])
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(errors(run.posts))")
        let newPassword = try #require(try password(arn, "AWSCURRENT"))
        #expect(newPassword != startPassword && newPassword.count == 32)
        #expect(server.logsIn("e2e_app", newPassword))
        #expect(!server.logsIn("e2e_app", startPassword))
        #expect(
            run.output.contains(
                "setSecret: Successfully set password for user e2e_app in PostgreSQL DB for secret arn \(arn)."))
        expectNoSecrets([startPassword, newPassword], in: run.output, "the rotator's output")
        expectNoSecrets([startPassword, newPassword], in: server.log(), "the server log")
    }

    @Test("alternating users: the clone is created with the role's rights and both users log in")
    func alternatingUsers() throws {
        let masterARN = try createSecret(
            postgresSecret(port: server.port, username: "e2e_admin", password: masterPassword))
        let arn = try createSecret(
            postgresSecret(port: server.port, username: "e2e_app", password: startPassword, masterARN: masterARN))
        let token = try moto.startRotation(secretId: arn)
        let run = try runLambda(arn: arn, token: token, steps: [.createSecret, .setSecret, .testSecret, .finishSecret])
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(errors(run.posts))")
        let current = try #require(
            try moto.secretString(secretId: arn, stage: "AWSCURRENT").map { try SecretValue(secretString: $0) })
        #expect(current.string("username") == "e2e_app_clone")
        #expect(current.string("masterarn") == masterARN)
        let clonePassword = try #require(current.string("password"))
        #expect(server.logsIn("e2e_app_clone", clonePassword))
        #expect(server.logsIn("e2e_app", startPassword))
        #expect(try server.execute("SELECT n FROM ledger", user: "e2e_app_clone", password: clonePassword) == "42")
        expectNoSecrets([startPassword, clonePassword, masterPassword], in: run.output, "the rotator's output")
        expectNoSecrets([startPassword, clonePassword, masterPassword], in: server.log(), "the server log")
    }

    @Test("a crash after setSecret, re-driven from the start, completes without a lockout")
    func crashAfterSet() throws {
        let arn = try createSecret(postgresSecret(port: server.port, username: "e2e_app", password: startPassword))
        let token = try moto.startRotation(secretId: arn)
        let first = try runLambda(arn: arn, token: token, steps: [.createSecret, .setSecret])
        #expect(first.posts.map(\.kind) == [.response, .response], "\(errors(first.posts))")
        let pendingPassword = try #require(try password(arn, "AWSPENDING"))
        // The database has the new password, AWSCURRENT still the old one: the lockout window.
        #expect(server.logsIn("e2e_app", pendingPassword))
        let redrive = try runLambda(
            arn: arn, token: token, steps: [.createSecret, .setSecret, .testSecret, .finishSecret])
        #expect(redrive.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(errors(redrive.posts))")
        #expect(redrive.output.contains("setSecret: AWSPENDING secret is already set as password in PostgreSQL DB"))
        #expect(try password(arn, "AWSCURRENT") == pendingPassword)
        #expect(server.logsIn("e2e_app", pendingPassword))
    }

    @Test("database down: Target.Network with the template's text, AWSPENDING kept, nothing changed")
    func databaseDown() throws {
        let arn = try createSecret(postgresSecret(port: server.port, username: "e2e_app", password: startPassword))
        let token = try moto.startRotation(secretId: arn)
        let created = try runLambda(arn: arn, token: token, steps: [.createSecret])
        #expect(created.posts.map(\.kind) == [.response])
        let pendingBefore = try moto.secretString(secretId: arn, stage: "AWSPENDING")
        server.stop()
        let run = try runLambda(arn: arn, token: token, steps: [.setSecret])
        #expect(run.posts.map(\.kind) == [.error])
        #expect(run.posts.first?.errorTypeHeader == "Target.Network")
        #expect(
            run.posts.first?.bodyText.contains(
                "Unable to log into database with previous, current, or pending secret of secret arn") == true)
        #expect(try moto.secretString(secretId: arn, stage: "AWSPENDING") == pendingBefore)
        try server.start()
        #expect(server.logsIn("e2e_app", startPassword))
        let pendingPassword = try #require(try password(arn, "AWSPENDING"))
        #expect(!server.logsIn("e2e_app", pendingPassword))
        expectNoSecrets([startPassword, pendingPassword], in: run.output, "the rotator's output")
    }
}
