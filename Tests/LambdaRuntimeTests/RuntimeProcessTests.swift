import Foundation
import TestSupport
import Testing

/// Tests that run the real `LambdaEcho` executable, built on the same runtime as `rotator`.
@Suite("Runtime in a real process")
struct RuntimeProcessTests {
    private func startEcho(_ fake: FakeRuntimeAPI, extra: [String: String] = [:]) throws -> ChildProcess {
        var environment = ["AWS_LAMBDA_RUNTIME_API": fake.hostAndPort]
        environment.merge(extra) { _, new in new }
        return try ChildProcess(executable: BuiltProducts.executable("LambdaEcho"), environment: environment)
    }

    @Test(
        "_X_AMZN_TRACE_ID is set for an invocation with a trace id and unset for one without, each value whole")
    func traceEnvironment() throws {
        let trace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
        // Longer, then shorter, than the one before (the value is rewritten in place), and one too long for the
        // buffer the runtime keeps.
        let traces = [
            trace, nil, trace + ";Lineage=a87bd80c:1|68fd508a:5", "Root=1-5759e988-bd862e3fe1be46a994272793", nil,
            "Root=" + String(repeating: "x", count: 2_000), "Root=1-short",
        ]
        let fake = try FakeRuntimeAPI(
            script: traces.enumerated().map { index, trace in
                .event(
                    .init(
                        requestID: "t\(index)", json: "_X_AMZN_TRACE_ID",
                        extra: trace.map { [("Lambda-Runtime-Trace-Id", $0)] } ?? []))
            })
        let child = try startEcho(fake, extra: ["_X_AMZN_TRACE_ID": "stale-from-the-environment"])
        let status = child.wait()
        #expect(status == 1)
        #expect(fake.posts.map(\.bodyText) == traces.map { $0 ?? "<unset>" })
    }

    @Test("an init failure in the real binary posts /init/error and exits non-zero")
    func initFailureExits() throws {
        let fake = try FakeRuntimeAPI(script: [.event(.init(json: "{}"))])
        let child = try startEcho(fake, extra: ["ECHO_INIT_FAIL": "1"])
        let status = child.wait()
        #expect(status != nil && status != 0)
        #expect(fake.nextCount == 0)
        #expect(fake.posts.map(\.kind) == [.initError])
        #expect(fake.posts.first?.errorTypeHeader == "Runtime.ConfigInvalid")
        #expect(child.output.contains("Initialisation failed"))
    }

    @Test("proxy variables are ignored: the Runtime API is always reached directly")
    func ignoresProxy() throws {
        let fake = try FakeRuntimeAPI(script: [.event(.init(requestID: "p", json: "{}"))])
        // A proxy that does not exist: if the runtime used it, no event would ever arrive.
        let child = try startEcho(
            fake,
            extra: [
                "http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                "ALL_PROXY": "http://127.0.0.1:9",
            ])
        #expect(child.wait() == 1)
        #expect(fake.posts.map(\.requestID) == ["p"])
    }

    @Test("outside Lambda the runtime refuses to start and says why")
    func noRuntimeAPI() throws {
        let child = try ChildProcess(executable: BuiltProducts.executable("LambdaEcho"), environment: [:])
        #expect(child.wait() == 1)
        #expect(child.output.contains("AWS_LAMBDA_RUNTIME_API is not set"))
    }

    @Test("1,000 invocations in a row keep the open file descriptors and memory stable")
    func thousandInvocations() throws {
        let total = 1_000
        let samples = Locked<[Int: (fds: Int, rssKB: Int)]>([:])
        let pid = Locked<Int32>(0)
        let events = (0..<total).map { index in
            FakeRuntimeAPI.Next.event(
                .init(
                    requestID: "n\(index)", body: index % 10 == 0 ? Array("fail".utf8) : Array("{\"i\":\(index)}".utf8))
            )
        }
        let fake = try FakeRuntimeAPI(script: events) { count in
            guard count == 100 || count == total else { return }
            let process = pid.withLock { $0 }
            let sample = (
                ProcFS.openFileDescriptors(pid: process), ProcFS.statusKilobytes(pid: process, field: "VmRSS")
            )
            samples.withLock { $0[count] = sample }
        }
        let child = try startEcho(fake)
        pid.withLock { $0 = child.pid }
        #expect(child.wait(timeout: 120) == 1)
        let posts = fake.posts
        #expect(posts.count == total)
        #expect(posts.filter { $0.kind == .error }.count == total / 10)
        let early = try #require(samples.withLock { $0[100] })
        let late = try #require(samples.withLock { $0[total] })
        #expect(early.fds > 0 && late.fds == early.fds)
        // Allow allocator noise, not growth per invocation: 900 more invocations may add at most 512 kB.
        #expect(late.rssKB - early.rssKB < 512, "RSS grew from \(early.rssKB) kB to \(late.rssKB) kB")
    }
}
