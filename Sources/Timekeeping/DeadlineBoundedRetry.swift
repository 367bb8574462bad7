/// The loop every network client here runs: attempts of one call, each given the time left (less a reserve kept
/// to report a failure, and never more than a per-attempt cap), retried after the delay the caller decides, and
/// stopped before an attempt or a wait that the deadline could not hold.
///
/// What to retry and how long to wait is the caller's (the Secrets Manager client's standard retry mode, a recipe's
/// `Retry-After`); that no attempt and no wait outlives the Lambda deadline is this type's.
public struct DeadlineBoundedRetry {
    /// One attempt's number (from 1) and how long it may take.
    public struct Attempt: Sendable, Equatable {
        public let number: Int
        public let timeoutMilliseconds: Int64
        /// The timeout is the time left, not the per-attempt cap: a timeout in this attempt is the deadline's.
        public let endsAtDeadline: Bool
    }

    /// What an attempt's result means.
    public enum Outcome<Value, Failure: Error> {
        case done(Value)
        /// Try again after `afterMilliseconds`, if the deadline allows; `failure` is what the call ends with if not.
        case retry(Failure, afterMilliseconds: Int64)
        case fail(Failure)
    }

    /// Why the deadline ended the call.
    public enum OutOfTime<Failure: Error> {
        /// No time left for attempt `number`; `lastFailure` is the previous attempt's, if there was one.
        case beforeAttempt(number: Int, lastFailure: Failure?)
        /// Attempt `number` failed with `failure` and the wait before the next would pass the deadline.
        case beforeRetry(number: Int, delayMilliseconds: Int64, failure: Failure)
    }

    public let deadline: Deadline
    /// Kept back from the deadline, so the caller can still report what went wrong.
    public let reserveMilliseconds: Int64
    public let attemptTimeoutMilliseconds: Int64
    private let sleep: (Int64) -> Void

    /// - Parameter sleep: how to wait between attempts; tests record the waits instead.
    public init(
        deadline: Deadline, reserveMilliseconds: Int64 = 0, attemptTimeoutMilliseconds: Int64,
        sleep: @escaping (Int64) -> Void = Pause.sleep(milliseconds:)
    ) {
        self.deadline = deadline
        self.reserveMilliseconds = reserveMilliseconds
        self.attemptTimeoutMilliseconds = attemptTimeoutMilliseconds
        self.sleep = sleep
    }

    /// Runs `attempt` until it is done or fails, or the deadline stops it.
    ///
    /// - Parameters:
    ///   - willRetry: called before each wait (to log it), with the failed attempt, its failure and the delay.
    ///   - outOfTime: the error the call ends with when the deadline stops it.
    public func run<Value, Failure: Error>(
        _ attempt: (Attempt) -> Outcome<Value, Failure>,
        willRetry: (Attempt, Failure, Int64) -> Void = { _, _, _ in },
        outOfTime: (OutOfTime<Failure>) -> Failure
    ) throws(Failure) -> Value {
        var number = 0
        var lastFailure: Failure?
        while true {
            number += 1
            let left = timeLeft
            guard left > 0 else { throw outOfTime(.beforeAttempt(number: number, lastFailure: lastFailure)) }
            let current = Attempt(
                number: number, timeoutMilliseconds: min(left, attemptTimeoutMilliseconds),
                endsAtDeadline: left <= attemptTimeoutMilliseconds)
            switch attempt(current) {
            case .done(let value):
                return value
            case .fail(let failure):
                throw failure
            case .retry(let failure, let delay):
                guard delay < timeLeft else {
                    throw outOfTime(.beforeRetry(number: number, delayMilliseconds: delay, failure: failure))
                }
                lastFailure = failure
                willRetry(current, failure, delay)
                sleep(delay)
            }
        }
    }

    private var timeLeft: Int64 { deadline.remainingMilliseconds - reserveMilliseconds }
}
