import SecretsManager

/// The templates' preamble, as a decision from the step's event and DescribeSecret alone (no I/O): whether the step
/// runs, succeeds doing nothing, or is refused, and with which error.
enum Preamble: Equatable {
    /// The token is this rotation's AWSPENDING version (or, for `rotator rotate`'s createSecret, a new one): run
    /// the step.
    case proceed
    /// The token is already AWSCURRENT: the step succeeds doing nothing (finishSecret runs its target's hook again).
    case alreadyCurrent
    /// The step is refused: another service manages the secret, rotation off, a token the secret does not know, or
    /// one that is not AWSPENDING.
    case refuse(RotationError)

    /// - Parameter allowNewToken: `rotator rotate` creates the pending version itself in createSecret, where
    ///   Secrets Manager would have created an empty one first; only then may the token be unknown.
    static func decide(_ event: RotationEvent, description: SecretDescription, allowNewToken: Bool = false) -> Preamble
    {
        let secretId = event.secretId
        let token = event.clientRequestToken
        // A managed secret is never written: RDS rotates its master secrets itself
        // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html), and a second rotation
        // would change the password behind RDS's back.
        if let service = managingService(description) {
            return .refuse(.managedByService(secretId: secretId, service: service))
        }
        // "null/omitted if never configured": only an explicit false refuses, as the templates' `if not
        // metadata['RotationEnabled']` does for the invocations Secrets Manager makes.
        if description.rotationEnabled == false { return .refuse(.notEnabled(secretId: secretId)) }
        let versions = description.versionIdsToStages
        guard let stages = versions.first(where: { $0.versionId == token })?.stages else {
            return allowNewToken && event.step == .createSecret
                ? .proceed : .refuse(.unknownVersion(token: token, secretId: secretId))
        }
        if stages.contains("AWSCURRENT") { return .alreadyCurrent }
        guard stages.contains("AWSPENDING") else {
            let stale = versions.first { $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT") }
            return .refuse(.notPending(token: token, secretId: secretId, stalePending: stale?.versionId))
        }
        return .proceed
    }

    /// The service that manages the secret: `OwningService`, or RDS for a secret named `rds!…` (the prefix RDS
    /// gives the secrets it makes, which no one else may use).
    static func managingService(_ description: SecretDescription) -> String? {
        if let owner = description.owningService, !owner.isEmpty { return owner }
        return description.name.hasPrefix("rds!") ? "rds" : nil
    }
}
