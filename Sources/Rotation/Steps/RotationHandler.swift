import LambdaRuntime
import Logging
import SecretsManager

/// Runs one rotation step: the templates' preamble on every step, then `createSecret`, `setSecret`,
/// `testSecret` or `finishSecret`. Every step is idempotent; Secrets Manager retries whole rotations.
public final class RotationHandler: LambdaHandler {
    /// The client the handler uses; `rotator status` reads through it too.
    public let client: any SecretsManagerService
    package let selector: TargetSelector
    package let passwords: PasswordSource
    /// Secret values, each version read once for the life of the sandbox.
    package let reader: SecretReader
    /// The outcome line (and metrics) of every step, in Lambda; `nil` on the command line.
    let signals: StepSignals?

    init(
        client: any SecretsManagerService, selector: TargetSelector, passwords: PasswordSource,
        signals: StepSignals? = nil
    ) {
        self.client = client
        self.selector = selector
        self.passwords = passwords
        self.reader = SecretReader(client: client)
        self.signals = signals
    }

    /// Lambda entry: parses the event and runs its step, then writes the step's outcome line. Returns `null`, as
    /// the templates do.
    /// - Throws: `RotationError`, `SecretsManagerError` or a target's error; each reports its own errorType.
    public func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = MonotonicClock.nanoseconds()
        let chosen = ChosenTarget()
        var parsed: RotationEvent?
        func outcome(_ errorType: String?) {
            signals?.record(
                StepOutcome(
                    step: parsed?.step.rawValue ?? "unknown", secretId: parsed?.secretId, target: chosen.name,
                    strategy: chosen.strategy,
                    durationMilliseconds: Double(MonotonicClock.nanoseconds() - started) / 1_000_000,
                    errorType: errorType),
                requestID: context.requestID)
        }
        do {
            parsed = try RotationEvent(parsing: event)
            // Stop working a little before Lambda does, so a "deadline reached" error can still be posted and logged
            // instead of the sandbox being killed mid-call ("Task timed out" with no reason).
            let deadline = Deadline(
                epochMilliseconds: context.deadline.epochMilliseconds - RotationHandler.reportingMarginMilliseconds)
            if let parsed { try run(parsed, deadline: deadline, logger: context.logger, chosen: chosen) }
        } catch {
            outcome(ErrorReport(error).errorType)
            throw error
        }
        outcome(nil)
        return Array("null".utf8)
    }

    /// The target and strategy a step chose, once it has read the secret: for the outcome line.
    final class ChosenTarget {
        var name: String?
        var strategy: String?
    }

    /// Time kept back from the Lambda deadline for reporting a failure.
    static let reportingMarginMilliseconds: Int64 = 500

    /// How many passwords createSecret draws before giving up on one whose stored form reads back unchanged.
    static let maximumPasswordDraws = 8

    /// Runs one step of `event`.
    /// - Parameter allowNewToken: `rotator rotate` creates the pending version itself in `createSecret`, where
    ///   Secrets Manager would have created an empty one first; only then may the token be unknown.
    public func run(_ event: RotationEvent, deadline: Deadline, logger baseLogger: Logger, allowNewToken: Bool = false)
        throws
    {
        try run(event, deadline: deadline, logger: baseLogger, allowNewToken: allowNewToken, chosen: ChosenTarget())
    }

    private func run(
        _ event: RotationEvent, deadline: Deadline, logger baseLogger: Logger, allowNewToken: Bool = false,
        chosen: ChosenTarget
    ) throws {
        var logger = baseLogger
        logger[metadataKey: "step"] = "\(event.step.rawValue)"
        let secretId = event.secretId
        let token = event.clientRequestToken

        let description = try client.describeSecret(secretId: secretId, deadline: deadline)
        switch Preamble.decide(event, description: description, allowNewToken: allowNewToken) {
        case .refuse(let error):
            logger.error("\(error.errorMessage)")
            throw error
        case .alreadyCurrent:
            logger.info("Secret version \(token) already set as AWSCURRENT for secret \(secretId).")
            if event.step == .finishSecret {
                // A crash between moving the label and the target's hook is healed here, on Secrets Manager's retry.
                let prepared = try prepare(
                    event, description: description, deadline: deadline, logger: logger, chosen: chosen)
                try prepared.target.didFinishSecret(prepared.context)
            }
            return
        case .proceed:
            break
        }

        let (target, context, current) = try prepare(
            event, description: description, deadline: deadline, logger: logger, chosen: chosen)
        logger = context.logger
        switch event.step {
        case .createSecret:
            try createSecret(
                event, arn: description.arn, current: current, target: target, context: context, logger: logger)
        case .setSecret:
            try target.setSecret(context)
        case .testSecret:
            try target.testSecret(context)
        case .finishSecret:
            try finishSecret(event, description: description, target: target, context: context, logger: logger)
        }
    }

    /// Reads the current value, picks the target for it and lets the target check it.
    private func prepare(
        _ event: RotationEvent, description: SecretDescription, deadline: Deadline, logger stepLogger: Logger,
        chosen: ChosenTarget
    )
        throws -> (target: any TargetService, context: RotationContext, current: SecretValue)
    {
        var logger = stepLogger
        let labels = Labels(description)
        let unchosen = context(event, arn: description.arn, labels: labels, deadline: deadline, logger: logger)
        let current = try unchosen.current()
        let target = try selector.target(for: current, secretId: event.secretId)
        chosen.name = target.name
        chosen.strategy = target.strategyName(for: current)
        logger[metadataKey: "target"] = "\(target.name)"
        let context = context(event, arn: description.arn, labels: labels, deadline: deadline, logger: logger)
        try target.checkCurrent(current, context: context)
        return (target, context, current)
    }

    /// Which version holds each label, as the step's DescribeSecret says (or as finishSecret made it).
    package struct Labels {
        package var current: String?
        package var previous: String?

        package init(current: String?, previous: String?) {
            self.current = current
            self.previous = previous
        }

        package init(_ description: SecretDescription) {
            self.init(
                current: description.versionId(withStage: "AWSCURRENT"),
                previous: description.versionId(withStage: "AWSPREVIOUS"))
        }
    }

    /// A context that reads this secret's versions by the ids `labels` gives (each once per sandbox), and other
    /// secrets (a master secret) by label.
    package func context(_ event: RotationEvent, arn: String, labels: Labels, deadline: Deadline, logger: Logger)
        -> RotationContext
    {
        let ownIds = [event.secretId, arn]
        let token = event.clientRequestToken
        return RotationContext(
            secretId: event.secretId, token: token, deadline: deadline, logger: logger,
            listVersions: { [client] in
                try client.listSecretVersionIds(secretId: arn, includeDeprecated: true, deadline: deadline)
                    .map(\.versionId)
            },
            readTags: { [client] secretId in try client.describeSecret(secretId: secretId, deadline: deadline).tags }
        ) { [reader] secretId, stage, versionId in
            guard ownIds.contains(secretId) else {
                return try reader.value(secretId: secretId, stage: stage, deadline: deadline)
            }
            let id: String?
            switch stage {
            case "AWSPENDING": id = versionId ?? token
            case "AWSCURRENT": id = versionId ?? labels.current
            case "AWSPREVIOUS": id = versionId ?? labels.previous
            default: return try reader.value(secretId: secretId, stage: stage, deadline: deadline)
            }
            guard let id else { return nil }  // No version holds the label.
            return try reader.value(arn: arn, versionId: id, stage: stage, deadline: deadline)
        }
    }

    /// Stores a new AWSPENDING value for the token, unless it already has one.
    private func createSecret(
        _ event: RotationEvent, arn: String, current: SecretValue, target: any TargetService, context: RotationContext,
        logger: Logger
    ) throws {
        if try reader.value(
            arn: arn, versionId: event.clientRequestToken, stage: "AWSPENDING", deadline: context.deadline) != nil
        {
            logger.info("createSecret: Successfully retrieved secret for \(event.secretId).")
            return
        }
        let pending = try makePending(current: current, target: target, context: context)
        _ = try client.putSecretValue(
            secretId: event.secretId, clientRequestToken: event.clientRequestToken, secretString: pending.secretString,
            versionStages: ["AWSPENDING"], rotationToken: event.rotationToken, deadline: context.deadline)
        reader.remember(pending, arn: arn, versionId: event.clientRequestToken)
        logger.info(
            "createSecret: Successfully put secret for ARN \(event.secretId) and version \(event.clientRequestToken).")
    }

    /// The pending value, with a password drawn again while its stored form would not read back as the same
    /// value (a bare password starting with `{` or `[` looks like broken JSON, and would stop the next rotation).
    private func makePending(current: SecretValue, target: any TargetService, context: RotationContext) throws
        -> SecretValue
    {
        if let issued = try target.issuePendingSecret(current: current, context: context) {
            guard RotationHandler.readsBack(issued) else {
                throw RotationError.invalidSecret(
                    "The value target \(target.name) issued for secret \(context.secretId) does not read back unchanged."
                )
            }
            return issued
        }
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
        _ event: RotationEvent, description: SecretDescription, target: any TargetService, context: RotationContext,
        logger: Logger
    ) throws {
        // AWSCURRENT must never move to a version without a value (createSecret failed or never ran), nor to a
        // credential that does not work where it is used.
        _ = try context.pending()
        try target.provePending(context)
        let current = description.versionId(withStage: "AWSCURRENT")
        do throws(SecretsManagerError) {
            try client.updateSecretVersionStage(
                secretId: event.secretId, versionStage: "AWSCURRENT", moveToVersionId: event.clientRequestToken,
                removeFromVersionId: current, deadline: context.deadline)
            logger.info(
                "finishSecret: Successfully set AWSCURRENT stage to version \(event.clientRequestToken) for secret \(event.secretId)."
            )
        } catch {
            // The move may have happened with its response lost; the client's retry then names a version that no
            // longer holds AWSCURRENT and is refused. The labels, read again, say whether the rotation happened.
            guard labelIsOnToken(event, deadline: context.deadline) else { throw error }
            logger.info(
                "finishSecret: AWSCURRENT is on version \(event.clientRequestToken) of secret \(event.secretId) already (an earlier attempt's response was lost)."
            )
        }
        // The labels as the move left them: AWSPREVIOUS is the version that was current.
        let moved = Labels(current: event.clientRequestToken, previous: current)
        try target.didFinishSecret(
            self.context(event, arn: description.arn, labels: moved, deadline: context.deadline, logger: context.logger)
        )
    }

    private func labelIsOnToken(_ event: RotationEvent, deadline: Deadline) -> Bool {
        guard let description = try? client.describeSecret(secretId: event.secretId, deadline: deadline) else {
            return false
        }
        return description.stages(ofVersion: event.clientRequestToken)?.contains("AWSCURRENT") == true
    }
}
