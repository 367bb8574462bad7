import Timekeeping

/// Time sources and formatting for the client.
extension SecretsManagerClient {
    /// Wall-clock seconds since the epoch, for `X-Amz-Date`.
    static func secondsSinceEpoch() -> Int64 {
        Deadline.now().epochMilliseconds / 1_000
    }
}
