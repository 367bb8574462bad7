import Testing

@testable import SecretsManager

/// Access to the internal retry arithmetic for tests.
enum RetryPolicyProbe {
    static func backoff(attempt: Int, random: Double) -> Double {
        RetryPolicy.backoffSeconds(afterAttempt: attempt, random: random)
    }
}

@Suite struct RetryQuotaTests {
    /// Standard mode: 500 tokens, 5 per retry (10 after a timeout), refunds on success.
    @Test func quotaEmptiesAndRefills() {
        var quota = RetryQuota()
        var retries = 0
        while quota.acquire(for: .throttling) != nil { retries += 1 }
        #expect(retries == 100)
        #expect(quota.acquire(for: .timeout) == nil)
        quota.recordSuccess(spent: 10)
        #expect(quota.acquire(for: .timeout) == 10)
        quota.recordSuccess(spent: 0)
        #expect(quota.available == 1)
        var full = RetryQuota()
        full.recordSuccess(spent: 0)
        #expect(full.available == RetryQuota.capacity)
    }

    @Test func classification() {
        #expect(RetryPolicy.reason(code: "LimitExceededException", httpStatus: 400) == nil)
        #expect(RetryPolicy.reason(code: "ThrottlingException", httpStatus: 400) == .throttling)
        #expect(RetryPolicy.reason(code: "SlowDown", httpStatus: 503) == .throttling)
        #expect(RetryPolicy.reason(code: "HTTP502", httpStatus: 502) == .transient)
        #expect(RetryPolicy.reason(code: "PriorRequestNotComplete", httpStatus: 400) == .transient)
        #expect(RetryPolicy.reason(code: "InvalidParameterException", httpStatus: 400) == nil)
        #expect(RetryPolicy.reason(code: "SignatureDoesNotMatch", httpStatus: 403) == nil)
    }
}
