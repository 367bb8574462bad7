import Foundation
import Timekeeping

/// A fake Lambda Runtime API: a real HTTP/1.1 server on a loopback port that hands out scripted events and
/// records every response, error and init error the runtime posts.
///
/// It answers as Lambda's Runtime API does (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): a
/// response or error for a request id it never handed out gets 400, a second answer for one gets 403. When the
/// script runs out, `GET next` is answered with 500, which makes a correct runtime exit: every test therefore ends
/// by itself.
package final class FakeRuntimeAPI: @unchecked Sendable {
    /// One scripted answer to `GET /runtime/invocation/next`.
    package enum Next: Sendable {
        case event(Event)
        /// Answer with this status and no event.
        case status(Int)
        /// Close the connection without answering (a dropped connection).
        case drop
    }

    package struct Event: Sendable {
        package var body: [UInt8]
        /// Header fields as sent; the names are written exactly as given, to test case-insensitive reading.
        package var headers: [(String, String)]

        /// An event with the required headers (request id, deadline `deadlineSeconds` ahead when it is served,
        /// function ARN) plus `extra`.
        package init(
            requestID: String = UUID().uuidString.lowercased(), body: [UInt8], extra: [(String, String)] = [],
            deadlineSeconds: Double? = nil
        ) {
            self.body = body
            self.deadlineSeconds = deadlineSeconds
            self.headers =
                [
                    ("Lambda-Runtime-Aws-Request-Id", requestID),
                    ("Lambda-Runtime-Deadline-Ms", String(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:rotator"),
                    ("Content-Type", "application/json"),
                ] + extra
        }

        package init(
            requestID: String = UUID().uuidString.lowercased(), json: String, extra: [(String, String)] = [],
            deadlineSeconds: Double? = nil
        ) {
            self.init(requestID: requestID, body: Array(json.utf8), extra: extra, deadlineSeconds: deadlineSeconds)
        }

        /// An event with exactly these headers, for tests of missing or malformed metadata.
        package init(rawHeaders: [(String, String)], body: [UInt8]) {
            self.body = body
            self.headers = rawHeaders
            self.deadlineSeconds = nil
        }

        /// When set, the deadline header is rewritten when the event is handed out: this many seconds from then.
        package var deadlineSeconds: Double?

        /// The headers as sent now.
        func headersServedNow() -> [(String, String)] {
            guard let deadlineSeconds else { return headers }
            let deadline = String(Int64((Date().timeIntervalSince1970 + deadlineSeconds) * 1000))
            return headers.map { $0.0 == "Lambda-Runtime-Deadline-Ms" ? ($0.0, deadline) : $0 }
        }

        package var requestID: String? {
            headers.first(where: { $0.0.lowercased() == "lambda-runtime-aws-request-id" })?.1
        }
    }

    /// A POST the runtime made.
    package struct Post: Sendable {
        package enum Kind: Sendable, Equatable { case response, error, initError }
        package var kind: Kind
        package var requestID: String?
        package var request: RecordedRequest
        /// What the fake answered: 202, 400 (unknown request id), 403 (answered already) or a scripted status.
        package var status: Int = 0
        package var errorTypeHeader: String? { request.header("Lambda-Runtime-Function-Error-Type") }
        package var bodyText: String { request.bodyText }
    }

    private struct State {
        var script: [Next]
        var scriptIndex = 0
        /// Where events come from when there is no script: a generator (for fuzzing), `nil` when it is done.
        var source: (@Sendable () -> Next?)?
        var keepsPosts = true
        var postCount = 0
        var posts: [Post] = []
        var postStatuses: [Int] = []
        var nextCount = 0
        /// Request id and CLOCK_MONOTONIC time of each event handed out.
        var served: [String: UInt64] = [:]
        var answered: Set<String> = []

        /// Lambda's answer to a POST for `post.requestID`: unknown ids and second answers are refused.
        mutating func status(for post: Post) -> Int {
            if let id = post.requestID {
                guard served[id] != nil else { return 400 }
                guard answered.insert(id).inserted else { return 403 }
            }
            return postStatuses.isEmpty ? 202 : postStatuses.removeFirst()
        }

        mutating func nextEvent() -> Next {
            nextCount += 1
            if let source { return source() ?? .status(500) }
            guard scriptIndex < script.count else { return .status(500) }
            defer { scriptIndex += 1 }
            return script[scriptIndex]
        }
    }

    package let server: LoopbackHTTPServer
    private let state: Locked<State>

    /// - Parameters:
    ///   - script: the answers to successive `GET next` calls.
    ///   - postStatuses: the status for the n-th POST (default 202 for the rest).
    ///   - closeAfterPost: close the connection after answering each POST, as a server restart or a
    ///     freeze-and-thaw would, so the runtime must reconnect for the next `GET next`.
    ///   - onPost: called on the server thread after each POST with the count so far (for sampling a process).
    ///   - stalledPosts: the first this many POSTs get no answer: the connection stays silent for 60 s, then closes.
    ///   - journal: called with every `GET next` (as a `Post` of kind `nil`) and POST, with the status answered.
    package convenience init(
        script: [Next], postStatuses: [Int] = [], closeAfterPost: Bool = false, stalledPosts: Int = 0,
        onPost: (@Sendable (Int) -> Void)? = nil, journal: (@Sendable (Journal) -> Void)? = nil
    ) throws {
        try self.init(
            state: State(script: script, postStatuses: postStatuses), keepsRequests: true,
            closeAfterPost: closeAfterPost,
            stalledPosts: stalledPosts, onPost: onPost, journal: journal)
    }

    /// A fake that hands out what `source` makes, one event per `GET next`, until it returns `nil` (then 500).
    /// Unless `keepsPosts`, it keeps no requests or posts, only counts: for runs of 100,000 events.
    package convenience init(
        source: @escaping @Sendable () -> Next?, keepsPosts: Bool = false, journal: (@Sendable (Journal) -> Void)? = nil
    ) throws {
        var state = State(script: [])
        state.source = source
        state.keepsPosts = keepsPosts
        try self.init(
            state: state, keepsRequests: false, closeAfterPost: false, stalledPosts: 0, onPost: nil, journal: journal)
    }

    private init(
        state initial: State, keepsRequests: Bool, closeAfterPost: Bool, stalledPosts: Int,
        onPost: (@Sendable (Int) -> Void)?, journal: (@Sendable (Journal) -> Void)?
    ) throws {
        let state = Locked(initial)
        self.state = state
        server = try LoopbackHTTPServer(keepsRequests: keepsRequests) { request in
            if request.method == "GET" && request.target.hasSuffix("/runtime/invocation/next") {
                let next = state.withLock { $0.nextEvent() }
                switch next {
                case .event(let event):
                    state.withLock { $0.served[event.requestID ?? ""] = MonotonicClock.nanoseconds() }
                    journal?(.next(status: 200, requestID: event.requestID))
                    return .respond(status: 200, headers: event.headersServedNow(), body: event.body)
                case .status(let status):
                    journal?(.next(status: status, requestID: nil))
                    return .respond(
                        status: status, headers: [("Content-Type", "application/json")],
                        body: Array(#"{"errorMessage":"scripted","errorType":"Scripted"}"#.utf8))
                case .drop: return .close
                }
            }
            guard request.method == "POST", var post = FakeRuntimeAPI.classify(request) else {
                return .respond(status: 404)
            }
            let (status, count) = state.withLock { state -> (Int, Int) in
                post.status = state.status(for: post)
                state.postCount += 1
                if state.keepsPosts { state.posts.append(post) }
                return (post.status, state.postCount)
            }
            journal?(.post(post))
            onPost?(count)
            if count <= stalledPosts {
                sleep(60)
                return .close
            }
            let body = Array(#"{"status":"OK"}"#.utf8)
            return closeAfterPost ? .respondThenClose(status: status, body: body) : .respond(status: status, body: body)
        }
    }

    /// One call, for `journal`.
    package enum Journal: Sendable {
        case next(status: Int, requestID: String?)
        case post(Post)
    }

    private static func classify(_ request: RecordedRequest) -> Post? {
        let prefix = "/2018-06-01/runtime/"
        guard request.target.hasPrefix(prefix) else { return nil }
        let parts = request.target.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        if parts == ["init", "error"] { return Post(kind: .initError, requestID: nil, request: request) }
        guard parts.count == 3, parts[0] == "invocation" else { return nil }
        let id = String(parts[1]).removingPercentEncoding ?? String(parts[1])
        switch parts[2] {
        case "response": return Post(kind: .response, requestID: id, request: request)
        case "error": return Post(kind: .error, requestID: id, request: request)
        default: return nil
        }
    }

    /// `host:port`, the value for `AWS_LAMBDA_RUNTIME_API`.
    package var hostAndPort: String { server.hostAndPort }
    package var posts: [Post] { state.withLock { $0.posts } }
    package var nextCount: Int { state.withLock { $0.nextCount } }
    /// How many POSTs arrived (kept or not), and how many answered an event (status 202).
    package var postCount: Int { state.withLock { $0.postCount } }
    package var answeredCount: Int { state.withLock { $0.answered.count } }
    /// CLOCK_MONOTONIC nanoseconds at which the event with `requestID` was handed out.
    package func servedAt(requestID: String) -> UInt64? {
        state.withLock { $0.served[requestID] }
    }

    package func stop() { server.stop() }
}
