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
    return try SetAndTestBenchmark.measure(
        "postgres setSecret+testSecret (single user, TLS verify-full, SCRAM, local PostgreSQL 15)", target: target
    ) { _ in
        let newPassword = benchmarkPassword()
        defer { password = newPassword }
        return .init(
            current: benchmarkSecret(port: server.port, user: user, password: password),
            pending: benchmarkSecret(port: server.port, user: user, password: newPassword))
    }
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
