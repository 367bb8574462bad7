import JSON
import LambdaRuntime
import SecretsManager

/// What `rotator repair` found and would do for a secret whose rotation is stuck or half done.
public struct RepairPlan: Sendable {
    public enum Action: String, Sendable {
        /// No rotation is stuck.
        case nothing
        /// Only the pending credential works (the target was changed, the labels were not): move AWSCURRENT to it,
        /// as the rotation's finishSecret step would.
        case finish
        /// The pending credential works and so does the current one (alternating users, dual passwords, or a
        /// target that cannot tell): run the rotation's remaining steps with its token.
        case resume
        /// The current credential works and the pending one never reached the target: take AWSPENDING off.
        case clear
        /// No credential can be shown to work: nothing is safe to do automatically.
        case refuse
    }

    public var secretId: String
    public var action: Action
    /// The version AWSPENDING is on, when stuck.
    public var pendingVersion: String?
    public var currentVersion: String?
    /// One line per credential tried.
    public var findings: [String]
    /// Why this action, and what it does.
    public var reason: String

    public var lines: [String] {
        ["Repair plan for \(secretId):"] + findings.map { "  \($0)" } + ["  Action: \(action.rawValue) — \(reason)"]
    }

    public var json: String {
        var object = JSONObject([
            "secretId": .string(secretId), "action": .string(action.rawValue), "reason": .string(reason),
            "findings": .array(findings.map(JSONValue.string)),
        ])
        if let pendingVersion { object["pendingVersion"] = .string(pendingVersion) }
        if let currentVersion { object["currentVersion"] = .string(currentVersion) }
        return object.serialized
    }
}

extension LocalRotation {
    /// Finds which of the secret's credentials the target accepts, and the one safe action. Changes nothing.
    public func planRepair(secretId: String) throws -> RepairPlan {
        let deadline = Deadline.after(milliseconds: 120_000)
        let description = try handler.client.describeSecret(secretId: secretId, deadline: deadline)
        let currentVersion = description.versionId(withStage: "AWSCURRENT")
        let pendingVersion = description.versionIdsToStages.first {
            $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT")
        }?.versionId
        var plan = RepairPlan(
            secretId: secretId, action: .nothing, pendingVersion: pendingVersion, currentVersion: currentVersion,
            findings: [], reason: "no rotation is stuck, and the AWSCURRENT credential works")
        guard let currentVersion else {
            plan.action = .refuse
            plan.reason = "no version has AWSCURRENT; store a working value first"
            return plan
        }
        let event = RotationEvent(
            step: .finishSecret, secretId: secretId, clientRequestToken: pendingVersion ?? currentVersion)
        let context = handler.context(
            event, arn: description.arn, labels: RotationHandler.Labels(description), deadline: deadline, logger: logger
        )
        let current = try context.current()
        let target = try handler.selector.target(for: current, secretId: secretId)
        let currentCheck = target.verifyCredential(current, label: "AWSCURRENT", context: context)
        plan.findings.append("AWSCURRENT (version \(currentVersion)): \(Self.describe(currentCheck, target))")
        let previousCheck = (try? context.previous()).flatMap { $0 }.map {
            target.verifyCredential($0, label: "AWSPREVIOUS", context: context)
        }
        guard let pendingVersion else {
            if let previousCheck { plan.findings.append("AWSPREVIOUS: \(Self.describe(previousCheck, target))") }
            if case .fails = currentCheck {
                // Not a stuck rotation but a changed password: only a person knows which value is meant.
                plan.action = .refuse
                plan.reason =
                    "no rotation is stuck, but the AWSCURRENT credential does not work"
                    + (previousCheck == .works
                        ? "; the AWSPREVIOUS one does, so the password was changed back where it is used: set it to "
                            + "the AWSCURRENT value there, or move AWSCURRENT back to the previous version by hand"
                        : "; set the password where it is used to the AWSCURRENT value, then run repair again")
            } else if case .cannotTell = currentCheck {
                plan.reason = "no rotation is stuck"
            }
            return plan
        }
        let pending = try handler.reader.value(
            arn: description.arn, versionId: pendingVersion, stage: "AWSPENDING", deadline: deadline)
        guard let pending else {
            plan.findings.append("AWSPENDING (version \(pendingVersion)): no value (createSecret never stored one)")
            if case .fails = currentCheck {
                plan.action = .refuse
                plan.reason =
                    "the pending version has no value and the current credential does not work: set the "
                    + "password where it is used to the AWSCURRENT value by hand, then run repair again"
            } else {
                plan.action = .clear
                plan.reason =
                    "nothing reached the target; take AWSPENDING off version \(pendingVersion) so that the "
                    + "next rotation can start"
            }
            return plan
        }
        let pendingCheck = target.verifyCredential(pending, label: "AWSPENDING", context: context)
        plan.findings.append("AWSPENDING (version \(pendingVersion)): \(Self.describe(pendingCheck, target))")
        if let previousCheck {
            plan.findings.append("AWSPREVIOUS: \(Self.describe(previousCheck, target))")
        }
        switch (currentCheck, pendingCheck) {
        case (.works, .works), (.cannotTell, .cannotTell):
            plan.action = .resume
            plan.reason =
                "finish the rotation with its own token (testSecret, then finishSecret moves AWSCURRENT to "
                + "version \(pendingVersion)); the current credential keeps working meanwhile"
        case (_, .works):
            plan.action = .finish
            plan.reason =
                "only the pending credential works (the target already has it): move AWSCURRENT to version "
                + "\(pendingVersion), as finishSecret would"
        case (.works, .fails):
            plan.action = .clear
            plan.reason =
                "the current credential works and the pending one never reached the target: take AWSPENDING "
                + "off version \(pendingVersion); the next rotation starts afresh"
        default:
            plan.action = .refuse
            plan.reason =
                "neither the current nor the pending credential can be shown to work; nothing is changed. "
                + (previousCheck == .works
                    ? "The AWSPREVIOUS one works: set the password where it is used to the AWSCURRENT value by hand, "
                    : "Set the password where it is used to one of them by hand, ")
                + "then run repair again"
        }
        return plan
    }

    /// Carries out `plan`, then checks the result: no AWSPENDING left on another version, and an AWSCURRENT
    /// credential that works (where the target can tell).
    /// - Returns: what was done.
    public func applyRepair(_ plan: RepairPlan, stepTimeoutSeconds: Int = 60) throws -> [String] {
        let deadline = Deadline.after(milliseconds: Int64(stepTimeoutSeconds) * 1_000)
        var done: [String] = []
        switch plan.action {
        case .nothing:
            return ["Nothing to do."]
        case .refuse:
            throw RotationError.target(TargetErrorCode("RepairRefused"), message: plan.reason)
        case .clear:
            guard let pending = plan.pendingVersion else { return done }
            try handler.client.updateSecretVersionStage(
                secretId: plan.secretId, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: pending,
                deadline: deadline)
            done.append("Took AWSPENDING off version \(pending).")
        case .finish:
            guard let pending = plan.pendingVersion else { return done }
            let event = RotationEvent(step: .finishSecret, secretId: plan.secretId, clientRequestToken: pending)
            try handler.run(event, deadline: deadline, logger: logger)
            done.append("Ran finishSecret for version \(pending): AWSCURRENT moved to it.")
        case .resume:
            guard let pending = plan.pendingVersion else { return done }
            let version = try rotate(secretId: plan.secretId, token: pending, stepTimeoutSeconds: stepTimeoutSeconds)
            done.append("Resumed the rotation: AWSCURRENT is now version \(version).")
        }
        let after = try planRepair(secretId: plan.secretId)
        guard after.action == .nothing else {
            throw RotationError.target(
                TargetErrorCode("RepairIncomplete"),
                message: "after the repair the secret still needs one: \(after.reason)")
        }
        done.append("The secret is no longer stuck.")
        return done
    }

    private static func describe(_ check: CredentialCheck, _ target: any TargetService) -> String {
        switch check {
        case .works: "works"
        case .fails(let reason): "does not work (\(reason))"
        case .cannotTell: "cannot tell (the \(target.name) target does not know where the value is used)"
        }
    }
}
