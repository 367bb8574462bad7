import DatabaseRotation
import Foundation
import JSON
import RedisTarget
import Rotation
import TestSupport

/// `setSecret` + `testSecret` against a local Redis 7.0 over TLS (verify-full with a test CA): dual passwords set by
/// the user itself, and alternating users (the clone's ACL rules copied, read back and compared on every run).
func benchmarkRedisSetAndTest() throws -> [String] {
    let server = try RedisServer(tls: true)
    let configuration = DatabaseTargetConfiguration(mode: .dualPassword, caFile: server.caFile)
    func secret(_ user: String, _ password: String, masterARN: String? = nil) -> SecretValue {
        var object = JSONObject([
            "engine": .string("redis"), "host": .string("127.0.0.1"), "port": .integer(server.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(true),
        ])
        if let masterARN { object["masterarn"] = .string(masterARN) }
        return .json(object)
    }

    var password = benchmarkPassword()
    try server.cli([
        "ACL", "SETUSER", "bench_dual", "on", ">" + password, "resetchannels", "-@all", "+ping", "+acl|setuser",
    ])
    let dual = try SetAndTestBenchmark.measure(
        "redis setSecret+testSecret (dual passwords, TLS verify-full, #SHA-256 rules)",
        target: SingleUserStrategy(driver: RedisDriver(), configuration: configuration, keepsCurrentPassword: true)
    ) { _ in
        let newPassword = benchmarkPassword()
        defer { password = newPassword }
        return .init(current: secret("bench_dual", password), pending: secret("bench_dual", newPassword))
    }

    let masterARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-redis-master"
    let masterPassword = benchmarkPassword()
    try server.cli(["ACL", "SETUSER", "bench_admin", "on", ">" + masterPassword, "~*", "&*", "+@all"])
    var appPassword = benchmarkPassword()
    try server.cli([
        "ACL", "SETUSER", "bench_app", "on", ">" + appPassword, "~app:*", "resetchannels", "&app.events", "-@all",
        "+@read", "+set", "(~shared:* +get)",
    ])
    var current = "bench_app"
    let alternating = try SetAndTestBenchmark.measure(
        "redis setSecret+testSecret (alternating users: ACL rules copied, read back and compared)",
        target: AlternatingUsersStrategy(driver: RedisDriver(), configuration: configuration)
    ) { _ in
        let next = (current == "bench_app" ? "bench_app_clone" : "bench_app", benchmarkPassword())
        defer { (current, appPassword) = next }
        return .init(
            current: secret(current, appPassword, masterARN: masterARN), pending: secret(next.0, next.1),
            others: [masterARN: secret("bench_admin", masterPassword)])
    }
    return [dual, alternating]
}
