import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

@Suite("PostgreSQL single-user rotation against a real server", .tags(.server))
struct SingleUserServerTests {
    let server: PostgresServer
    let oldPassword = randomPassword()
    let newPassword = randomPassword()
    let logs = LogRecorder()

    init() throws {
        server = try PostgresServer()
        try server.createRole("app_user", password: oldPassword)
    }

    var current: SecretValue { postgresSecret(port: server.port, username: "app_user", password: oldPassword) }
    var target: SingleUserStrategy<PostgresDriver> {
        SingleUserStrategy(driver: PostgresDriver(), configuration: server.configuration())
    }

    @Test("set + test: the new password logs in, the old one no longer does")
    func rotates() throws {
        let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))

        try target.setSecret(versions.context(logger: logs.logger))
        try target.testSecret(versions.context(logger: logs.logger))

        #expect(server.logsIn("app_user", newPassword))
        #expect(!server.logsIn("app_user", oldPassword))
        #expect(
            logs.contains(
                .info,
                "setSecret: Successfully set password for user app_user in PostgreSQL DB for secret arn \(SecretVersions.arn)."
            ))
        #expect(
            logs.contains(
                .info,
                "testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in \(SecretVersions.arn)."))
        #expect(
            logs.contains(
                .info, "Successfully established SSL/TLS connection as user 'app_user' with host: '127.0.0.1'"))
        let serverLog = server.log()
        #expect(serverLog.contains("ALTER ROLE \"app_user\" WITH PASSWORD 'SCRAM-SHA-256$4096:"))
        expectNoSecrets([oldPassword, newPassword], in: serverLog, "the server log")
        expectNoSecrets([oldPassword, newPassword], in: logs.allText, "our log")
    }

    @Test("re-driven after a crash after the password change: setSecret short-circuits, no lockout")
    func redriveAfterCrash() throws {
        let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))
        try target.setSecret(versions.context(logger: logs.logger))
        // The Lambda died here; Secrets Manager runs the rotation again with the same token.
        let again = LogRecorder()
        try target.setSecret(versions.context(logger: again.logger))
        try target.testSecret(versions.context(logger: again.logger))

        #expect(
            again.contains(
                .info,
                "setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn \(SecretVersions.arn)."
            ))
        #expect(!again.allText.contains("Successfully set password"))
        #expect(server.logsIn("app_user", newPassword))
        // After finishSecret the next rotation starts from the new password.
        versions.promotePending()
        let third = randomPassword()
        versions["AWSPENDING"] = current.with("password", .string(third))
        try target.setSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("app_user", third))
    }

    @Test("current password changed behind our back, previous still valid: recovers through previous")
    func recoversThroughPrevious() throws {
        let changedBehindOurBack = current.with("password", .string(randomPassword()))
        // The previous version has no ssl key: it inherits the current one's (TLS required).
        let previous = current.with("ssl", nil)
        let versions = SecretVersions(
            current: changedBehindOurBack,
            pending: current.with("password", .string(newPassword)), previous: previous)
        try target.setSecret(versions.context(logger: logs.logger))
        try target.testSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("app_user", newPassword))
        #expect(
            logs.contains(
                .info, "Login as user 'app_user' (AWSCURRENT) with host '127.0.0.1' over SSL/TLS failed: authentication"
            ))
    }

    @Test("no credential logs in: the template's message, the cause, nothing changed")
    func nothingLogsIn() throws {
        let wrong = current.with("password", .string(randomPassword()))
        let versions = SecretVersions(
            current: wrong, pending: current.with("password", .string(newPassword)),
            previous: current.with("password", .string(randomPassword())))
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.LoginFailed")
        #expect(
            error?.message.hasPrefix(
                "Unable to log into database with previous, current, or pending secret of secret arn \(SecretVersions.arn) (AWSCURRENT: authentication: "
            ) == true)
        #expect(error?.message.contains("password authentication failed for user \"app_user\"") == true)
        #expect(server.logsIn("app_user", oldPassword))
    }

    @Test("user or host mismatch between versions: the template's errors")
    func mismatches() throws {
        try server.createRole("other_user", password: oldPassword)
        let otherUser = SecretVersions(
            current: current,
            pending: current.with("username", .string("other_user")).with("password", .string(newPassword)))
        let userError = targetError { try target.setSecret(otherUser.context(logger: logs.logger)) }
        #expect(userError?.type == "Rotation.InvalidSecret")
        #expect(userError?.message == "Attempting to modify user other_user other than current user app_user")

        let otherHost = SecretVersions(
            current: current, pending: current.with("host", .string("localhost")).with("password", .string(newPassword))
        )
        let hostError = targetError { try target.setSecret(otherHost.context(logger: logs.logger)) }
        #expect(hostError?.message == "Attempting to modify user for host localhost other than current host 127.0.0.1")

        let previousOther = SecretVersions(
            current: current.with("password", .string(randomPassword())),
            pending: current.with("password", .string(newPassword)),
            previous: current.with("username", .string("other_user")))
        let previousError = targetError { try target.setSecret(previousOther.context(logger: logs.logger)) }
        #expect(
            previousError?.message == "Attempting to modify user app_user other than previous valid user other_user")

        #expect(server.logsIn("app_user", oldPassword))
        #expect(server.logsIn("other_user", oldPassword))
        #expect(!server.logsIn("other_user", newPassword))
    }

    @Test("testSecret with a pending password that does not work: the template's message")
    func testSecretFails() throws {
        let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))
        let error = targetError { try target.testSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.LoginFailed")
        #expect(
            error?.message.hasPrefix(
                "Unable to log into database with pending secret of secret ARN \(SecretVersions.arn) (authentication: ")
                == true)
        expectNoSecrets([oldPassword, newPassword], in: error?.message ?? "", "the error message")
    }
}
