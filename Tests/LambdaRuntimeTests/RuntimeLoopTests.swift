import Foundation
import LambdaRuntime
import TestSupport
import Testing

@Suite("Runtime API loop")
struct RuntimeLoopTests {
    @Test("a handler's result is posted to /response with an exact Content-Length, no Expect, no chunking")
    func successPostsResponse() throws {
        let fake = try FakeRuntimeAPI(script: [.event(.init(requestID: "req-1", json: #"{"hello":"world"}"#))])
        let (status, _) = runInProcess(fake) { _ in echo }
        #expect(status == 1)  // The script ran out: 500 → exit non-zero.
        let posts = fake.posts
        try #require(posts.count == 1)
        #expect(posts[0].kind == .response)
        #expect(posts[0].requestID == "req-1")
        #expect(posts[0].bodyText == #"{"hello":"world"}"#)
        let request = posts[0].request
        #expect(request.header("Content-Length") == "17")
        #expect(request.header("Expect") == nil)
        #expect(request.header("Transfer-Encoding") == nil)
        #expect(request.header("Content-Type") == "application/json")
    }

    @Test(
        "a thrown error posts /error with errorType, errorMessage, stackTrace and the error-type header; the loop goes on"
    )
    func handlerErrorIsReported() throws {
        struct Refused: LambdaReportableError {
            var errorType: String { "Test.Refused" }
            var errorMessage: String { "refused on purpose" }
        }
        let fake = try FakeRuntimeAPI(script: [
            .event(.init(requestID: "bad", json: "{}")), .event(.init(requestID: "good", json: "{}")),
        ])
        let (_, log) = runInProcess(fake) { _ in
            ClosureHandler { _, context in
                if context.requestID == "bad" { throw Refused() }
                return Array("ok".utf8)
            }
        }
        let posts = fake.posts
        try #require(posts.count == 2)
        #expect(posts[0].kind == .error)
        #expect(posts[0].requestID == "bad")
        #expect(posts[0].errorTypeHeader == "Test.Refused")
        let document = try #require(errorDocument(posts[0]))
        #expect(document["errorType"] as? String == "Test.Refused")
        #expect(document["errorMessage"] as? String == "refused on purpose")
        #expect((document["stackTrace"] as? [Any])?.isEmpty == true)
        #expect(posts[1].kind == .response && posts[1].requestID == "good")
        let failureLines = log.split(separator: "\n").filter { $0.contains("Invocation failed") }
        #expect(failureLines.count == 1)
        #expect(failureLines.first?.contains("Test.Refused: refused on purpose") == true)
    }

    @Test("an error that is not reportable is named by its type only")
    func unreportableErrorShowsTypeOnly() throws {
        struct Opaque: Error, CustomStringConvertible { var description: String { "s3cr3t-value" } }
        let fake = try FakeRuntimeAPI(script: [.event(.init(json: "{}"))])
        let (_, log) = runInProcess(fake) { _ in ClosureHandler { _, _ in throw Opaque() } }
        let post = try #require(fake.posts.first)
        #expect(post.errorTypeHeader == "Function.UnhandledError")
        #expect(post.bodyText.contains("Opaque"))
        #expect(!post.bodyText.contains("s3cr3t-value"))
        #expect(!log.contains("s3cr3t-value"))
    }

    @Test("an initialisation failure posts /init/error with a Runtime.<Reason> type and exits non-zero before GET next")
    func initFailureIsReported() throws {
        let fake = try FakeRuntimeAPI(script: [.event(.init(json: "{}"))])
        let (status, log) = runInProcess(fake) { _ in
            throw ErrorReport(errorType: "Rotation.ConfigInvalid", errorMessage: "PASSWORD_LENGTH must be 1…4096")
        }
        #expect(status != 0)
        #expect(fake.nextCount == 0)
        let post = try #require(fake.posts.first)
        #expect(post.kind == .initError)
        #expect(post.errorTypeHeader == "Runtime.RotationConfigInvalid")
        let document = try #require(errorDocument(post))
        #expect(document["errorType"] as? String == "Runtime.RotationConfigInvalid")
        #expect(document["errorMessage"] as? String == "PASSWORD_LENGTH must be 1…4096")
        #expect(log.contains("Initialisation failed"))
    }

    @Test("413 on /response: no /error is posted, the loop goes on")
    func payloadTooLargeIsNotFollowedByError() throws {
        let fake = try FakeRuntimeAPI(
            script: [.event(.init(requestID: "a", json: "{}")), .event(.init(requestID: "b", json: "{}"))],
            postStatuses: [413])
        let (_, log) = runInProcess(fake) { _ in echo }
        let posts = fake.posts
        #expect(posts.map(\.kind) == [.response, .response])
        #expect(posts.map(\.requestID) == ["a", "b"])
        #expect(log.contains("413"))
    }

    @Test("400 and 403 answers are logged and the loop goes on", arguments: [400, 403])
    func clientErrorsAreLogged(status: Int) throws {
        let fake = try FakeRuntimeAPI(
            script: [.event(.init(requestID: "a", json: "{}")), .event(.init(requestID: "b", json: "{}"))],
            postStatuses: [status])
        let (_, log) = runInProcess(fake) { _ in echo }
        #expect(fake.posts.map(\.requestID) == ["a", "b"])
        #expect(log.contains("answered \(status) to POST response"))
    }

    @Test("500 on GET next exits at once without retrying")
    func serverErrorOnNextExits() throws {
        let fake = try FakeRuntimeAPI(script: [.status(500), .event(.init(json: "{}"))])
        let (status, _) = runInProcess(fake) { _ in echo }
        #expect(status == 1)
        #expect(fake.nextCount == 1)
        #expect(fake.posts.isEmpty)
    }

    @Test("500 on POST exits at once")
    func serverErrorOnPostExits() throws {
        let fake = try FakeRuntimeAPI(
            script: [.event(.init(json: "{}")), .event(.init(json: "{}"))], postStatuses: [500])
        let (status, _) = runInProcess(fake) { _ in echo }
        #expect(status == 1)
        #expect(fake.nextCount == 1)
    }

    @Test("a connection the server closes between invocations is reopened and the loop recovers")
    func reconnectsAfterServerClose() throws {
        let events = (0..<5).map { FakeRuntimeAPI.Next.event(.init(requestID: "r\($0)", json: "{}")) }
        let fake = try FakeRuntimeAPI(script: events, closeAfterPost: true)
        _ = runInProcess(fake) { _ in echo }
        #expect(fake.posts.map(\.requestID) == (0..<5).map { "r\($0)" })
        #expect(fake.server.connectionCount >= 5)
    }

    @Test("GET next keeps one connection alive across invocations")
    func keepsConnectionAlive() throws {
        let events = (0..<5).map { _ in FakeRuntimeAPI.Next.event(.init(json: "{}")) }
        let fake = try FakeRuntimeAPI(script: events)
        _ = runInProcess(fake) { _ in echo }
        #expect(fake.posts.count == 5)
        #expect(fake.server.connectionCount == 1)
        #expect(fake.server.requests.allSatisfy { $0.header("Proxy-Connection") == nil })
    }

    @Test("dropped GET next connections are retried a bounded number of times")
    func droppedNextIsRetried() throws {
        let recovering = try FakeRuntimeAPI(script: [.drop, .drop, .event(.init(requestID: "after", json: "{}"))])
        _ = runInProcess(recovering) { _ in echo }
        #expect(recovering.posts.map(\.requestID) == ["after"])

        let hopeless = try FakeRuntimeAPI(script: [.drop, .drop, .drop, .drop, .drop, .event(.init(json: "{}"))])
        let (status, log) = runInProcess(hopeless) { _ in echo }
        #expect(status == 1)
        #expect(hopeless.posts.isEmpty)
        #expect(hopeless.nextCount == 4)
        #expect(log.contains("unreachable after 4 attempts"))
    }

    @Test("the Runtime API going away entirely ends the loop with a reason")
    func unreachableAPIExits() throws {
        let fake = try FakeRuntimeAPI(script: [])
        fake.stop()
        let (status, log) = runInProcess(fake) { _ in echo }
        #expect(status == 1)
        #expect(log.contains("unreachable"))
    }
}
