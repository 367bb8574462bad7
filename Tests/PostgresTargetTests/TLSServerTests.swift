import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

@Suite("TLS: verify-full by default, plain text only when asked for", .tags(.server))
struct TLSServerTests {
    func rotation(
        _ server: PostgresServer, ssl: JSONValue?, host: String = "127.0.0.1",
        configuration: DatabaseTargetConfiguration
    ) throws -> (SecretVersions, SingleUserStrategy<PostgresDriver>, String) {
        let oldPassword = randomPassword()
        let newPassword = randomPassword()
        try server.createRole("tls_user", password: oldPassword)
        let current = postgresSecret(
            host: host, port: server.port, username: "tls_user", password: oldPassword, ssl: ssl)
        let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))
        return (versions, SingleUserStrategy(driver: PostgresDriver(), configuration: configuration), newPassword)
    }

    @Test("verify-full with the test CA, by IP address and by host name", arguments: ["127.0.0.1", "localhost"])
    func verifyFull(host: String) throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let (versions, target, newPassword) = try rotation(
            server, ssl: nil, host: host, configuration: server.configuration())
        try target.setSecret(versions.context(logger: logs.logger))
        try target.testSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("tls_user", newPassword))
        #expect(
            logs.contains(.info, "Successfully established SSL/TLS connection as user 'tls_user' with host: '\(host)'"))
        #expect(!logs.allText.contains("non SSL/TLS"))
        #expect(
            server.log().contains(
                "connection authorized: user=tls_user database=postgres application_name=secrets-manager-rotator SSL enabled"
            ))
    }

    @Test("a CA that did not sign the server's certificate: a TLS error, even with the fallback allowed for ssl: true")
    func wrongCA() throws {
        let server = try PostgresServer()
        let configuration = server.configuration(caFile: server.untrustedCAFile, allowTLSFallback: true)
        let (versions, target, _) = try rotation(server, ssl: .bool(true), configuration: configuration)
        let error = targetError { try target.testSecret(versions.context(logger: LogRecorder().logger)) }
        #expect(error?.type == "Target.TLS")
        #expect(error?.message.contains("certificate verify failed") == true)
    }

    @Test("ssl absent, fallback on, a certificate that does not verify: still a TLS error, never plain text")
    func failedVerificationNeverFallsBack() throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let configuration = server.configuration(caFile: server.untrustedCAFile, allowTLSFallback: true)
        let (versions, target, _) = try rotation(server, ssl: nil, configuration: configuration)
        let error = targetError { try target.testSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.TLS")
        #expect(!logs.allText.contains("falling back to plain text"))
    }

    @Test("no TLS on the server, ssl absent: refused unless the fallback is on")
    func noTLSWithoutFallback() throws {
        let server = try PostgresServer(tls: false)
        let (versions, target, _) = try rotation(server, ssl: nil, configuration: server.configuration())
        let error = targetError { try target.setSecret(versions.context(logger: LogRecorder().logger)) }
        #expect(error?.type == "Target.TLS")
        #expect(error?.message.contains("server does not support SSL, but SSL was required") == true)
        #expect(error?.message.contains("ROTATOR_ALLOW_TLS_FALLBACK=true") == true)
    }

    @Test(
        "no TLS on the server, ssl absent, fallback on: rotates in plain text and warns",
        arguments: [nil, JSONValue.string("yes")])
    func fallback(ssl: JSONValue?) throws {
        let server = try PostgresServer(tls: false)
        let logs = LogRecorder()
        let (versions, target, newPassword) = try rotation(
            server, ssl: ssl, configuration: server.configuration(allowTLSFallback: true))
        try target.setSecret(versions.context(logger: logs.logger))
        try target.testSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("tls_user", newPassword))
        #expect(
            logs.contains(
                .warning,
                "Host '127.0.0.1' has no TLS; falling back to plain text (no encryption) as user 'tls_user' because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set"
            ))
        #expect(
            logs.contains(
                .info, "Successfully established non SSL/TLS connection as user 'tls_user' with host: '127.0.0.1'"))
    }

    @Test("no CA bundle, fallback on, a server that offers TLS: refused, never plain text")
    func noCABundleTLSServer() throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let configuration = DatabaseTargetConfiguration(caFile: nil, allowTLSFallback: true)
        let (versions, target, newPassword) = try rotation(server, ssl: nil, configuration: configuration)
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.ConfigInvalid")
        #expect(error?.message.contains("offers TLS but no CA bundle was found to verify it") == true)
        #expect(!server.logsIn("tls_user", newPassword))
        #expect(!logs.allText.contains("non SSL/TLS connection"))
    }

    @Test("no CA bundle, fallback on, a server without TLS: plain text, with a warning")
    func noCABundlePlainServer() throws {
        let server = try PostgresServer(tls: false)
        let logs = LogRecorder()
        let configuration = DatabaseTargetConfiguration(caFile: nil, allowTLSFallback: true)
        let (versions, target, newPassword) = try rotation(server, ssl: nil, configuration: configuration)
        try target.setSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("tls_user", newPassword))
        #expect(logs.contains(.warning, "Host '127.0.0.1' has no TLS; connecting without TLS"))
    }

    @Test("a server with TLS that refuses TLS logins (hostnossl): an error, not plain text, even with the fallback on")
    func hostnosslIsNotFallback() throws {
        // The superuser (which sets the test up) may use TLS; everyone else only plain text.
        let server = try PostgresServer(hbaLines: [
            "hostssl all postgres 127.0.0.1/32 scram-sha-256",
            "hostnossl all all 127.0.0.1/32 scram-sha-256",
        ])
        let logs = LogRecorder()
        let (versions, target, _) = try rotation(
            server, ssl: nil, configuration: server.configuration(allowTLSFallback: true))
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.LoginFailed")
        #expect(error?.message.contains("no pg_hba.conf entry") == true)
        #expect(!logs.allText.contains("falling back to plain text"))
    }

    @Test("ssl: true is strict: no fallback even when allowed", arguments: [JSONValue.bool(true), .string("TRUE")])
    func strictTLS(ssl: JSONValue) throws {
        let server = try PostgresServer(tls: false)
        let (versions, target, _) = try rotation(
            server, ssl: ssl, configuration: server.configuration(allowTLSFallback: true))
        let error = targetError { try target.testSecret(versions.context(logger: LogRecorder().logger)) }
        #expect(error?.type == "Target.TLS")
    }

    @Test(
        "ssl: false connects without TLS and without a warning", arguments: [JSONValue.bool(false), .string("False")])
    func plainByChoice(ssl: JSONValue) throws {
        let server = try PostgresServer(tls: false)
        let logs = LogRecorder()
        let (versions, target, newPassword) = try rotation(server, ssl: ssl, configuration: server.configuration())
        try target.setSecret(versions.context(logger: logs.logger))
        #expect(server.logsIn("tls_user", newPassword))
        #expect(!logs.lines.contains { $0.level == .warning })
    }

    @Test("a CA file that does not exist: a configuration error")
    func missingCAFile() throws {
        let server = try PostgresServer()
        let (versions, target, _) = try rotation(
            server, ssl: .bool(true), configuration: server.configuration(caFile: "/nonexistent/ca.pem"))
        let error = targetError { try target.testSecret(versions.context(logger: LogRecorder().logger)) }
        #expect(error?.type == "Target.ConfigInvalid")
        #expect(error?.message.contains("root certificate file \"/nonexistent/ca.pem\" does not exist") == true)
    }
}
