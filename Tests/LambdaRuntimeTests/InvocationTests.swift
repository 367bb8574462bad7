import Foundation
import LambdaRuntime
import TestSupport
import Testing

@Suite("Invocation metadata")
struct InvocationTests {
    @Test("the context carries every header and the function's environment; names are read case-insensitively")
    func contextHasEverything() throws {
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + 30_000
        let event = FakeRuntimeAPI.Event(
            rawHeaders: [
                ("lambda-runtime-aws-request-id", "id-1"),
                ("LAMBDA-RUNTIME-DEADLINE-MS", String(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:1:function:f:live"),
                ("lambda-runtime-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
                ("Lambda-Runtime-Client-Context", #"{"custom":{"a":"b"}}"#),
                ("Lambda-Runtime-Cognito-Identity", #"{"cognitoIdentityId":"x"}"#),
                ("Lambda-Runtime-Aws-Tenant-Id", "tenant-7"),
            ], body: Array("{}".utf8))
        let fake = try FakeRuntimeAPI(script: [.event(event)])
        let seen = Locked<[LambdaContext]>([])
        _ = runInProcess(
            fake,
            environment: [
                "AWS_LAMBDA_FUNCTION_NAME": "rotator", "AWS_LAMBDA_FUNCTION_VERSION": "7",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/rotator",
                "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/22/[7]abc",
            ]
        ) { _ in
            ClosureHandler { event, context in
                seen.withLock { $0.append(context) }
                return event
            }
        }
        let context = try #require(seen.withLock { $0 }.first)
        #expect(context.requestID == "id-1")
        #expect(context.deadline.epochMilliseconds == deadline)
        #expect(context.remainingTimeMilliseconds > 0 && context.remainingTimeMilliseconds <= 30_000)
        #expect(context.invokedFunctionARN == "arn:aws:lambda:eu-west-1:1:function:f:live")
        #expect(context.traceID == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        #expect(context.clientContext == #"{"custom":{"a":"b"}}"#)
        #expect(context.cognitoIdentity == #"{"cognitoIdentityId":"x"}"#)
        #expect(context.tenantID == "tenant-7")
        #expect(context.functionName == "rotator")
        #expect(context.functionVersion == "7")
        #expect(context.memoryLimitInMB == 128)
        #expect(context.logGroupName == "/aws/lambda/rotator")
        #expect(context.logStreamName == "2026/11/22/[7]abc")
    }

    @Test("optional headers may all be missing")
    func optionalHeadersMissing() throws {
        let event = FakeRuntimeAPI.Event(
            rawHeaders: [("Lambda-Runtime-Aws-Request-Id", "only"), ("Lambda-Runtime-Deadline-Ms", "4102444800000")],
            body: [])
        let fake = try FakeRuntimeAPI(script: [.event(event)])
        let seen = Locked<[LambdaContext]>([])
        _ = runInProcess(fake) { _ in
            ClosureHandler { event, context in
                seen.withLock { $0.append(context) }
                return event
            }
        }
        let context = try #require(seen.withLock { $0 }.first)
        #expect(context.traceID == nil && context.clientContext == nil && context.cognitoIdentity == nil)
        #expect(context.tenantID == nil)
        #expect(context.invokedFunctionARN == "")
        #expect(fake.posts.first?.kind == .response)
    }

    @Test("empty, binary and non-JSON bodies reach the handler unchanged")
    func bodiesReachHandlerUnchanged() throws {
        let bodies: [[UInt8]] = [
            [], Array("not json at all".utf8), [0xFF, 0x00, 0xFE, 0x0A, 0x7B], Array("{\"a\":".utf8),
        ]
        let fake = try FakeRuntimeAPI(script: bodies.map { .event(.init(body: $0)) })
        let seen = Locked<[[UInt8]]>([])
        _ = runInProcess(fake) { _ in
            ClosureHandler { event, _ in
                seen.withLock { $0.append(event) }
                return event
            }
        }
        #expect(seen.withLock { $0 } == bodies)
        #expect(fake.posts.map { $0.request.body } == bodies)
    }

    @Test("an event without a request id is skipped; one with a bad deadline is answered with an error")
    func malformedMetadata() throws {
        let noID = FakeRuntimeAPI.Event(rawHeaders: [("Lambda-Runtime-Deadline-Ms", "4102444800000")], body: [])
        let badDeadline = FakeRuntimeAPI.Event(
            rawHeaders: [("Lambda-Runtime-Aws-Request-Id", "d"), ("Lambda-Runtime-Deadline-Ms", "tomorrow")], body: [])
        let fake = try FakeRuntimeAPI(script: [
            .event(noID), .event(badDeadline), .event(.init(requestID: "fine", body: [])),
        ])
        let (_, log) = runInProcess(fake) { _ in echo }
        let posts = fake.posts
        #expect(posts.map(\.kind) == [.error, .response])
        #expect(posts.first?.requestID == "d")
        #expect(posts.first?.errorTypeHeader == "Runtime.InvalidInvocation")
        #expect(log.contains("without Lambda-Runtime-Aws-Request-Id"))
    }

    @Test(
        "GET next answering 200 without a request id, again and again: the loop backs off and exits, it does not spin")
    func missingRequestIDBacksOff() throws {
        let noID = FakeRuntimeAPI.Event(rawHeaders: [("Lambda-Runtime-Deadline-Ms", "4102444800000")], body: [])
        let fake = try FakeRuntimeAPI(script: Array(repeating: .event(noID), count: 50))
        let (status, log) = runInProcess(fake) { _ in echo }
        #expect(status == 1)
        // 4 attempts, as for a dropped connection, then the loop gives up; the other 46 events are never fetched.
        #expect(fake.nextCount == 4)
        #expect(
            log.contains("GET next answered 200 without Lambda-Runtime-Aws-Request-Id; reconnecting (attempt 2 of 4)"))
        #expect(log.contains("Runtime API unreachable after 4 attempts"))
        let gets = fake.server.requests.filter { $0.method == "GET" }.map(\.receivedAtNanoseconds)
        // Each retry waits longer than the one before (10, 20, 30 ms).
        #expect(gets.count == 4 && zip(gets.dropFirst(), gets).allSatisfy { $0 - $1 >= 9_000_000 })
    }

    @Test("a POST the Runtime API never answers times out and is retried, instead of hanging the function")
    func stalledPostTimesOut() throws {
        let fake = try FakeRuntimeAPI(
            script: [
                .event(.init(requestID: "slow", body: Array("x".utf8))),
                .event(.init(requestID: "next", body: Array("y".utf8))),
            ],
            stalledPosts: 1)
        // The POST timeout shortened from 5 s to 0.3 s: the same behaviour, in a fraction of the time.
        let (_, log) = runInProcess(fake, postTimeoutMilliseconds: 300) { _ in echo }
        let posts = fake.posts
        #expect(posts.map(\.requestID) == ["slow", "slow", "next"])
        #expect(posts.map(\.status) == [202, 403, 202])  // the retry answers an id already answered
        let times = posts.map(\.request.receivedAtNanoseconds)
        // The retry follows the client's timeout, long before the stalled connection's 60 s.
        #expect(times.count == 3 && times[1] - times[0] < 15_000_000_000)
        #expect(log.contains("POST response failed"))
    }

    @Test("a hostile request id cannot change the URL the runtime posts to")
    func hostileRequestID() throws {
        let id = "../../init/error?x=1 y"
        let fake = try FakeRuntimeAPI(script: [.event(.init(requestID: id, body: Array("x".utf8)))])
        _ = runInProcess(fake) { _ in echo }
        let post = try #require(fake.posts.first)
        #expect(post.kind == .response)
        #expect(post.requestID == id)
        #expect(post.request.target == "/2018-06-01/runtime/invocation/..%2F..%2Finit%2Ferror%3Fx%3D1%20y/response")
    }

    @Test("a response over 6,291,556 bytes becomes a clear error instead of being sent")
    func oversizedResponse() throws {
        let fake = try FakeRuntimeAPI(script: [
            .event(.init(requestID: "big", body: [])), .event(.init(requestID: "ok", body: [])),
        ])
        _ = runInProcess(fake) { _ in
            ClosureHandler { _, context in
                context.requestID == "big" ? [UInt8](repeating: 0x61, count: 6_291_557) : [0x61]
            }
        }
        let posts = fake.posts
        #expect(posts.map(\.kind) == [.error, .response])
        #expect(posts[0].errorTypeHeader == "Runtime.ResponseTooLarge")
        #expect(posts[0].bodyText.contains("6291557 bytes"))
        #expect(posts[0].request.body.count < 1_000)
    }

    @Test("exactly 6,291,556 bytes is still sent")
    func responseAtLimit() throws {
        let fake = try FakeRuntimeAPI(script: [.event(.init(body: []))])
        _ = runInProcess(fake) { _ in ClosureHandler { _, _ in [UInt8](repeating: 0x62, count: 6_291_556) } }
        #expect(fake.posts.first?.kind == .response)
        #expect(fake.posts.first?.request.body.count == 6_291_556)
    }
}
