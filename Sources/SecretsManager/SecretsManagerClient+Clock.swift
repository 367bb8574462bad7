#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPClient

/// Time sources and sleeping, without Foundation.
extension SecretsManagerClient {
    /// Wall-clock seconds since the epoch, for `X-Amz-Date`.
    static func secondsSinceEpoch() -> Int64 {
        Deadline.now().epochMilliseconds / 1_000
    }

    /// Monotonic milliseconds, for measuring durations that wall-clock steps must not distort.
    static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Sleeps for `milliseconds`, resuming after signals until the full time has passed.
    static func sleep(milliseconds: Int64) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: Int(milliseconds / 1_000), tv_nsec: Int(milliseconds % 1_000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }

    /// Seconds with three decimals, for log lines.
    static func format(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1_000).rounded())
        let fraction = String(milliseconds % 1_000)
        return "\(milliseconds / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
