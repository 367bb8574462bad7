import Foundation
import HTTPClient
import SecretsManager
import TestSupport
import Testing
import Timekeeping

/// Retries, deadlines and connection handling against a fault-injecting loopback server.
@Suite struct RetryTests {
    struct Fault: Sendable, CustomTestStringConvertible {
        var name: String
        var action: ServerAction
        var testDescription: String { name }
    }

    static let retryableFaults: [Fault] = [
        Fault(
            name: "HTTP 500 HTML",
            action: .respond(
                status: 500, headers: [("Content-Type", "text/html")],
                body: Array("<html><title>Internal Server Error</title></html>".utf8))),
        Fault(name: "HTTP 503 JSON", action: Fixtures.error(503, "ServiceUnavailableException")),
        Fault(name: "HTTP 502 empty", action: .respond(status: 502)),
        Fault(name: "HTTP 504 empty", action: .respond(status: 504)),
        Fault(name: "ThrottlingException (400)", action: Fixtures.error(400, "ThrottlingException", "Rate exceeded")),
        Fault(
            name: "prefixed Throttling",
            action: Fixtures.error(400, "com.amazonaws.secretsmanager#ThrottlingException:http://x")),
        Fault(name: "TooManyRequestsException (429)", action: Fixtures.error(429, "TooManyRequestsException")),
        Fault(name: "InternalServiceError (400)", action: Fixtures.error(400, "InternalServiceError")),
        Fault(name: "RequestTimeout", action: Fixtures.error(400, "RequestTimeout")),
        Fault(name: "connection reset", action: .reset),
        Fault(name: "connection closed without answer", action: .close),
    ]

    @Test(arguments: retryableFaults)
    func transientFailuresAreRetriedUntilSuccess(_ fault: Fault) throws {
        let responses = ScriptedResponses([fault.action, fault.action], then: Fixtures.describeOK)
        let server = try Fixtures.server { _ in responses.next() }
        let logs = LogRecorder()
        let client = try Fixtures.client(server, maxAttempts: 3, logs: logs)
        let description = try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 10_000))
        #expect(description.name == "s")
        #expect(server.requests.count == 3)
        #expect(logs.lines.filter { $0.level == .warning }.count == 2)
        #expect(logs.lines.filter { $0.level == .debug }.count == 3)
    }

    @Test func lastFailureIsThrownWhenAttemptsRunOut() throws {
        let server = try Fixtures.server { _ in Fixtures.error(503, "ServiceUnavailable", "try later") }
        let client = try Fixtures.client(server, maxAttempts: 4)
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 10_000))
        }
        #expect(error?.code.rawValue == "ServiceUnavailable")
        #expect(error?.httpStatus == 503)
        #expect(server.requests.count == 4)
    }

    @Test(arguments: [
        ("LimitExceededException", 400, SecretsManagerError.Code.limitExceeded),
        ("ResourceNotFoundException", 404, .resourceNotFound),
        ("InvalidRequestException", 400, .invalidRequest),
        ("InvalidParameterException", 400, .invalidParameter),
        ("AccessDeniedException", 400, .accessDenied),
        ("ResourceExistsException", 400, .resourceExists),
        ("DecryptionFailure", 400, .decryptionFailure),
    ])
    func clientErrorsAreNotRetried(type: String, status: Int, code: SecretsManagerError.Code) throws {
        let server = try Fixtures.server { _ in Fixtures.error(status, type) }
        let client = try Fixtures.client(server, maxAttempts: 5)
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 10_000))
        }
        #expect(error?.code == code)
        #expect(error?.message == "message text")
        #expect(server.requests.count == 1)
    }

    /// The backoff (up to 1 s after the first attempt, jitter fixed near 1) does not fit in the deadline:
    /// the call stops at once with a deadline error that names the last failure, instead of sleeping.
    @Test func deadlineShorterThanBackoffStopsInTime() throws {
        let server = try Fixtures.server { _ in Fixtures.error(503, "ServiceUnavailable") }
        let client = try Fixtures.client(server, maxAttempts: 3, random: 0.99)
        var error: SecretsManagerError?
        let elapsed = Fixtures.elapsedMilliseconds {
            error = #expect(throws: SecretsManagerError.self) {
                try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 400))
            }
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.message.contains("deadline reached") == true)
        #expect(error?.message.contains("ServiceUnavailable") == true)
        #expect(server.requests.count == 1)
        #expect(elapsed < 400)
    }

    /// A server that does not answer: the attempt's timeout is the time left, so the call ends at the deadline.
    @Test func slowResponseIsCutAtTheDeadline() throws {
        let server = try Fixtures.server { _ in
            usleep(3_000_000)
            return Fixtures.describeOK
        }
        let client = try Fixtures.client(server, maxAttempts: 3)
        var error: SecretsManagerError?
        let elapsed = Fixtures.elapsedMilliseconds {
            error = #expect(throws: SecretsManagerError.self) {
                try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 500))
            }
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.message.contains("during attempt 1") == true)
        #expect(elapsed >= 450 && elapsed < 1_500)
    }

    @Test func passedDeadlineSendsNothing() throws {
        let server = try Fixtures.server { _ in Fixtures.describeOK }
        let client = try Fixtures.client(server)
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "s", deadline: .after(milliseconds: -1))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(server.requests.isEmpty)
    }

    @Test func refusedConnectionIsANetworkErrorAfterRetries() throws {
        // A port bound but not listening refuses connections, and no other test can take it meanwhile.
        let reserved = try BoundPort()
        let configuration = try SecretsManagerConfiguration(
            environment: Fixtures.environment(
                endpoint: "http://127.0.0.1:\(reserved.port)", extra: ["AWS_MAX_ATTEMPTS": "2"]))
        let logs = LogRecorder()
        let client = try SecretsManagerClient(configuration: configuration, logger: logs.logger, randomUnit: { 0 })
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000))
        }
        #expect(error?.code == .network)
        #expect(error?.httpStatus == nil)
        #expect(logs.lines.filter { $0.level == .warning }.count == 1)
    }

    /// One connection carries every call while the server keeps it open; when the server closes it after
    /// each answer (as moto does), libcurl reconnects without the caller noticing.
    @Test func connectionIsReusedAndReopenedSilently() throws {
        let keepAlive = try Fixtures.server { _ in Fixtures.describeOK }
        let client = try Fixtures.client(keepAlive)
        for _ in 0..<3 { _ = try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000)) }
        #expect(keepAlive.connectionCount == 1)
        #expect(keepAlive.requests.map(\.indexOnConnection) == [0, 1, 2])

        let closing = try Fixtures.server { _ in
            .respondThenClose(status: 200, headers: [("Connection", "close")], body: Array(Fixtures.describeBody.utf8))
        }
        let second = try Fixtures.client(closing, maxAttempts: 1)
        for _ in 0..<3 { _ = try second.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000)) }
        #expect(closing.connectionCount == 3)
    }

    @Test func backoffFormulaAndQuota() {
        #expect(RetryPolicyProbe.backoff(attempt: 1, random: 0.5) == 0.5)
        #expect(RetryPolicyProbe.backoff(attempt: 3, random: 1) == 4)
        #expect(RetryPolicyProbe.backoff(attempt: 5, random: 1) == 16)
        #expect(RetryPolicyProbe.backoff(attempt: 6, random: 1) == 20)
        #expect(RetryPolicyProbe.backoff(attempt: 60, random: 0.5) == 10)
        #expect(RetryPolicyProbe.backoff(attempt: 2, random: 0) == 0)
    }
}
