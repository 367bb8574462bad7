import DatabaseRotation
import DatabaseTestKit
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import RedisTarget

/// The servers the Redis suites share (each test makes users of its own): one with TLS, one without.
enum SharedRedis {
    static let withTLS = Result<RedisServer, any Error> { try RedisServer(tls: true) }
    static let plain = Result<RedisServer, any Error> { try RedisServer(tls: false) }
}

/// `RedisServer` as the conformance kit asks for it: a right is reading keys of a prefix of its own.
struct RedisConformance: ConformanceServer {
    let server: RedisServer
    var host: String { server.host }
    var port: Int { server.port }
    var caFile: String { server.caFile }
    var untrustedCAFile: String { server.untrustedCAFile }
    let prefix = "conf\(UUID().uuidString.prefix(6).lowercased())"

    /// A user that may change its own ACL (`+acl|setuser`: Redis has no narrower right for that), or an administrator.
    func createAccount(_ user: String, password: String, administrator: Bool) throws {
        let rights = administrator ? ["~*", "&*", "+@all"] : ["resetchannels", "-@all", "+ping", "+acl|setuser"]
        try server.cli(["ACL", "SETUSER", user, "on", ">" + password] + rights)
    }

    func grantARight(to user: String) throws {
        try server.cli(["SET", "\(prefix):key", "the-value"])
        try server.cli(["ACL", "SETUSER", user, "~\(prefix):*", "+get"])
    }

    func canUseTheRight(_ user: String, password: String) -> Bool {
        (try? server.cli(["GET", "\(prefix):key"], user: user, password: password)) == "the-value"
    }

    func canLogIn(_ user: String, password: String) -> Bool { server.canLogIn(user: user, password: password) }
}

@Suite(.tags(.server)) struct RedisConformanceServerTests {
    @Test("the Redis driver keeps the driver contract, over TLS against redis-server")
    func conformance() throws {
        try DriverConformance.check(RedisDriver(), on: RedisConformance(server: try SharedRedis.withTLS.get()))
    }

    @Test("a nopass user is let in whatever the password: the session says the password was not checked")
    func nopass() throws {
        let server = try SharedRedis.plain.get()
        let user = "nopass_\(UUID().uuidString.prefix(6).lowercased())"
        try server.cli(["ACL", "SETUSER", user, "on", "nopass", "+ping"])
        let session = try RedisDriver().connect(
            DatabaseLogin(
                host: server.host, port: server.port, user: user, password: "anything", database: nil, tls: .disabled),
            timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: LogRecorder().logger)
        defer { session.close() }
        #expect(!session.usedPassword)
    }
}
