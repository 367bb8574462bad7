import Rotation

/// Rotates the key of a (pretend) partner API: the secret looks like `{"apiKey": "...", "endpoint": "..."}`.
///
/// A real target would call the partner's API in `setSecret` (register the new key next to the old one),
/// prove it in `testSecret` (an authenticated request with the new key) and retire the old key in
/// `didFinishSecret`, which runs only after `AWSCURRENT` has moved to the new key. Each step must be idempotent:
/// Secrets Manager retries whole rotations, and `didFinishSecret` runs again when finishSecret is re-driven.
struct APIKeyTarget: TargetService {
    let endpoint: String

    var name: String { "example-api-key" }

    /// Keys are sent in headers, so keep them to letters and digits unless the policy says otherwise.
    var defaultExcludeCharacters: String { ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"## }

    func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        try current.replacing("apiKey", with: newPassword, secretId: context.secretId)
    }

    func setSecret(_ context: RotationContext) throws {
        guard try context.pending().string("apiKey") != nil else {
            throw RotationError.invalidSecret("The pending version of \(context.secretId) has no apiKey.")
        }
        context.logger.info("setSecret: would register the pending key with \(endpoint)")
    }

    func testSecret(_ context: RotationContext) throws {
        context.logger.info("testSecret: would call \(endpoint) with the pending key")
    }

    /// AWSCURRENT holds the new key now; retire only the key AWSPREVIOUS holds (never the current one).
    func didFinishSecret(_ context: RotationContext) throws {
        guard let previous = try context.previous(), previous.string("apiKey") != nil else { return }
        context.logger.info(
            "finishSecret: would retire the previous key at \(endpoint) (idempotent: already retired is fine)")
    }
}
