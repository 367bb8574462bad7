import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Waiting on a client library's socket against a deadline: the drivers run their libraries' non-blocking APIs
/// and wait here, so no wait can outlive the Lambda invocation.
public enum SocketWait {
    /// Waits until `socket` is ready for `events` (POLLIN, POLLOUT) or the wall clock passes `until` (epoch ms).
    /// - Returns: the events that happened (`revents`; non-zero also for an error or hang-up, which the library's
    ///   next call reports), or `nil` when time ran out. A negative socket (none yet) returns `events` at once.
    public static func wait(for events: Int16, on socket: Int32, untilEpochMilliseconds until: Int64) -> Int16? {
        guard socket >= 0 else { return events }
        while true {
            let left = until - Deadline.now().epochMilliseconds
            guard left > 0 else { return nil }
            var entry = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left, Int64(Int32.max))))
            if ready > 0 { return entry.revents }
            if ready < 0 && errno != EINTR { return events }
        }
    }
}
