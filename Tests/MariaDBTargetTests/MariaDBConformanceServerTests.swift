import DatabaseRotation
import DatabaseTestKit
import Foundation
import MariaDBTarget
import TestSupport
import TestTags
import Testing

/// The MySQL-family driver against a real MariaDB 10.11 with TLS: the driver contract every engine keeps.
@Suite("MariaDB driver conformance", .tags(.server))
struct MariaDBConformanceServerTests {
    /// `MariaDBServer` as the conformance kit asks for it: a right is SELECT on a table of its own.
    struct Server: ConformanceServer {
        let server: MariaDBServer
        var host: String { server.host }
        var port: Int { server.port }
        var caFile: String { server.caFile }
        var untrustedCAFile: String { server.untrustedCAFile }
        let database = uniqueName("conf")

        func createAccount(_ user: String, password: String, administrator: Bool) throws {
            try server.createAccount(user, password: password)
            if administrator {
                try server.execute("GRANT ALL PRIVILEGES ON *.* TO \(MariaDBServer.account(user)) WITH GRANT OPTION")
            }
        }

        func grantARight(to user: String) throws {
            try server.execute(
                "CREATE DATABASE IF NOT EXISTS `\(database)`; CREATE TABLE IF NOT EXISTS `\(database)`.t (a INT); "
                    + "GRANT SELECT ON `\(database)`.t TO \(MariaDBServer.account(user))")
        }

        func canUseTheRight(_ user: String, password: String) -> Bool {
            (try? server.query(asUser: user, password: password, "SELECT COUNT(*) FROM `\(database)`.t")) == "0"
        }

        func canLogIn(_ user: String, password: String) -> Bool { server.canLogIn(user: user, password: password) }
    }

    @Test("the MariaDB driver keeps the driver contract", arguments: [MySQLDriver(.mariaDB), MySQLDriver(.mysql)])
    func conformance(driver: MySQLDriver) throws {
        try DriverConformance.check(driver, on: Server(server: try SharedMariaDB.withTLS.get()))
    }
}
