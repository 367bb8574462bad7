#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in wall-clock time by which work must be done, in Unix epoch milliseconds, the unit of
/// Lambda's `Lambda-Runtime-Deadline-Ms` header. Every network call takes one: no attempt or retry
/// sleep may run past it.
public struct Deadline: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var epochMilliseconds: Int64

    public init(epochMilliseconds: Int64) {
        self.epochMilliseconds = epochMilliseconds
    }

    /// No limit in practice: for command-line runs that have no Lambda deadline.
    public static let distantFuture = Deadline(epochMilliseconds: Int64.max / 2)

    public static func now() -> Deadline {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Deadline(epochMilliseconds: Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000)
    }

    /// A deadline `milliseconds` from now.
    public static func after(milliseconds: Int64) -> Deadline {
        Deadline(epochMilliseconds: now().epochMilliseconds + milliseconds)
    }

    /// Milliseconds left before the deadline; zero or negative once it has passed.
    public var remainingMilliseconds: Int64 { epochMilliseconds - Deadline.now().epochMilliseconds }

    public var hasPassed: Bool { remainingMilliseconds <= 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.epochMilliseconds < rhs.epochMilliseconds }

    public var description: String { "Deadline(epochMilliseconds: \(epochMilliseconds))" }
}
