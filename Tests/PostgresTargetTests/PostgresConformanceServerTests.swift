import DatabaseRotation
import DatabaseTestKit
import Foundation
import PostgresTarget
import TestSupport
import TestTags
import Testing

/// The PostgreSQL driver against a real PostgreSQL 15 with TLS: the driver contract every engine keeps.
@Suite("PostgreSQL driver conformance", .tags(.server))
struct PostgresConformanceServerTests {
    /// `PostgresServer` as the conformance kit asks for it: a right is SELECT on a table of its own.
    struct Server: ConformanceServer {
        let server: PostgresServer
        var host: String { server.host }
        var port: Int { server.port }
        var caFile: String { server.caFile }
        var untrustedCAFile: String { server.untrustedCAFile }
        var table: String { "conformance_t" }

        func createAccount(_ user: String, password: String, administrator: Bool) throws {
            try server.createRole(user, password: password, options: administrator ? "CREATEROLE" : "")
        }

        func grantARight(to user: String) throws {
            try server.execute("CREATE TABLE IF NOT EXISTS \(table) (a int); GRANT SELECT ON \(table) TO \"\(user)\"")
        }

        func canUseTheRight(_ user: String, password: String) -> Bool {
            (try? server.execute("SELECT count(*) FROM \(table)", user: user, password: password)) == "0"
        }

        func canLogIn(_ user: String, password: String) -> Bool { server.canLogIn(user: user, password: password) }
    }

    @Test("the PostgreSQL driver keeps the driver contract")
    func conformance() throws {
        try DriverConformance.check(PostgresDriver(), on: Server(server: try PostgresServer()))
    }
}
