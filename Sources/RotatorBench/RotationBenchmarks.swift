import Foundation
import JSON
import TestSupport

/// Whole rotations through the release `rotator` binary in Lambda mode, against moto with IAM authentication.
enum RotationBenchmarks {
    /// createSecret event handed out → finishSecret response received, median of `runs` rotations, each on a
    /// fresh secret (moto cannot start a second rotation on one secret). One process serves all rotations, as a
    /// warm Lambda sandbox would; the first rotation (cold) is reported apart. Peak RSS is VmHWM after the last,
    /// with the binary evicted from the page cache first (as for the runtime-loop comparison).
    static func wholeRotation(rotator: String, moto: MotoServer, runs: Int = 21) throws -> String {
        ComparisonBenchmarks.evictFromPageCache(rotator)
        var events: [FakeRuntimeAPI.Next] = []
        for index in 0..<runs {
            let arn = try moto.createSecret(
                name: "bench-\(index)-\(UUID().uuidString.prefix(6))",
                secretString: #"{"username":"bench","password":"initial-bench-Pw1!","port":5432}"#)
            let token = try moto.startRotation(secretId: arn)
            for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
                let event = JSONObject([
                    "Step": .string(step), "SecretId": .string(arn), "ClientRequestToken": .string(token),
                ])
                events.append(.event(.init(json: event.serialized)))
            }
        }
        let child = Locked<Int32>(0)
        let peakKilobytes = Locked<Int>(-1)
        let fake = try FakeRuntimeAPI(script: events) { count in
            guard count == runs * 4 else { return }
            let pid = child.withLock { $0 }
            peakKilobytes.withLock { $0 = ProcFS.statusKilobytes(pid: pid, field: "VmHWM") }
        }
        var environment = moto.clientEnvironment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        environment["AWS_LAMBDA_LOG_LEVEL"] = "WARN"
        let pid = try Spawn.start(rotator, environment: environment)
        child.withLock { $0 = pid }
        _ = Spawn.wait(pid)

        let requests = fake.server.requests
        let gets = requests.filter { $0.method == "GET" }
        let posts = requests.filter { $0.method == "POST" }
        let errors = posts.filter { $0.target.hasSuffix("/error") }.count
        guard posts.count == runs * 4, errors == 0 else {
            throw ServerError("rotation benchmark: \(posts.count) posts, \(errors) errors (expected \(runs * 4), 0)")
        }
        var durations: [Double] = []
        for run in 0..<runs {
            let start = gets[run * 4].receivedAtNanoseconds
            let end = posts[run * 4 + 3].receivedAtNanoseconds
            durations.append(Double(end - start) / 1_000_000)
        }
        let warm = Array(durations.dropFirst())
        return "whole 4-step rotation (createSecret sent → finishSecret answered), moto with SigV4 checking"
            + (moto.caFile == nil ? "" : " over HTTPS") + ": "
            + "first \(Statistics.format(durations[0], decimals: 1)) ms, then median "
            + "\(Statistics.format(Statistics.median(warm), decimals: 1)) ms over \(warm.count) rotations; peak RSS "
            + "\(Statistics.format(Double(peakKilobytes.withLock { $0 }) / 1024, decimals: 2)) MB (VmHWM after \(runs))"
    }
}

/// Secrets Manager calls per whole rotation, counted by a proxy in front of moto.
enum CallCountBenchmarks {
    /// One rotation of `secretString` through `binary`: all four steps in one process (a warm sandbox, as Lambda
    /// usually runs them), and each step in a new process (a new sandbox per step, the worst case).
    /// - Parameter secretString: makes the secret to rotate (and anything it needs, such as a database user), once
    ///   for each of the two runs.
    static func callsPerRotation(
        binary: String, moto: MotoServer, name: String, environment extra: [String: String] = [:],
        secretString: () throws -> String
    ) throws -> String {
        var lines: [String] = []
        for perStep in [false, true] {
            let proxy = try ForwardingProxy(upstreamPort: moto.port) { _, _ in .none }
            defer { proxy.stop() }
            let arn = try moto.createSecret(
                name: "calls-\(UUID().uuidString.prefix(8))", secretString: try secretString())
            let token = try moto.startRotation(secretId: arn)
            let events = ["createSecret", "setSecret", "testSecret", "finishSecret"].map { step in
                FakeRuntimeAPI.Next.event(
                    .init(
                        json: JSONObject([
                            "Step": .string(step), "SecretId": .string(arn), "ClientRequestToken": .string(token),
                        ]).serialized))
            }
            var duration = ""
            for script in perStep ? events.map({ [$0] }) : [events] {
                let fake = try FakeRuntimeAPI(script: script)
                var environment = moto.clientEnvironment
                environment["SECRETS_MANAGER_ENDPOINT"] = proxy.endpoint
                environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
                environment["AWS_LAMBDA_LOG_LEVEL"] = "WARN"
                environment.merge(extra) { _, new in new }
                _ = Spawn.wait(try Spawn.start(binary, environment: environment))
                let errors = fake.posts.filter { $0.kind != .response }.map(\.bodyText)
                guard errors.isEmpty else {
                    throw ServerError("call count, \(name): \(errors.joined(separator: "; "))")
                }
                // createSecret handed out → finishSecret answered, in the warm sandbox.
                let requests = fake.server.requests
                if !perStep, let first = requests.first(where: { $0.method == "GET" }),
                    let last = requests.last(where: { $0.method == "POST" })
                {
                    let milliseconds = Double(last.receivedAtNanoseconds - first.receivedAtNanoseconds) / 1_000_000
                    duration = ", \(Statistics.format(milliseconds, decimals: 1)) ms through the counting proxy"
                }
            }
            var byOperation: [String: Int] = [:]
            for exchange in proxy.log { byOperation[exchange.operation, default: 0] += 1 }
            let detail = byOperation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append(
                "\(name): \(proxy.log.count) Secrets Manager calls per rotation "
                    + (perStep ? "with a new sandbox for every step" : "in one warm sandbox") + " (\(detail))"
                    + duration)
        }
        return lines.joined(separator: "\n")
    }
}
