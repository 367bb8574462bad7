import DatabaseRotation
import DatabaseTestKit
import Foundation
import JSON
import Rotation
import SecretsManager
import TestSupport
import Testing

/// Rotations of database secrets in process: the in-memory Secrets Manager, the in-memory database, and the
/// handler the Lambda runs, with a target built on the in-memory driver.
struct DatabaseLab {
    let memory = InMemorySecretsManager()
    let database = InMemoryDatabase()
    let logs = LogRecorder()
    let rds = InMemoryRDS()
    let handler: RotationHandler

    init(traits: DatabaseTraits = InMemoryDriver.defaultTraits, environment extra: [String: String] = [:]) throws {
        var environment = ["ROTATOR_DB_CA_FILE": "/dev/null", "EXCLUDE_CHARACTERS": ""]
        environment.merge(extra) { _, new in new }
        handler = try RotationLambda.makeHandler(
            environment: environment,
            targets: [DatabaseTarget.choice(InMemoryDriver(database: database, traits: traits), rds: rds.directory)],
            client: memory)
    }

    /// A secret in the templates' shape for `user`, whose account is made with `password` unless `account` is
    /// false; `extra` adds keys (`masterarn`, `ssl`, …).
    func secret(
        user: String, password: String, host: String = "db.internal", account: Bool = true,
        rights: Set<String> = ["SELECT"], extra: JSONObject = JSONObject()
    ) -> String {
        if account { database.addAccount(user, password: password, rights: rights) }
        var object = JSONObject([
            "engine": .string("memdb"), "host": .string(host), "username": .string(user),
            "password": .string(password), "note": .string("kept"),
        ])
        for member in extra.members { object[member.key] = member.value }
        return memory.createSecret(name: "\(user)-secret", secretString: object.serialized)
    }

    /// A master secret for alternating users: an account that administers.
    func master(_ user: String = "admin", password: String = "admin-Pw1!", host: String = "db.internal") -> String {
        database.addAccount(user, password: password, administers: true)
        let object = JSONObject([
            "engine": .string("memdb"), "host": .string(host), "username": .string(user), "password": .string(password),
        ])
        return memory.createSecret(name: "\(user)-master", secretString: object.serialized)
    }

    /// A master secret as RDS makes it (`ManageMasterUserPassword`): only username and password, tagged with the
    /// database's ARN, named `rds!db-…` or `rds!cluster-…`, owned by RDS.
    func rdsManagedMaster(_ user: String = "admin", password: String = "admin-Pw1!", tag: (key: String, value: String))
        -> String
    {
        database.addAccount(user, password: password, administers: true)
        let kind = tag.value.contains(":cluster:") ? "cluster" : "db"
        return memory.createSecret(
            name: "rds!\(kind)-\(UUID().uuidString.lowercased())",
            secretString: JSONObject(["username": .string(user), "password": .string(password)]).serialized,
            tags: [tag, ("aws:secretsmanager:owningService", "rds")])
    }

    func step(_ step: RotationStep, _ arn: String, _ token: String) throws {
        try handler.run(
            RotationEvent(step: step, secretId: arn, clientRequestToken: token), deadline: .after(milliseconds: 10_000),
            logger: logs.logger)
    }

    /// A whole rotation as Secrets Manager starts it; returns the token.
    @discardableResult
    func rotate(_ arn: String) throws -> String {
        let token = try memory.startRotation(secretId: arn)
        for step in RotationStep.allCases { try self.step(step, arn, token) }
        return token
    }

    func value(_ arn: String, _ stage: String) throws -> JSONObject? {
        try memory.secretString(secretId: arn, stage: stage).flatMap { try JSONValue(parsing: $0).objectValue }
    }

    func field(_ arn: String, _ stage: String, _ key: String) throws -> String? {
        try value(arn, stage)?[key]?.stringValue
    }
}

/// Runs `body`, which must throw a `RotationError`, and hands it to `check`.
func expectRefusal(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation, _ check: (RotationError) -> Void
) {
    do {
        try body()
        Issue.record("the step succeeded", sourceLocation: sourceLocation)
    } catch let error as RotationError {
        check(error)
    } catch {
        Issue.record("not a RotationError: \(error)", sourceLocation: sourceLocation)
    }
}
