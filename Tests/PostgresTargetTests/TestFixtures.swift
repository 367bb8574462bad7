import DatabaseRotation
import Foundation
import JSON
import Logging
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

/// Secret versions in memory, read through a `RotationContext` as the handler would read Secrets Manager.
final class SecretVersions: @unchecked Sendable {
    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds-postgres-AbCdEf"
    static let masterARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds-master-XyZ123"
    static let token = "c6d4c1e2-7f0a-4b7e-9a52-2f2d3c0e4b11"

    private let lock = NSLock()
    private var stages: [String: SecretValue] = [:]
    private var others: [String: SecretValue] = [:]

    init(current: SecretValue? = nil, pending: SecretValue? = nil, previous: SecretValue? = nil) {
        stages["AWSCURRENT"] = current
        stages["AWSPENDING"] = pending
        stages["AWSPREVIOUS"] = previous
    }

    subscript(stage: String) -> SecretValue? {
        get { lock.withLock { stages[stage] } }
        set { lock.withLock { stages[stage] = newValue } }
    }

    func setOther(_ secretId: String, _ value: SecretValue) {
        lock.withLock { others[secretId] = value }
    }

    /// What finishSecret does to the labels: pending becomes current, current becomes previous.
    func promotePending() {
        lock.withLock {
            stages["AWSPREVIOUS"] = stages["AWSCURRENT"]
            stages["AWSCURRENT"] = stages["AWSPENDING"]
            stages["AWSPENDING"] = nil
        }
    }

    func context(logger: Logger, deadline: Deadline = .after(milliseconds: 30_000)) -> RotationContext {
        RotationContext(secretId: Self.arn, token: Self.token, deadline: deadline, logger: logger) {
            [self] secretId, stage, _ in
            lock.withLock { secretId == Self.arn ? stages[stage] : (stage == "AWSCURRENT" ? others[secretId] : nil) }
        }
    }
}

/// A PostgreSQL secret as AWS's console writes it.
func postgresSecret(
    host: String = "127.0.0.1", port: Int, username: String, password: String,
    dbname: String? = "postgres", ssl: JSONValue? = .bool(true), masterARN: String? = nil,
    engine: String = "postgres"
) -> SecretValue {
    var object = JSONObject()
    object["engine"] = .string(engine)
    object["host"] = .string(host)
    object["username"] = .string(username)
    object["password"] = .string(password)
    if let dbname { object["dbname"] = .string(dbname) }
    object["port"] = .integer(port)
    if let ssl { object["ssl"] = ssl }
    if let masterARN { object["masterarn"] = .string(masterARN) }
    return .json(object)
}

extension SecretValue {
    /// A copy with some string fields replaced.
    func with(_ key: String, _ value: JSONValue?) -> SecretValue {
        guard case .json(var object) = self else { return self }
        object[key] = value
        return .json(object)
    }
}

extension PostgresServer {
    /// The test configuration: this server's CA, single or alternating as asked.
    func configuration(
        mode: DatabaseTargetConfiguration.Mode = .automatic, caFile: String? = nil,
        allowTLSFallback: Bool = false
    ) -> DatabaseTargetConfiguration {
        DatabaseTargetConfiguration(mode: mode, caFile: caFile ?? self.caFile, allowTLSFallback: allowTLSFallback)
    }

    /// Runs statements as the superuser through the target's own connection wrapper.
    func asSuperuser<Result>(_ body: (PostgresConnection) throws -> Result) throws -> Result {
        let connection = try PostgresConnection(
            login: DatabaseLogin(
                host: host, port: port, user: superuser, password: superuserPassword, database: "postgres",
                tls: tlsEnabled ? .verifyFull(caFile: caFile) : .disabled),
            deadline: .after(milliseconds: 30_000))
        defer { connection.close() }
        return try body(connection)
    }

    /// Creates a login role whose password reaches the server only as a SCRAM verifier, so the server log
    /// holds no test password.
    func createRole(_ name: String, password: String, options: String = "") throws {
        try asSuperuser { connection in
            let verifier = try connection.scramVerifier(password: password, user: name)
            try connection.execute(
                "CREATE ROLE \(try connection.quoteIdentifier(name)) WITH LOGIN \(options) PASSWORD \(try connection.quoteLiteral(verifier))"
            )
        }
    }

    /// Sets a role's password the same way (a change "behind the rotator's back").
    func setPassword(_ name: String, password: String) throws {
        try asSuperuser { connection in
            let verifier = try connection.scramVerifier(password: password, user: name)
            try connection.execute(
                "ALTER ROLE \(try connection.quoteIdentifier(name)) PASSWORD \(try connection.quoteLiteral(verifier))")
        }
    }

    /// Whether `user` logs in with `password` (TLS when the server has it).
    func logsIn(_ user: String, _ password: String) -> Bool {
        let connection = try? PostgresConnection(
            login: DatabaseLogin(
                host: host, port: port, user: user, password: password, database: "postgres",
                tls: tlsEnabled ? .verifyFull(caFile: caFile) : .disabled),
            deadline: .after(milliseconds: 30_000))
        return connection != nil
    }
}

/// Runs rotation steps for secrets of one PostgreSQL server through `RotatorLambda`, the zip's binary.
struct PostgresLambda {
    let runner: RotatorLambdaRunner
    let server: PostgresServer
    var moto: MotoServer { runner.moto }

    init(server: PostgresServer) throws {
        runner = try RotatorLambdaRunner(caFile: server.caFile, secretPrefix: "pg-e2e")
        self.server = server
    }

    func createSecret(_ value: SecretValue) throws -> String {
        try runner.createSecret(secretString: value.secretString)
    }

    func run(
        arn: String, token: String, steps: [RotationStep], environment: [String: String] = [:],
        names: IsolatedNames? = nil, deadlineSeconds: Double? = nil
    ) throws -> (posts: [FakeRuntimeAPI.Post], output: String, fake: FakeRuntimeAPI) {
        try runner.run(
            arn: arn, token: token, steps: steps.map(\.rawValue), environment: environment, names: names,
            deadlineSeconds: deadlineSeconds)
    }

    func rotate(_ arn: String, environment: [String: String] = [:], names: IsolatedNames? = nil) throws
        -> (posts: [FakeRuntimeAPI.Post], output: String)
    {
        try runner.rotate(arn, environment: environment, names: names)
    }

    func errors(_ posts: [FakeRuntimeAPI.Post]) -> [String] { runner.errors(posts) }

    func password(_ arn: String, _ stage: String) throws -> String? { try runner.password(arn, stage) }
}
