import Foundation
import HTTPClient
import Logging
import SecretsManager
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Fake credentials for loopback tests; the redaction tests look for these strings in output.
enum TestKeys {
    static let accessKeyId = "ASIAFAKELOOPBACK0001"
    static let secretAccessKey = "fakeSecretKeyForLoopbackTestsOnly+/0123"
    static let sessionToken = "fakeSessionTokenForLoopbackTests//////////wEaDA=="
}

/// Answers with a fixed script of actions, then with `then` forever; counts what it served.
final class ScriptedResponses: Sendable {
    private let script: Mutex<[ServerAction]>
    private let then: ServerAction

    init(_ script: [ServerAction], then: ServerAction) {
        self.script = Mutex(script)
        self.then = then
    }

    func next() -> ServerAction {
        script.withLock { script in script.isEmpty ? then : script.removeFirst() }
    }
}

enum Fixtures {
    /// A loopback server that is deliberately never stopped. `LoopbackHTTPServer.stop()` closes its listening
    /// descriptor again when `deinit` calls it a second time; by then the descriptor number may belong to
    /// another test's socket, which made parallel tests fail at random. An idle server costs one blocked thread.
    static func server(_ handler: @escaping @Sendable (RecordedRequest) -> ServerAction) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer(handler: handler)
    }

    static func environment(endpoint: String, extra: [String: String] = [:]) -> [String: String] {
        [
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": TestKeys.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": TestKeys.secretAccessKey, "AWS_SESSION_TOKEN": TestKeys.sessionToken,
            "SECRETS_MANAGER_ENDPOINT": endpoint,
        ].merging(extra) { _, new in new }
    }

    /// A client for `server`; `random` fixes the backoff jitter (0 means no waiting between attempts).
    static func client(
        _ server: LoopbackHTTPServer, maxAttempts: Int = 3, random: Double = 0, logs: LogRecorder = LogRecorder()
    ) throws -> SecretsManagerClient {
        let configuration = try SecretsManagerConfiguration(
            environment: environment(endpoint: server.baseURL, extra: ["AWS_MAX_ATTEMPTS": String(maxAttempts)]))
        return try SecretsManagerClient(configuration: configuration, logger: logs.logger, randomUnit: { random })
    }

    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ServerAction {
        .respond(
            status: status, headers: [("Content-Type", "application/x-amz-json-1.1")] + headers, body: Array(body.utf8))
    }

    static func error(_ status: Int, _ type: String, _ message: String = "message text") -> ServerAction {
        json(status, #"{"__type":"\#(type)","message":"\#(message)"}"#)
    }

    static let describeBody = """
        {"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf","Name":"s",\
        "VersionIdsToStages":{"v2":["AWSPENDING"],"v1":["AWSCURRENT"],"v0":[]},"LastRotatedDate":1.7095e9,\
        "NextRotationDate":1709251198.123,"SomethingNew":{"nested":[1,2,3]},"Tags":[]}
        """
    static let describeOK = json(200, describeBody)

    static func elapsedMilliseconds(_ body: () throws -> Void) rethrows -> Int64 {
        let start = DispatchTime.now()
        try body()
        return Int64((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
    }
}

/// A loopback TCP port bound but not listening: connecting to it is refused, and the port stays ours.
final class BoundPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw ServerError("cannot bind a loopback port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
