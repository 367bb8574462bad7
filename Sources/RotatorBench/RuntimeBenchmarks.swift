import Foundation
import TestSupport
import Timekeeping

/// Cold start, warm round trip and peak memory of a Lambda binary against a local fake Runtime API.
enum RuntimeBenchmarks {
    /// Process spawn → first `GET /next`, median of `runs`. The fake answers that first call with 500, so the
    /// process exits at once and the next run starts clean.
    static func coldStart(binary: String, environment: [String: String], runs: Int = 21) throws -> String {
        var samples: [Double] = []
        for _ in 0..<runs {
            let fake = try FakeRuntimeAPI(script: [])
            var env = environment
            env["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
            let started = MonotonicClock.nanoseconds()
            let pid = try Spawn.start(binary, environment: env)
            guard fake.server.waitForRequests(1, timeout: 10), let first = fake.server.requests.first else {
                _ = Spawn.wait(pid)
                throw ServerError("\(binary) never called GET next")
            }
            samples.append(Double(first.receivedAtNanoseconds - started) / 1_000_000)
            _ = Spawn.wait(pid)
            fake.stop()
        }
        return "cold start (spawn → first GET /next): median \(Statistics.format(Statistics.median(samples))) ms, "
            + "p90 \(Statistics.format(Statistics.percentile(samples, 0.9))) ms over \(runs) runs"
    }

    /// Event handed out → response received, per invocation, median over `invocations`; and the process's
    /// peak RSS (VmHWM) read from /proc while it waits after the last response. (wait4's ru_maxrss is no use
    /// here: posix_spawn's child shares the parent's memory until exec, so it reports the benchmark's own size.)
    static func warmRoundTrip(
        binary: String, environment: [String: String], event: String, invocations: Int = 1_000
    ) throws -> (roundTrip: String, memory: String) {
        let events = (0..<invocations).map { FakeRuntimeAPI.Next.event(.init(requestID: "bench-\($0)", json: event)) }
        let child = Locked<Int32>(0)
        let peakKilobytes = Locked<Int>(-1)
        let fake = try FakeRuntimeAPI(script: events) { count in
            guard count == invocations else { return }
            let pid = child.withLock { $0 }
            peakKilobytes.withLock { $0 = ProcFS.statusKilobytes(pid: pid, field: "VmHWM") }
        }
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let pid = try Spawn.start(binary, environment: env)
        child.withLock { $0 = pid }
        _ = Spawn.wait(pid)
        let requests = fake.server.requests
        var samples: [Double] = []
        var pendingNext: UInt64?
        for request in requests {
            if request.method == "GET" {
                pendingNext = request.receivedAtNanoseconds
            } else if let start = pendingNext {
                samples.append(Double(request.receivedAtNanoseconds - start) / 1_000_000)
                pendingNext = nil
            }
        }
        // The first invocation includes first-use work; it is reported by the cold start, not here.
        let warm = Array(samples.dropFirst())
        let roundTrip =
            "warm invocation round trip (event sent → response received): median "
            + "\(Statistics.format(Statistics.median(warm))) ms, p99 \(Statistics.format(Statistics.percentile(warm, 0.99))) ms "
            + "over \(warm.count) invocations"
        let memory =
            "peak RSS after \(samples.count) invocations: \(Statistics.format(Double(peakKilobytes.withLock { $0 }) / 1024, decimals: 2)) MB (VmHWM)"
        return (roundTrip, memory)
    }

    /// The process's data size (VmData: heap and other private memory) after 1,000 and after `invocations`
    /// invocations, each with a trace id of its own, as Lambda sends them: anything the runtime keeps per
    /// invocation (such as `setenv` copies of `_X_AMZN_TRACE_ID`) shows as growth.
    static func heapGrowth(binary: String, environment: [String: String], event: String, invocations: Int = 100_000)
        throws -> String
    {
        let child = Locked<Int32>(0)
        let handedOut = Locked(0)
        let samples = Locked<[Int: Int]>([:])
        let sampleAt: Set<Int> = [1_000, invocations]
        let fake = try FakeRuntimeAPI(
            source: {
                handedOut.withLock { count -> FakeRuntimeAPI.Next? in
                    guard count < invocations else { return nil }
                    count += 1
                    let trace =
                        "Root=1-\(String(count, radix: 16))-\(SecureRandomHex.make(12));Parent=53995c3f42cd8ad8;Sampled=1"
                    return .event(
                        .init(requestID: "heap-\(count)", json: event, extra: [("Lambda-Runtime-Trace-Id", trace)]))
                }
            },
            journal: { entry in
                guard case .post = entry else { return }
                let answered = handedOut.withLock { $0 }
                guard sampleAt.contains(answered) else { return }
                let pid = child.withLock { $0 }
                samples.withLock { $0[answered] = ProcFS.statusKilobytes(pid: pid, field: "VmData") }
            })
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let pid = try Spawn.start(binary, environment: env)
        child.withLock { $0 = pid }
        _ = Spawn.wait(pid)
        let taken = samples.withLock { $0 }
        guard let early = taken[1_000], let late = taken[invocations] else { return "heap growth: not measured" }
        let perInvocation = Double((late - early) * 1_024) / Double(invocations - 1_000)
        return "data size (VmData) after 1,000 invocations \(early) kB, after \(invocations): \(late) kB "
            + "(\(Statistics.format(perInvocation, decimals: 1)) bytes per invocation), a new trace id each"
    }
}

/// Hex digits from the system's random source, for trace ids that are never repeated.
enum SecureRandomHex {
    static func make(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" })
    }
}
