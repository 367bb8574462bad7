import HTTPClient
import LambdaRuntime
import Logging
import SecretsManager

/// Runs one rotation step: the templates' preamble on every step, then `createSecret`, `setSecret`,
/// `testSecret` or `finishSecret`. Every step is idempotent; Secrets Manager retries whole rotations.
public final class RotationHandler: LambdaHandler {
    /// The client the handler uses; `rotator status` reads through it too.
    public let client: SecretsManagerClient
    let selector: TargetSelector
    let passwords: PasswordSource

    init(client: SecretsManagerClient, selector: TargetSelector, passwords: PasswordSource) {
        self.client = client
        self.selector = selector
        self.passwords = passwords
    }

    /// Lambda entry: parses the event and runs its step. Returns `null`, as the templates do.
    /// - Throws: `RotationError`, `SecretsManagerError` or a target's error; each reports its own errorType.
    public func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let parsed = try RotationEvent(parsing: event)
        // Stop working a little before Lambda does, so a "deadline reached" error can still be posted and logged
        // instead of the sandbox being killed mid-call ("Task timed out" with no reason).
        let deadline = Deadline(epochMilliseconds: context.deadline.epochMilliseconds - RotationHandler.reportingMarginMilliseconds)
        try run(parsed, deadline: deadline, logger: context.logger)
        return Array("null".utf8)
    }

    /// Time kept back from the Lambda deadline for reporting a failure.
    static let reportingMarginMilliseconds: Int64 = 500

    /// Runs one step of `event`.
    /// - Parameter allowNewToken: `rotator rotate` creates the pending version itself in `createSecret`, where
    ///   Secrets Manager would have created an empty one first; only then may the token be unknown.
    public func run(_ event: RotationEvent, deadline: Deadline, logger baseLogger: Logger, allowNewToken: Bool = false) throws {
        var logger = baseLogger
        logger[metadataKey: "step"] = "\(event.step.rawValue)"
        let secretId = event.secretId
        let token = event.clientRequestToken

        let description = try client.describeSecret(secretId: secretId, deadline: deadline)
        if description.rotationEnabled == false {
            logger.error("Secret \(secretId) is not enabled for rotation")
            throw RotationError.notEnabled(secretId: secretId)
        }
        let versions = description.versionIdsToStages
        if let stages = versions.first(where: { $0.versionId == token })?.stages {
            if stages.contains("AWSCURRENT") {
                logger.info("Secret version \(token) already set as AWSCURRENT for secret \(secretId).")
                return
            }
            guard stages.contains("AWSPENDING") else {
                let stale = versions.first(where: { $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT") })
                let error = RotationError.notPending(token: token, secretId: secretId, stalePending: stale?.versionId)
                logger.error("\(error.errorMessage)")
                throw error
            }
        } else if !(allowNewToken && event.step == .createSecret) {
            let error = RotationError.unknownVersion(token: token, secretId: secretId)
            logger.error("\(error.errorMessage)")
            throw error
        }

        let read: (String, String, String?) throws -> SecretValue? = { [client] otherSecretId, stage, versionId in
            try RotationHandler.readSecret(client, otherSecretId, stage: stage, versionId: versionId, deadline: deadline)
        }
        guard let current = try read(secretId, "AWSCURRENT", nil) else {
            throw RotationError.missingVersion(stage: "AWSCURRENT", secretId: secretId)
        }
        let target = try selector.target(for: current, secretId: secretId)
        logger[metadataKey: "target"] = "\(target.name)"
        let context = RotationContext(secretId: secretId, token: token, deadline: deadline, logger: logger, readSecret: read)

        switch event.step {
        case .createSecret:
            try createSecret(event, current: current, target: target, context: context, logger: logger)
        case .setSecret:
            try target.setSecret(context)
        case .testSecret:
            try target.testSecret(context)
        case .finishSecret:
            try finishSecret(event, versions: versions, target: target, context: context, logger: logger)
        }
    }

    /// Stores a new AWSPENDING value for the token, unless it already has one.
    private func createSecret(
        _ event: RotationEvent, current: SecretValue, target: any TargetService, context: RotationContext, logger: Logger
    ) throws {
        if try RotationHandler.readSecret(
            client, event.secretId, stage: "AWSPENDING", versionId: event.clientRequestToken, deadline: context.deadline) != nil
        {
            logger.info("createSecret: Successfully retrieved secret for \(event.secretId).")
            return
        }
        let password = try passwords.newPassword(for: target, deadline: context.deadline)
        let pending = try target.makePendingSecret(current: current, newPassword: password, context: context)
        _ = try client.putSecretValue(
            secretId: event.secretId, clientRequestToken: event.clientRequestToken, secretString: pending.secretString,
            versionStages: ["AWSPENDING"], rotationToken: event.rotationToken, deadline: context.deadline)
        logger.info("createSecret: Successfully put secret for ARN \(event.secretId) and version \(event.clientRequestToken).")
    }

    /// Moves AWSCURRENT to the token, taking it from the version that holds it. AWSPENDING is left alone:
    /// Secrets Manager clears it when the rotation ends.
    private func finishSecret(
        _ event: RotationEvent, versions: [(versionId: String, stages: [String])], target: any TargetService,
        context: RotationContext, logger: Logger
    ) throws {
        let current = versions.first(where: { $0.stages.contains("AWSCURRENT") })?.versionId
        if current == event.clientRequestToken {
            logger.info("finishSecret: Version \(event.clientRequestToken) already marked as AWSCURRENT for \(event.secretId)")
            return
        }
        try target.finishSecret(context)
        try client.updateSecretVersionStage(
            secretId: event.secretId, versionStage: "AWSCURRENT", moveToVersionId: event.clientRequestToken,
            removeFromVersionId: current, deadline: context.deadline)
        logger.info("finishSecret: Successfully set AWSCURRENT stage to version \(event.clientRequestToken) for secret \(event.secretId).")
    }

    /// A version's value, or `nil` when it has none (ResourceNotFoundException).
    static func readSecret(
        _ client: SecretsManagerClient, _ secretId: String, stage: String, versionId: String?, deadline: Deadline
    ) throws -> SecretValue? {
        let response: SecretValueResponse
        do {
            response = try client.getSecretValue(secretId: secretId, versionId: versionId, versionStage: stage, deadline: deadline)
        } catch where error.code == .resourceNotFound {
            return nil
        }
        guard let string = response.secretString else { throw RotationError.binarySecret(secretId: secretId) }
        return SecretValue(secretString: string)
    }
}
