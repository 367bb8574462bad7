/// The SDKs' "standard" retry mode (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
/// which failures to retry, how long to wait,
/// and the retry quota that stops a client from retrying a failing service forever.
package struct RetryPolicy: Sendable {
    /// Why a failure may be retried; `nil` means it must not be.
    package enum Reason: Sendable, Equatable {
        case transient
        case timeout
        case throttling
    }

    /// Codes the standard mode treats as transient.
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalServiceError",
    ]
    /// HTTP statuses the standard mode treats as transient, whatever the code.
    static let transientStatuses: Set<Int> = [500, 502, 503, 504]
    /// Throttling codes. `LimitExceededException` is deliberately missing although the standard list has it:
    /// for PutSecretValue it means the version quota is used up, which no retry can fix.
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
    ]
    static let maximumBackoffSeconds = 20.0

    /// Attempts per call, the first one included.
    let maxAttempts: Int

    /// Whether an HTTP error response may be retried.
    package static func reason(code: String, httpStatus: Int) -> Reason? {
        if throttlingCodes.contains(code) { return .throttling }
        if transientCodes.contains(code) || transientStatuses.contains(httpStatus) { return .transient }
        return nil
    }

    /// Full-jitter exponential backoff in seconds before attempt `attempt + 1`: `random * min(2^(attempt-1), 20)`.
    /// - Parameter random: uniform in [0, 1).
    package static func backoffSeconds(afterAttempt attempt: Int, random: Double) -> Double {
        let ceiling = attempt >= 6 ? maximumBackoffSeconds : min(Double(1 << (attempt - 1)), maximumBackoffSeconds)
        return min(max(random, 0), 1) * ceiling
    }
}

/// The standard mode's retry token bucket: a retry costs tokens (more after a timeout), a success returns
/// some. When the bucket is empty, failures are returned without retrying.
package struct RetryQuota: Sendable {
    static let capacity = 500
    static let retryCost = 5
    static let timeoutRetryCost = 10
    static let noRetryIncrement = 1

    private(set) var available = capacity

    package init() {}

    /// Takes the cost of one retry; returns it, or `nil` when the bucket cannot pay.
    package mutating func acquire(for reason: RetryPolicy.Reason) -> Int? {
        let cost = reason == .timeout ? Self.timeoutRetryCost : Self.retryCost
        guard available >= cost else { return nil }
        available -= cost
        return cost
    }

    /// A call succeeded after retries that cost `spent` tokens in total (0 for a first-time success).
    package mutating func recordSuccess(spent: Int) {
        available = min(Self.capacity, available + (spent > 0 ? spent : Self.noRetryIncrement))
    }
}
