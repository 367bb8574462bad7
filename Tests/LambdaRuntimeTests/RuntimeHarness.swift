import Foundation
import LambdaRuntime
import TestSupport

/// Runs `LambdaRuntime.run` in this process against `fake` until the fake's script runs out (it then answers
/// 500 and the loop exits), capturing the log.
func runInProcess(
    _ fake: FakeRuntimeAPI, environment extra: [String: String] = [:], postTimeoutMilliseconds: Int = 5_000,
    makeHandler: (LambdaInitContext) throws -> any LambdaHandler
) -> (status: Int32, log: String) {
    let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: logURL) }
    let logFD = open(logURL.path, O_WRONLY | O_APPEND)
    defer { close(logFD) }
    var environment = ["AWS_LAMBDA_RUNTIME_API": fake.hostAndPort]
    environment.merge(extra) { _, new in new }
    let status = LambdaRuntime.run(
        environment: environment, updatesTraceEnvironment: false, logFileDescriptor: logFD,
        postTimeoutMilliseconds: postTimeoutMilliseconds, makeHandler: makeHandler)
    let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    return (status, log)
}

/// A handler that answers every event with its own bytes.
var echo: ClosureHandler { ClosureHandler { event, _ in event } }

/// Parses a JSON error body posted by the runtime.
func errorDocument(_ post: FakeRuntimeAPI.Post) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(post.request.body))) as? [String: Any]
}
