import Foundation
import JSON
import TestSupport

/// Whole rotations through the release `rotator` binary in Lambda mode, against moto with IAM authentication.
enum RotationBenchmarks {
    /// createSecret event handed out → finishSecret response received, median of `runs` rotations, each on a
    /// fresh secret (moto cannot start a second rotation on one secret). One process serves all rotations, as a
    /// warm Lambda sandbox would; the first rotation (cold) is reported apart.
    static func wholeRotation(rotator: String, moto: MotoServer, runs: Int = 21) throws -> String {
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
        return "whole 4-step rotation (createSecret sent → finishSecret answered), moto with SigV4 checking: "
            + "first \(Statistics.format(durations[0], decimals: 1)) ms, then median "
            + "\(Statistics.format(Statistics.median(warm), decimals: 1)) ms over \(warm.count) rotations; peak RSS "
            + "\(Statistics.format(Double(peakKilobytes.withLock { $0 }) / 1024, decimals: 2)) MB (VmHWM)"
    }
}
