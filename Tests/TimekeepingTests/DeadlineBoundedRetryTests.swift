import Testing
import Timekeeping

struct Failed: Error, Equatable {
    let text: String
}

/// The retry loop's own rules, with the waits recorded instead of slept.
@Suite struct DeadlineBoundedRetryTests {
    final class Waits {
        var delays: [Int64] = []
        var retried: [Int] = []
    }

    private func retry(_ waits: Waits, deadlineIn milliseconds: Int64, reserve: Int64 = 0, cap: Int64 = 10_000)
        -> DeadlineBoundedRetry
    {
        DeadlineBoundedRetry(
            deadline: .after(milliseconds: milliseconds), reserveMilliseconds: reserve,
            attemptTimeoutMilliseconds: cap, sleep: { waits.delays.append($0) })
    }

    private func outOfTime(_ stop: DeadlineBoundedRetry.OutOfTime<Failed>) -> Failed {
        switch stop {
        case .beforeAttempt(let number, let last): Failed(text: "no time for \(number) after \(last?.text ?? "-")")
        case .beforeRetry(let number, let delay, let failure): Failed(text: "\(failure.text) \(number), \(delay) ms")
        }
    }

    @Test("retries after the caller's delays until an attempt is done; numbers attempts from 1")
    func retriesUntilDone() throws {
        let waits = Waits()
        var seen: [Int] = []
        let value = try retry(waits, deadlineIn: 60_000).run {
            attempt -> DeadlineBoundedRetry.Outcome<String, Failed> in
            seen.append(attempt.number)
            return attempt.number < 3
                ? .retry(Failed(text: "busy"), afterMilliseconds: Int64(attempt.number) * 10) : .done("ok")
        } willRetry: { attempt, _, _ in
            waits.retried.append(attempt.number)
        } outOfTime: {
            outOfTime($0)
        }
        #expect(value == "ok")
        #expect(seen == [1, 2, 3])
        #expect(waits.delays == [10, 20])
        #expect(waits.retried == [1, 2])
    }

    @Test("a failure the caller will not retry ends the call at once")
    func failEndsTheCall() {
        let waits = Waits()
        let error = #expect(throws: Failed.self) {
            try retry(waits, deadlineIn: 60_000).run { _ -> DeadlineBoundedRetry.Outcome<Int, Failed> in
                .fail(Failed(text: "denied"))
            } outOfTime: {
                outOfTime($0)
            }
        }
        #expect(error == Failed(text: "denied"))
        #expect(waits.delays.isEmpty)
    }

    @Test(
        "a wait that would pass the deadline (less the reserve) is not slept: the out-of-time error names the failure")
    func waitPastTheDeadlineStops() {
        let waits = Waits()
        let error = #expect(throws: Failed.self) {
            try retry(waits, deadlineIn: 5_000, reserve: 1_000).run { _ -> DeadlineBoundedRetry.Outcome<Int, Failed> in
                .retry(Failed(text: "throttled"), afterMilliseconds: 4_500)
            } outOfTime: {
                outOfTime($0)
            }
        }
        #expect(error == Failed(text: "throttled 1, 4500 ms"))
        #expect(waits.delays.isEmpty)
    }

    @Test("no attempt starts once the deadline (less the reserve) has passed")
    func noAttemptAfterTheDeadline() {
        let waits = Waits()
        var attempts = 0
        let error = #expect(throws: Failed.self) {
            try retry(waits, deadlineIn: 500, reserve: 1_000).run { _ -> DeadlineBoundedRetry.Outcome<Int, Failed> in
                attempts += 1
                return .done(1)
            } outOfTime: {
                outOfTime($0)
            }
        }
        #expect(attempts == 0)
        #expect(error == Failed(text: "no time for 1 after -"))
    }

    @Test("each attempt gets the time left or the cap, whichever is less, and says which")
    func attemptTimeouts() throws {
        let waits = Waits()
        var attempts: [DeadlineBoundedRetry.Attempt] = []
        _ = try retry(waits, deadlineIn: 60_000, reserve: 1_000, cap: 15_000).run {
            attempt -> DeadlineBoundedRetry.Outcome<Int, Failed> in
            attempts.append(attempt)
            return .done(0)
        } outOfTime: {
            outOfTime($0)
        }
        #expect(attempts.map(\.timeoutMilliseconds) == [15_000])
        #expect(attempts.first?.endsAtDeadline == false)

        attempts = []
        _ = try retry(waits, deadlineIn: 3_000, reserve: 1_000, cap: 15_000).run {
            attempt -> DeadlineBoundedRetry.Outcome<Int, Failed> in
            attempts.append(attempt)
            return .done(0)
        } outOfTime: {
            outOfTime($0)
        }
        let timeout = try #require(attempts.first?.timeoutMilliseconds)
        #expect(timeout <= 2_000 && timeout > 1_500, "the time left less the reserve")
        #expect(attempts.first?.endsAtDeadline == true)
    }
}
