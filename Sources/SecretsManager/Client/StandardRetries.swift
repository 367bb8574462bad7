import HTTPClient
import Logging
import Timekeeping

/// An AWS service's error as the retry rules need it: its code and HTTP status.
package protocol ServiceFailure: Error, CustomStringConvertible {
    /// The service's error code (`ThrottlingException`, `DBInstanceNotFound`…).
    var codeText: String { get }
    var httpStatus: Int? { get }
}

/// One AWS client's calls under the SDKs' standard retry mode
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): what to retry (`RetryPolicy`),
/// full-jitter backoff, the retry quota, and no attempt or wait past the call's deadline (`DeadlineBoundedRetry`).
/// The Secrets Manager and RDS clients each keep one for their lifetime, as the SDKs keep one quota per client.
package final class StandardRetries {
    /// The service's name in log lines (`Secrets Manager`, `RDS`).
    package let service: String
    /// Attempts per call, the first one included.
    package let maxAttempts: Int
    /// Longest single attempt, so that one hung connection cannot use the whole deadline without a retry.
    package var attemptTimeoutMilliseconds: Int64
    private var quota = RetryQuota()
    private let randomUnit: () -> Double
    private let logger: Logger

    /// How a client turns what went wrong into its own error type.
    package struct Failures<Failure: ServiceFailure> {
        /// An HTTP answer outside 2xx.
        package var answer: (HTTPResponse) -> Failure
        /// No complete answer.
        package var network: (HTTPClientError) -> Failure
        /// The deadline stopped the call: `when` says where, after `attempts` attempts, the last failing with `last`.
        package var deadline: (_ when: String, _ attempts: Int, _ last: Failure?) -> Failure

        package init(
            answer: @escaping (HTTPResponse) -> Failure, network: @escaping (HTTPClientError) -> Failure,
            deadline: @escaping (_ when: String, _ attempts: Int, _ last: Failure?) -> Failure
        ) {
            self.answer = answer
            self.network = network
            self.deadline = deadline
        }
    }

    /// - Parameter randomUnit: the jitter source, uniform in [0, 1); tests pass a constant.
    package init(
        service: String, maxAttempts: Int, attemptTimeoutMilliseconds: Int64, logger: Logger,
        randomUnit: @escaping () -> Double
    ) {
        self.service = service
        self.maxAttempts = maxAttempts
        self.attemptTimeoutMilliseconds = attemptTimeoutMilliseconds
        self.logger = logger
        self.randomUnit = randomUnit
    }

    /// Sends `operation` until a 2xx answer, a failure that must not be retried, the last attempt, an empty quota or
    /// the deadline. - Parameter send: one attempt, given its timeout.
    package func call<Failure: ServiceFailure>(
        _ operation: String, deadline: Deadline, failures: Failures<Failure>,
        send: (_ timeoutMilliseconds: Int64) -> Result<HTTPResponse, HTTPClientError>
    ) throws(Failure) -> HTTPResponse {
        var spent = 0
        let retry = DeadlineBoundedRetry(deadline: deadline, attemptTimeoutMilliseconds: attemptTimeoutMilliseconds)
        return try retry.run { attempt -> DeadlineBoundedRetry.Outcome<HTTPResponse, Failure> in
            let started = MonotonicClock.milliseconds()
            let failure: Failure
            let reason: RetryPolicy.Reason?
            switch send(attempt.timeoutMilliseconds) {
            case .success(let response):
                logger.debug(
                    "\(service) \(operation) attempt \(attempt.number)/\(maxAttempts): HTTP \(response.status) in \(MonotonicClock.milliseconds() - started) ms"
                )
                if (200..<300).contains(response.status) {
                    quota.recordSuccess(spent: spent)
                    return .done(response)
                }
                failure = failures.answer(response)
                reason = RetryPolicy.reason(code: failure.codeText, httpStatus: response.status)
            case .failure(let error):
                logger.debug(
                    "\(service) \(operation) attempt \(attempt.number)/\(maxAttempts): no response (\(error.kind)) in \(MonotonicClock.milliseconds() - started) ms"
                )
                if error.kind == .timeout && attempt.endsAtDeadline {
                    return .fail(
                        failures.deadline("during attempt \(attempt.number)", attempt.number, failures.network(error)))
                }
                (failure, reason) = (failures.network(error), Self.retryReason(error))
            }
            guard let reason, attempt.number < maxAttempts else { return .fail(failure) }
            guard let cost = quota.acquire(for: reason) else {
                logger.warning(
                    "\(service) \(operation) failed (\(failure.codeText)); retry quota exhausted, not retrying")
                return .fail(failure)
            }
            spent += cost
            let delay = RetryPolicy.backoffSeconds(afterAttempt: attempt.number, random: randomUnit())
            return .retry(failure, afterMilliseconds: Int64((delay * 1_000).rounded(.up)))
        } willRetry: { attempt, failure, delay in
            logger.warning(
                "\(service) \(operation) attempt \(attempt.number)/\(maxAttempts) failed (\(failure.codeText)\(failure.httpStatus.map { ", HTTP \($0)" } ?? "")); retrying in \(Self.format(milliseconds: delay)) s"
            )
        } outOfTime: { stop in
            switch stop {
            case .beforeAttempt(let number, let lastFailure):
                failures.deadline("before attempt \(number)", number - 1, lastFailure)
            case .beforeRetry(let number, let delay, let failure):
                failures.deadline(
                    "before retry \(number) (backoff \(Self.format(milliseconds: delay)) s)", number, failure)
            }
        }
    }

    /// Which transport failures the standard mode retries.
    package static func retryReason(_ error: HTTPClientError) -> RetryPolicy.Reason? {
        switch error.kind {
        case .timeout: .timeout
        case .connect, .connectionLost: .transient
        case .tls, .responseTooLarge, .invalidRequest: nil
        }
    }

    /// Seconds with three decimals, for log lines.
    package static func format(milliseconds: Int64) -> String {
        let fraction = String(milliseconds % 1_000)
        return "\(milliseconds / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
