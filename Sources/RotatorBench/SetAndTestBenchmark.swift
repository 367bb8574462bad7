import Foundation
import Logging
import Rotation

/// `setSecret` + `testSecret` of a database target, in this process, against a real server: the time the
/// rotation spends on the database. Median of `runs` after `warmUps`; each run is a real rotation whose versions
/// `versions(run)` gives (its AWSCURRENT becomes the next run's, as Secrets Manager would have it).
enum SetAndTestBenchmark {
    struct Versions {
        var current: SecretValue
        var pending: SecretValue
        /// Other secrets by id (a master secret).
        var others: [String: SecretValue] = [:]
    }

    static func measure(
        _ name: String, target: any TargetService, warmUps: Int = 2, runs: Int = 21, versions: (Int) throws -> Versions
    ) throws -> String {
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        var milliseconds: [Double] = []
        let clock = ContinuousClock()
        for run in 0..<(warmUps + runs) {
            let secrets = try versions(run)
            let context = RotationContext(
                secretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench", token: "bench-\(run)",
                deadline: .after(milliseconds: 30_000), logger: logger
            ) { secretId, stage, _ in
                if let other = secrets.others[secretId] { return stage == "AWSCURRENT" ? other : nil }
                switch stage {
                case "AWSCURRENT": return secrets.current
                case "AWSPENDING": return secrets.pending
                default: return nil
                }
            }
            let elapsed = try clock.measure {
                try target.setSecret(context)
                try target.testSecret(context)
            }
            if run >= warmUps {
                milliseconds.append(
                    Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
            }
        }
        milliseconds.sort()
        return "\(name): median "
            + String(
                format: "%.1f ms over %d runs (min %.1f, max %.1f)", Statistics.median(milliseconds),
                milliseconds.count, milliseconds.first ?? 0, milliseconds.last ?? 0)
    }
}
