import Timekeeping

/// Time sources and formatting for the client.
extension SecretsManagerClient {
    /// Wall-clock seconds since the epoch, for `X-Amz-Date`.
    static func secondsSinceEpoch() -> Int64 {
        Deadline.now().epochMilliseconds / 1_000
    }

    /// Seconds with three decimals, for log lines.
    static func format(milliseconds: Int64) -> String {
        let fraction = String(milliseconds % 1_000)
        return "\(milliseconds / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
