import LambdaRuntime
import Logging
import Rotation
import SecretsManager

/// The function run from a laptop: one event in-process, a whole rotation, or a secret's status.
package struct LocalRotation {
    package let handler: RotationHandler
    let logger: Logger
    /// How `doctor` reads the deployed rotation function; `nil` skips that check.
    let functions: (any DeployedFunctionReading)?

    /// - Throws: `ConfigurationError` when the environment is unusable (no region, bad policy, …).
    package init(environment: [String: String], targets: [TargetChoice], logger: Logger) throws {
        self.handler = try RotationLambda.makeHandler(environment: environment, targets: targets, logger: logger)
        self.logger = logger
        functions = (handler.client as? SecretsManagerClient).flatMap { client in
            try? LambdaFunctionReader(environment: environment, configuration: client.configuration)
        }
    }

    /// The commands on a handler of the caller's (one on an in-memory Secrets Manager, in tests).
    package init(handler: RotationHandler, logger: Logger, functions: (any DeployedFunctionReading)? = nil) {
        self.handler = handler
        self.logger = logger
        self.functions = functions
    }

    /// Runs one event exactly as Lambda would, with a deadline `timeoutSeconds` away.
    package func invoke(event: [UInt8], timeoutSeconds: Int) throws -> [UInt8] {
        let context = LambdaContext(
            requestID: "local-" + SecureRandom.uuid(), deadline: .after(milliseconds: Int64(timeoutSeconds) * 1_000),
            invokedFunctionARN: "", functionName: "rotator", logger: logger)
        return try handler.handle(event, context: context)
    }

    /// Plays Secrets Manager's part in a rotation and runs the four steps in order.
    ///
    /// Secrets Manager starts a rotation by creating an empty AWSPENDING version under a new token; the public
    /// API cannot create an empty version, so here `createSecret` is allowed to meet an unknown token and creates
    /// the AWSPENDING version itself with PutSecretValue. If an earlier rotation left AWSPENDING on another
    /// version, that rotation is resumed with its token, as Secrets Manager would.
    /// - Returns: the new AWSCURRENT version id.
    package func rotate(secretId: String, token requestedToken: String?, stepTimeoutSeconds: Int) throws -> String {
        let before = try status(secretId: secretId, now: Double(Deadline.now().epochMilliseconds) / 1_000)
        let token: String
        if let stale = before.pendingElsewhere {
            if let requestedToken, requestedToken != stale {
                throw RotationError.rotationInProgress(
                    secretId: secretId, pendingVersion: stale, requestedToken: requestedToken)
            }
            logger.info("Resuming the unfinished rotation of version \(stale).")
            token = stale
        } else {
            token = requestedToken ?? SecureRandom.uuid()
        }
        for step in RotationStep.allCases {
            let event = RotationEvent(step: step, secretId: secretId, clientRequestToken: token)
            try handler.run(
                event, deadline: .after(milliseconds: Int64(stepTimeoutSeconds) * 1_000), logger: logger,
                allowNewToken: true)
        }
        return token
    }

    /// The secret's versions and labels (never values), and its state at `now` (epoch seconds).
    package func status(
        secretId: String, now: Double, stuckAfterSeconds: Double = FleetEntry.stuckAfterSeconds
    ) throws -> SecretStatus {
        let deadline = Deadline.after(milliseconds: 60_000)
        let description = try handler.client.describeSecret(secretId: secretId, deadline: deadline)
        let listed =
            (try? handler.client.listSecretVersionIds(secretId: secretId, includeDeprecated: false, deadline: deadline))
            ?? []
        let versions = description.versionIdsToStages.map { entry in
            SecretStatus.Version(
                versionId: entry.versionId, stages: entry.stages,
                createdDate: listed.first(where: { $0.versionId == entry.versionId })?.createdDate)
        }
        let asListed = SecretListEntry(
            arn: description.arn, name: description.name, rotationEnabled: description.rotationEnabled,
            rotationLambdaARN: description.rotationLambdaARN, rotationDays: description.rotationDays,
            scheduleExpression: description.scheduleExpression, lastRotatedDate: description.lastRotatedDate,
            nextRotationDate: description.nextRotationDate, versionIdsToStages: description.versionIdsToStages)
        let pendingCreated = FleetEntry.pendingVersion(of: asListed).flatMap { pending in
            versions.first(where: { $0.versionId == pending })?.createdDate
        }
        return SecretStatus(
            secretId: secretId, arn: description.arn, name: description.name,
            rotationEnabled: description.rotationEnabled,
            lastRotatedDate: description.lastRotatedDate, nextRotationDate: description.nextRotationDate,
            versions: versions,
            state: FleetEntry.state(
                of: asListed, pendingCreated: pendingCreated, now: now, stuckAfterSeconds: stuckAfterSeconds))
    }
}
