import SecretsManager

/// Reads secret values for the handler, each version at most once per sandbox.
///
/// A version's value never changes once stored (PutSecretValue with the same token and another value fails,
/// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html), so a value read by
/// version id is kept: the four steps of a rotation usually run in one warm sandbox, and each needs the current
/// value (to pick the target) and most need the pending one. Labels do move, so a label is always resolved to a
/// version id through the step's own DescribeSecret. The cache is small and bounded; it holds what the process
/// had in memory anyway.
package final class SecretReader {
    let client: any SecretsManagerService
    private var values: [Key: SecretValue] = [:]
    private var order: [Key] = []
    /// Versions kept: a rotation needs three of one secret (current, pending, previous) and a master's.
    static let capacity = 16

    private struct Key: Hashable {
        let arn: String
        let versionId: String
    }

    init(client: any SecretsManagerService) {
        self.client = client
    }

    /// The value of version `versionId` of the secret `arn`, or `nil` when it has none (ResourceNotFoundException).
    /// - Parameter stage: the label the caller means (`AWSCURRENT`, …), for messages; it is not sent, because a label
    ///   moved since the DescribeSecret would make the request fail instead of reading the version meant.
    package func value(arn: String, versionId: String, stage: String, deadline: Deadline) throws -> SecretValue? {
        let key = Key(arn: arn, versionId: versionId)
        if let known = values[key] { return known }
        guard let value = try read(arn, versionId: versionId, stage: nil, meaning: stage, deadline: deadline) else {
            return nil
        }
        remember(value, arn: arn, versionId: versionId)
        return value
    }

    /// The value a label points at now, of a secret whose versions the step has not described (a master secret).
    func value(secretId: String, stage: String, deadline: Deadline) throws -> SecretValue? {
        try read(secretId, versionId: nil, stage: stage, meaning: stage, deadline: deadline)
    }

    /// Keeps a value the handler itself stored (the pending version createSecret put).
    func remember(_ value: SecretValue, arn: String, versionId: String) {
        let key = Key(arn: arn, versionId: versionId)
        if values.updateValue(value, forKey: key) == nil { order.append(key) }
        while order.count > Self.capacity { values[order.removeFirst()] = nil }
    }

    private func read(_ secretId: String, versionId: String?, stage: String?, meaning: String, deadline: Deadline)
        throws -> SecretValue?
    {
        let response: SecretValueResponse
        do {
            response = try client.getSecretValue(
                secretId: secretId, versionId: versionId, versionStage: stage, deadline: deadline)
        } catch  where error.code == .resourceNotFound {
            return nil
        }
        guard let string = response.secretString else { throw RotationError.binarySecret(secretId: secretId) }
        return try SecretValue(secretString: string, stage: meaning, secretId: secretId)
    }
}
