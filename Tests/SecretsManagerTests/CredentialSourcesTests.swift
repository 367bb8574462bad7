import Foundation
import HTTPClient
import SigV4
import Synchronization
import TestSupport
import Testing

@testable import SecretsManager

/// The credential sources that fetch, against real programs and real HTTP servers on loopback ports: a
/// credential_process script, the container endpoint, IMDSv2 and STS's web identity call.
@Suite(.serialized) struct CredentialSourcesTests {
    static let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let sessionToken = "FwoGZXIvYXdzEXAMPLE-session-token-never-printed"
    static var document: String {
        """
        {"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "\(secretKey)", "SessionToken": "\(sessionToken)",
         "Expiration": "2099-01-01T00:00:00Z", "Code": "Success", "Token": "\(sessionToken)"}
        """
    }

    /// A directory with `script` as an executable `creds` in it, and a config naming it as the default profile's
    /// credential_process.
    static func processProfile(_ script: String) throws -> (environment: [String: String], directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let program = directory.appendingPathComponent("creds")
        try ("#!/bin/sh\n" + script).write(to: program, atomically: true, encoding: .utf8)
        chmod(program.path, 0o700)
        let config = directory.appendingPathComponent("config")
        try "[default]\ncredential_process = \"\(program.path)\" --flag 'two words'\n".write(
            to: config, atomically: true, encoding: .utf8)
        return (
            [
                "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": config.path,
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin",
                "COUNTER": directory.appendingPathComponent("count").path,
            ], directory
        )
    }

    static func credentials(_ environment: [String: String]) throws -> Credentials {
        try SecretsManagerConfiguration(environment: environment).credentials.credentials()
    }

    static func failure(_ environment: [String: String]) -> String {
        do {
            _ = try credentials(environment)
            return "(no error)"
        } catch let error as CredentialError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("credential_process: its JSON is read, its arguments arrive as words, its standard error is never shown")
    func credentialProcess() throws {
        let (environment, directory) = try Self.processProfile(
            """
            [ "$1 $2" = "--flag two words" ] || exit 9
            echo "debug: token \(Self.sessionToken)" >&2
            cat <<'JSON'
            \(Self.document)
            JSON
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(
            try Self.credentials(environment)
                == Credentials(
                    accessKeyId: "ASIAPROCESS", secretAccessKey: Self.secretKey, sessionToken: Self.sessionToken))
    }

    @Test(
        "a failing credential_process: the message says how it failed and what to do, never its output",
        arguments: [
            (
                "echo \"token \(sessionToken)\" >&2; exit 3",
                "exited with status 3; its standard error (54 bytes) is not shown"
            ),
            ("echo \"{not json \(secretKey)\"", "did not answer with a JSON object"),
            (
                "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"\(secretKey)\"}'",
                "must print \"Version\": 1"
            ),
            ("echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'", "without AccessKeyId and SecretAccessKey"),
            ("kill -9 $$", "was killed by signal 9"),
        ])
    func failingProcess(script: String, says: String) throws {
        let (environment, directory) = try Self.processProfile(script)
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = Self.failure(environment)
        #expect(message.contains(says), "\(message)")
        #expect(message.hasPrefix("credential_process creds of profile \"default\""))
        #expect(
            !message.contains(Self.sessionToken) && !message.contains(Self.secretKey) && !message.contains("two words"))
    }

    @Test("a credential_process whose credentials are about to expire is run again; long-lived ones are not")
    func processRefresh() throws {
        let (environment, directory) = try Self.processProfile(
            """
            echo x >> "$COUNTER"
            echo '{"Version": 1, "AccessKeyId": "ASIA'$(wc -l < "$COUNTER" | tr -d ' ')'", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "'$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)'"}'
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = try SecretsManagerConfiguration(environment: environment).credentials
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        // Five-minute credentials are refreshed only in their last 75 s: the second call reuses them.
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        let (longLived, other) = try Self.processProfile(
            """
            echo x >> "$COUNTER"
            echo '{"Version": 1, "AccessKeyId": "ASIA'$(wc -l < "$COUNTER" | tr -d ' ')'", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "'$(date -u -d '+30 seconds' +%Y-%m-%dT%H:%M:%SZ)'"}'
            """)
        defer { try? FileManager.default.removeItem(at: other) }
        // Credentials fetched with 30 s left, checked with a clock 26 s later: inside the last sixth, fetched again.
        let start = WallClock.seconds()
        let late = Mutex(false)
        let shifted = try SecretsManagerConfiguration(
            environment: longLived, files: .system, clock: { late.withLock { $0 } ? start + 26 : start }
        ).credentials
        #expect(try shifted.credentials().accessKeyId == "ASIA1")
        late.withLock { $0 = true }
        #expect(try shifted.credentials().accessKeyId == "ASIA2")
    }

    @Test("the container endpoint: the token file's token is sent as Authorization, the answer's Token read")
    func containerEndpoint() throws {
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try "pod-identity-token-value\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        let server = try LoopbackHTTPServer { request in
            request.target == "/v1/credentials" && request.header("Authorization") == "pod-identity-token-value"
                ? .respond(status: 200, body: Array(Self.document.utf8)) : .respond(status: 401)
        }
        defer { server.stop() }
        let environment = [
            "AWS_REGION": "us-east-1",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(server.port)/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
        ]
        #expect(try Self.credentials(environment).sessionToken == Self.sessionToken)
        #expect(server.requests.map(\.method) == ["GET"])
        var wrongToken = environment
        wrongToken["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = nil
        #expect(Self.failure(wrongToken).contains("answered HTTP 401"))
    }

    @Test("IMDSv2: a session token first, then the role and its credentials, each request carrying the token")
    func instanceMetadata() throws {
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.target) {
            case ("PUT", "/latest/api/token") where request.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600":
                return .respond(status: 200, body: Array("imds-session-token".utf8))
            case (_, _) where request.header("X-aws-ec2-metadata-token") != "imds-session-token":
                return .respond(status: 401)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return .respond(status: 200, body: Array("rotator-instance-role\n".utf8))
            case ("GET", "/latest/meta-data/iam/security-credentials/rotator-instance-role"):
                return .respond(status: 200, body: Array(Self.document.utf8))
            default:
                return .respond(status: 404)
            }
        }
        defer { server.stop() }
        let environment = [
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(server.port)",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
        ]
        #expect(try Self.credentials(environment).accessKeyId == "ASIAPROCESS")
        #expect(server.requests.map(\.method) == ["PUT", "GET", "GET"])
    }

    @Test("an instance that refuses IMDSv2 tokens is an error: IMDSv1 is never tried")
    func noVersion1Fallback() throws {
        let server = try LoopbackHTTPServer { request in
            request.method == "PUT" ? .respond(status: 403) : .respond(status: 200, body: Array(Self.document.utf8))
        }
        defer { server.stop() }
        let message = Self.failure([
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(server.port)",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
        ])
        #expect(message.contains("refused a session token (HTTP 403); IMDSv1 is not used"), "\(message)")
        #expect(message.hasPrefix("no AWS credentials in the environment"))
        #expect(server.requests.map(\.method) == ["PUT"])
    }

    @Test("web identity: AssumeRoleWithWebIdentity is sent unsigned with the file's token, which no error repeats")
    func webIdentity() throws {
        let token = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature"
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        try (token + "\n").write(to: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        let refuse = Mutex(false)
        let server = try LoopbackHTTPServer { request in
            if refuse.withLock({ $0 }) {
                return .respond(
                    status: 400,
                    body: Array(
                        "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token \(token)</Message></Error></ErrorResponse>"
                            .utf8))
            }
            return .respond(
                status: 200,
                body: Array(
                    """
                    <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
                    <AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>\(Self.secretKey)</SecretAccessKey>
                    <SessionToken>\(Self.sessionToken)</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>
                    </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
                    """.utf8))
        }
        defer { server.stop() }
        let environment = [
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:\(server.port)",
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path, "AWS_ROLE_ARN": "arn:aws:iam::1:role/pod",
            "AWS_ROLE_SESSION_NAME": "ci-run-7", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_CONFIG_FILE": "/nonexistent",
        ]
        #expect(try Self.credentials(environment).accessKeyId == "ASIAWEB")
        let sent = try #require(server.requests.first)
        #expect(sent.header("Authorization") == nil)
        #expect(sent.bodyText.contains("Action=AssumeRoleWithWebIdentity"))
        #expect(sent.bodyText.contains("RoleSessionName=ci-run-7"))
        #expect(sent.bodyText.contains("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature"))
        refuse.withLock { $0 = true }
        let message = Self.failure(environment)
        #expect(message.contains("InvalidIdentityToken") && !message.contains(token), "\(message)")
    }
}
