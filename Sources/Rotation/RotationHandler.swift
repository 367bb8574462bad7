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

    /// How many passwords createSecret draws before giving up on one whose stored form reads back unchanged.
    static let maximumPasswordDraws = 8

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
                if event.step == .finishSecret {
                    // A crash between moving the label and the target's hook is healed here, on Secrets Manager's retry.
                    let prepared = try prepare(event, deadline: deadline, logger: logger)
                    try prepared.target.didFinishSecret(prepared.context)
                }
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

        let (target, context, current) = try prepare(event, deadline: deadline, logger: logger)
        logger = context.logger
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

    /// Reads the current value, picks the target for it and lets the target check it.
    private func prepare(_ event: RotationEvent, deadline: Deadline, logger stepLogger: Logger) throws
        -> (target: any TargetService, context: RotationContext, current: SecretValue)
    {
        let read: (String, String, String?) throws -> SecretValue? = { [client] otherSecretId, stage, versionId in
            try RotationHandler.readSecret(client, otherSecretId, stage: stage, versionId: versionId, deadline: deadline)
        }
        guard let current = try read(event.secretId, "AWSCURRENT", nil) else {
            throw RotationError.missingVersion(stage: "AWSCURRENT", secretId: event.secretId)
        }
        let target = try selector.target(for: current, secretId: event.secretId)
        var logger = stepLogger
        logger[metadataKey: "target"] = "\(target.name)"
        let context = RotationContext(
            secretId: event.secretId, token: event.clientRequestToken, deadline: deadline, logger: logger, readSecret: read)
        try target.checkCurrent(current, context: context)
        return (target, context, current)
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
        let pending = try makePending(current: current, target: target, context: context)
        _ = try client.putSecretValue(
            secretId: event.secretId, clientRequestToken: event.clientRequestToken, secretString: pending.secretString,
            versionStages: ["AWSPENDING"], rotationToken: event.rotationToken, deadline: context.deadline)
        logger.info("createSecret: Successfully put secret for ARN \(event.secretId) and version \(event.clientRequestToken).")
    }

    /// The pending value, with a password drawn again while its stored form would not read back as the same
    /// value (a bare password starting with `{` or `[` looks like broken JSON, and would stop the next rotation).
    private func makePending(current: SecretValue, target: any TargetService, context: RotationContext) throws -> SecretValue {
        for _ in 0..<RotationHandler.maximumPasswordDraws {
            let password = try passwords.newPassword(for: target, deadline: context.deadline)
            let pending = try target.makePendingSecret(current: current, newPassword: password, context: context)
            if RotationHandler.readsBack(pending) { return pending }
        }
        throw RotationError.passwordPolicyViolated(
            "Every new password for secret \(context.secretId) made a value that does not read back unchanged (a plain "
                + "password must not start with { or [); widen the password policy.")
    }

    /// Whether `value`'s stored form parses back as the same value.
    static func readsBack(_ value: SecretValue) -> Bool {
        guard let parsed = try? SecretValue(secretString: value.secretString) else { return false }
        return parsed == value
    }

    /// Moves AWSCURRENT to the token, taking it from the version that holds it, then runs the target's
    /// `didFinishSecret`. AWSPENDING is left alone: Secrets Manager clears it when the rotation ends.
    private func finishSecret(
        _ event: RotationEvent, versions: [(versionId: String, stages: [String])], target: any TargetService,
        context: RotationContext, logger: Logger
    ) throws {
        // AWSCURRENT must never move to a version without a value (createSecret failed or never ran), nor to a
        // credential that does not work where it is used.
        _ = try context.pending()
        try target.provePending(context)
        let current = versions.first(where: { $0.stages.contains("AWSCURRENT") })?.versionId
        do throws(SecretsManagerError) {
            try client.updateSecretVersionStage(
                secretId: event.secretId, versionStage: "AWSCURRENT", moveToVersionId: event.clientRequestToken,
                removeFromVersionId: current, deadline: context.deadline)
            logger.info("finishSecret: Successfully set AWSCURRENT stage to version \(event.clientRequestToken) for secret \(event.secretId).")
        } catch {
            // The move may have happened with its response lost; the client's retry then names a version that no
            // longer holds AWSCURRENT and is refused. The labels, read again, say whether the rotation happened.
            guard labelIsOnToken(event, deadline: context.deadline) else { throw error }
            logger.info("finishSecret: AWSCURRENT is on version \(event.clientRequestToken) of secret \(event.secretId) already (an earlier attempt's response was lost).")
        }
        try target.didFinishSecret(context)
    }

    private func labelIsOnToken(_ event: RotationEvent, deadline: Deadline) -> Bool {
        guard let description = try? client.describeSecret(secretId: event.secretId, deadline: deadline) else { return false }
        return description.stages(ofVersion: event.clientRequestToken)?.contains("AWSCURRENT") == true
    }

    /// A version's value, or `nil` when it has none (ResourceNotFoundException).
    /// - Throws: `RotationError.invalidSecret` for a value that looks like JSON but cannot be read safely.
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
        return try SecretValue(secretString: string, stage: stage, secretId: secretId)
    }
}
