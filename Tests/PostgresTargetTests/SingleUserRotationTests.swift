import Foundation
import JSON
@testable import PostgresTarget
import Rotation
import Testing
import TestSupport

@Suite("PostgreSQL single-user rotation against a real server")
struct SingleUserRotationTests {
    @Test("set + test: the new password logs in, the old one no longer does")
    func rotates() throws {
        let server = try PostgresServer()
        let oldPassword = randomPassword()
        try server.createRole("app_user", password: oldPassword)
        let current = postgresSecret(port: server.port, username: "app_user", password: oldPassword)
        let newPassword = randomPassword()
        let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))
        let logs = LogRecorder()
        let target = PostgresSingleUserTarget(configuration: server.configuration())

        try target.setSecret(versions.context(logger: logs.logger))
        try target.testSecret(versions.context(logger: logs.logger))

        #expect(server.logsIn("app_user", newPassword))
        #expect(!server.logsIn("app_user", oldPassword))
        #expect(logs.contains(.info, "setSecret: Successfully set password for user app_user in PostgreSQL DB for secret arn \(SecretVersions.arn)."))
        #expect(logs.contains(.info, "testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in \(SecretVersions.arn)."))
        #expect(!logs.allText.contains(oldPassword) && !logs.allText.contains(newPassword))
        let serverLog = server.log()
        #expect(serverLog.contains("ALTER ROLE \"app_user\" WITH PASSWORD 'SCRAM-SHA-256$4096:"))
        #expect(!serverLog.contains(oldPassword) && !serverLog.contains(newPassword))
    }
}
