import Foundation
import JSON
import TestSupport

/// `rotator status` without `--secret-id` over 2,000 secrets in moto (IAM signature checking on): the release
/// binary, spawned as a scheduled job would run it; ListSecrets pages of 100, no value read.
enum FleetBenchmarks {
    static func scan(rotator: String, moto: MotoServer, secrets: Int = 2_000, runs: Int = 5) throws -> String {
        let prefix = "bench-fleet-\(UUID().uuidString.prefix(6).lowercased())-"
        for index in 0..<secrets {
            _ = try moto.adminClient.call(
                "CreateSecret",
                JSONObject(["Name": .string("\(prefix)\(index)"), "SecretString": .string("bench-value-\(index)")]))
        }
        var milliseconds: [Double] = []
        var summary = ""
        for _ in 0..<runs {
            let started = DispatchTime.now().uptimeNanoseconds
            let child = try ChildProcess(
                executable: URL(fileURLWithPath: rotator), arguments: ["status", "--name-prefix", prefix],
                environment: moto.clientEnvironment)
            let status = child.wait(timeout: 300)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            guard status == 0 else {
                throw ServerError("fleet scan exited \(String(describing: status)): \(child.output.suffix(400))")
            }
            summary = child.output.split(separator: "\n").last.map(String.init) ?? ""
        }
        return "rotator status over \(secrets) secrets (process start to exit): median "
            + "\(Statistics.format(Statistics.median(milliseconds), decimals: 0)) ms over \(runs) runs — \(summary)"
    }
}
