import Rotation

/// Rotates the key of a (pretend) partner API: the secret looks like `{"apiKey": "...", "endpoint": "..."}`.
///
/// A real target would call the partner's API in `setSecret` (register the new key next to the old one),
/// prove it in `testSecret` (an authenticated request with the new key) and retire the old key in
/// `finishSecret`. Each step must be idempotent: Secrets Manager retries whole rotations.
struct APIKeyTarget: TargetService {
    let endpoint: String

    var name: String { "example-api-key" }

    /// Keys are sent in headers, so keep them to letters and digits unless the policy says otherwise.
    var defaultExcludeCharacters: String { ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"## }

    func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws -> SecretValue {
        guard case .json(var object) = current, object["apiKey"] != nil else {
            throw RotationError.invalidSecret("Secret \(context.secretId) must be JSON with an \"apiKey\" field.")
        }
        object["apiKey"] = .string(newPassword)
        return .json(object)
    }

    func setSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        guard pending.string("apiKey") != nil else {
            throw RotationError.target(reason: "InvalidSecret", message: "The pending version has no apiKey.")
        }
        context.logger.info("setSecret: would register the pending key with \(endpoint)")
    }

    func testSecret(_ context: RotationContext) throws {
        context.logger.info("testSecret: would call \(endpoint) with the pending key")
    }

    func finishSecret(_ context: RotationContext) throws {
        context.logger.info("finishSecret: would retire the previous key at \(endpoint)")
    }
}
