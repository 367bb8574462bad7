import DatabaseRotation
import Foundation
import JSON
import Logging
import PostgresTarget
import Rotation
import TestSupport

/// `setSecret` + `testSecret` of a single-user PostgreSQL rotation against a local server (TLS verify-full with
/// a test CA, SCRAM-SHA-256), median of 21 runs after 2 warm-up runs. Each run is a real rotation: it tries the
/// pending password (refused), logs in with the current one, sets the new verifier, and logs in with the new one.
/// - Returns: one printable line.
/// - Throws: when the server cannot start or a rotation fails.
func benchmarkPostgresSetAndTest() throws -> String {
    let server = try PostgresServer()
    defer { server.stop() }
    let user = "bench_user"
    var password = benchmarkPassword()
    let configuration = DatabaseTargetConfiguration(mode: .singleUser, caFile: server.caFile)
    try createBenchmarkRole(server, user: user, password: password)

    let target = SingleUserStrategy(driver: PostgresDriver(), configuration: configuration)
    let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let warmUps = 2
    let runs = 21
    var milliseconds: [Double] = []
    let clock = ContinuousClock()
    for run in 0..<(warmUps + runs) {
        let current = benchmarkSecret(port: server.port, user: user, password: password)
        let newPassword = benchmarkPassword()
        let pending = benchmarkSecret(port: server.port, user: user, password: newPassword)
        let context = RotationContext(
            secretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench", token: "bench-\(run)",
            deadline: .after(milliseconds: 30_000), logger: logger
        ) { _, stage, _ in
            switch stage {
            case "AWSCURRENT": current
            case "AWSPENDING": pending
            default: nil
            }
        }
        let elapsed = try clock.measure {
            try target.setSecret(context)
            try target.testSecret(context)
        }
        password = newPassword
        if run >= warmUps {
            milliseconds.append(
                Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
        }
    }
    milliseconds.sort()
    let median = milliseconds[milliseconds.count / 2]
    return "postgres setSecret+testSecret (single user, TLS verify-full, SCRAM, local PostgreSQL 15): median "
        + String(
            format: "%.1f ms over %d runs (min %.1f, max %.1f)",
            median, milliseconds.count, milliseconds.first ?? 0, milliseconds.last ?? 0)
}

func benchmarkSecret(port: Int, user: String, password: String) -> SecretValue {
    .json(
        JSONObject([
            "engine": .string("postgres"), "host": .string("127.0.0.1"), "username": .string(user),
            "password": .string(password), "dbname": .string("postgres"), "port": .integer(port), "ssl": .bool(true),
        ]))
}

/// 32 characters from GetRandomPassword's default alphabet, punctuation included.
func benchmarkPassword() -> String {
    let alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    var generator = SystemRandomNumberGenerator()
    return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
}

/// Creates a login role whose password reaches the server only as a SCRAM verifier.
func createBenchmarkRole(_ server: PostgresServer, user: String, password: String, options: String = "") throws {
    let connection = try PostgresConnection(
        login: DatabaseLogin(
            host: server.host, port: server.port, user: server.superuser, password: server.superuserPassword,
            database: "postgres", tls: .verifyFull(caFile: server.caFile)),
        deadline: .after(milliseconds: 30_000))
    defer { connection.close() }
    let verifier = try connection.scramVerifier(password: password, user: user)
    try connection.execute(
        "CREATE ROLE \(try connection.quoteIdentifier(user)) LOGIN \(options) PASSWORD \(try connection.quoteLiteral(verifier))"
    )
}
