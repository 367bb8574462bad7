import DatabaseRotation
import Foundation
import JSON
import MariaDBTarget
import Rotation
import TestSupport

/// `setSecret` + `testSecret` against a local MariaDB 10.11 (TLS verify-full with a test CA, general, slow and
/// binary logs on), single user and alternating users (the clone's rights re-synced on every run).
func benchmarkMariaDBSetAndTest() throws -> [String] {
    let server = try MariaDBServer()
    defer { server.stop() }
    let configuration = DatabaseTargetConfiguration(caFile: server.caFile)
    func secret(_ user: String, _ password: String, masterARN: String? = nil) -> SecretValue {
        var object = JSONObject([
            "engine": .string("mariadb"), "host": .string("127.0.0.1"), "port": .integer(server.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(true),
        ])
        if let masterARN { object["masterarn"] = .string(masterARN) }
        return .json(object)
    }
    func createAccount(_ user: String, _ password: String, rights: String) throws {
        try server.execute(
            "CREATE USER '\(user)'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))'; \(rights)")
    }

    var password = benchmarkPassword()
    try createAccount("bench_single", password, rights: "")
    let single = try SetAndTestBenchmark.measure(
        "mariadb setSecret+testSecret (single user, TLS verify-full, mysql_native_password hash)",
        target: SingleUserStrategy(driver: MySQLDriver(.mariaDB), configuration: configuration)
    ) { _ in
        let newPassword = benchmarkPassword()
        defer { password = newPassword }
        return .init(current: secret("bench_single", password), pending: secret("bench_single", newPassword))
    }

    let masterARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-master"
    let masterPassword = benchmarkPassword()
    try createAccount(
        "bench_admin", masterPassword, rights: "GRANT ALL PRIVILEGES ON *.* TO 'bench_admin'@'%' WITH GRANT OPTION")
    try createAccount(
        "bench_app", password,
        rights: "CREATE DATABASE bench_shop; GRANT SELECT, INSERT ON bench_shop.* TO 'bench_app'@'%'; "
            + "GRANT PROCESS ON *.* TO 'bench_app'@'%'")
    var current = ("bench_app", password)
    let alternating = try SetAndTestBenchmark.measure(
        "mariadb setSecret+testSecret (alternating users: rights compared and re-synced, password set)",
        target: AlternatingUsersStrategy(driver: MySQLDriver(.mariaDB), configuration: configuration)
    ) { _ in
        let next = (current.0 == "bench_app" ? "bench_app_clone" : "bench_app", benchmarkPassword())
        defer { current = next }
        return .init(
            current: secret(current.0, current.1, masterARN: masterARN), pending: secret(next.0, next.1),
            others: [masterARN: secret("bench_admin", masterPassword)])
    }
    return [single, alternating]
}

/// A MariaDB single-user secret for a new account on `server`, whose password reaches the server only as its hash.
func mariaDBCallCountSecret(_ server: MariaDBServer) throws -> String {
    let user = "calls_\(UUID().uuidString.prefix(8).lowercased())"
    let password = benchmarkPassword()
    try server.execute("CREATE USER '\(user)'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))'")
    return JSONObject([
        "engine": .string("mariadb"), "host": .string("127.0.0.1"), "port": .integer(server.port),
        "username": .string(user), "password": .string(password), "ssl": .bool(true),
    ]).serialized
}
