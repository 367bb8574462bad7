@testable import SecretsManager

/// Access to the internal retry arithmetic for tests.
enum RetryPolicyProbe {
    static func backoff(attempt: Int, random: Double) -> Double {
        RetryPolicy.backoffSeconds(afterAttempt: attempt, random: random)
    }
}
