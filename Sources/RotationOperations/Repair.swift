import JSON
import LambdaRuntime
import Rotation
import SecretsManager

/// What `rotator repair` found and would do for a secret whose rotation is stuck or half done.
package struct RepairPlan: Sendable {
    package enum Action: String, Sendable {
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
        /// No labelled credential works, but an unlabelled version's does (the target holds it): make that version
        /// AWSCURRENT and take AWSPENDING off.
        case restore
        /// No credential can be shown to work, a rotation may still be running, or the target cannot be reached:
        /// nothing is safe to do automatically.
        case refuse
    }

    package var secretId: String
    package var action: Action
    /// The version AWSPENDING is on, when stuck.
    package var pendingVersion: String?
    package var currentVersion: String?
    /// For `restore`: the unlabelled version whose credential works.
    package var restoreVersion: String?
    /// One line per credential tried.
    package var findings: [String]
    /// Why this action, and what it does.
    package var reason: String

    package var lines: [String] {
        ["Repair plan for \(secretId):"] + findings.map { "  \($0)" } + ["  Action: \(action.rawValue) — \(reason)"]
    }

    /// The plan as one JSON document; `applied` says whether `--apply` carried it out, `done` what that did.
    package func json(applied: Bool, done: [String] = []) -> String {
        var object = JSONObject([
            "secretId": .string(secretId), "action": .string(action.rawValue), "reason": .string(reason),
            "findings": .array(findings.map(JSONValue.string)), "applied": .bool(applied),
            "done": .array(done.map(JSONValue.string)),
        ])
        if let pendingVersion { object["pendingVersion"] = .string(pendingVersion) }
        if let currentVersion { object["currentVersion"] = .string(currentVersion) }
        if let restoreVersion { object["restoreVersion"] = .string(restoreVersion) }
        return object.serialized
    }
}

extension LocalRotation {
    /// How long a rotation step may still be running: Lambda's longest timeout
    /// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
    package static let longestStepSeconds: Double = 15 * 60

    /// Finds which of the secret's credentials the target accepts, and the one safe action. Changes nothing.
    /// - Parameter force: act on an AWSPENDING younger than `longestStepSeconds` (the operator knows no rotation is
    ///   running); without it such a secret is refused, since a step may still be on its way.
    package func planRepair(secretId: String, force: Bool = false) throws -> RepairPlan {
        let deadline = Deadline.after(milliseconds: 120_000)
        let description = try handler.client.describeSecret(secretId: secretId, deadline: deadline)
        let currentVersion = description.versionId(withStage: "AWSCURRENT")
        let pendingVersion = description.versionIdsToStages.first {
            $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT")
        }?.versionId
        var plan = RepairPlan(
            secretId: secretId, action: .nothing, pendingVersion: pendingVersion, currentVersion: currentVersion,
            restoreVersion: nil, findings: [], reason: "no rotation is stuck, and the AWSCURRENT credential works")
        guard let currentVersion else {
            plan.action = .refuse
            plan.reason = "no version has AWSCURRENT; store a working value first"
            return plan
        }
        let versions = try handler.client.listSecretVersionIds(
            secretId: description.arn, includeDeprecated: true, deadline: deadline)
        if let pendingVersion, !force,
            let age = Self.ageSeconds(of: pendingVersion, in: versions), age < Self.longestStepSeconds
        {
            plan.action = .refuse
            plan.reason =
                "AWSPENDING is on version \(pendingVersion), created \(Int(age / 60)) min ago: a rotation step may "
                + "still be running (a Lambda invocation lasts up to 15 minutes), and acting now could undo it. "
                + "Run repair again after that, or with --force if no rotation is running; nothing is changed"
            return plan
        }
        let event = RotationEvent(
            step: .finishSecret, secretId: secretId, clientRequestToken: pendingVersion ?? currentVersion)
        let context = handler.context(
            event, arn: description.arn, labels: RotationHandler.Labels(description), deadline: deadline, logger: logger
        )
        let current = try context.current()
        let target = try handler.selector.target(for: current, secretId: secretId)
        let currentCheck = target.checkCredential(current, label: "AWSCURRENT", context: context)
        plan.findings.append("AWSCURRENT (version \(currentVersion)): \(Self.describe(currentCheck, target))")
        let previousCheck = (try? context.previous()).flatMap { $0 }.map {
            target.checkCredential($0, label: "AWSPREVIOUS", context: context)
        }
        var pendingCheck: CredentialCheck?
        if let pendingVersion {
            let pending = try handler.reader.value(
                arn: description.arn, versionId: pendingVersion, stage: "AWSPENDING", deadline: deadline)
            if let pending {
                pendingCheck = target.checkCredential(pending, label: "AWSPENDING", context: context)
                plan.findings.append(
                    "AWSPENDING (version \(pendingVersion)): \(Self.describe(pendingCheck ?? .cannotTell, target))")
            } else {
                plan.findings.append("AWSPENDING (version \(pendingVersion)): no value (createSecret never stored one)")
            }
        }
        if let previousCheck { plan.findings.append("AWSPREVIOUS: \(Self.describe(previousCheck, target))") }
        // An unreachable target is "cannot tell", never "does not work": no plan may rest on it.
        for check in [currentCheck, pendingCheck].compactMap({ $0 }) {
            if case .unreachable(let reason) = check {
                plan.action = .refuse
                plan.reason =
                    "the \(target.name) target could not be reached (\(reason)), so whether the credentials work "
                    + "cannot be told; nothing is changed. Fix the network problem (run repair where the function "
                    + "runs, with its network), then run repair again"
                return plan
            }
        }
        switch (currentCheck, pendingCheck) {
        case (.works, nil), (.cannotTell, nil):
            if pendingVersion != nil {
                plan.action = .clear
                plan.reason =
                    "nothing reached the target; take AWSPENDING off version \(pendingVersion ?? "") so that the "
                    + "next rotation can start"
            } else if currentCheck == .cannotTell {
                plan.reason = "no rotation is stuck"
            }
        case (.works, .works?), (.cannotTell, .cannotTell?):
            plan.action = .resume
            plan.reason =
                "finish the rotation with its own token (testSecret, then finishSecret moves AWSCURRENT to "
                + "version \(pendingVersion ?? "")); the current credential keeps working meanwhile"
        case (_, .works?):
            plan.action = .finish
            plan.reason =
                "only the pending credential works (the target already has it): move AWSCURRENT to version "
                + "\(pendingVersion ?? ""), as finishSecret would"
        case (.works, .fails?):
            plan.action = .clear
            plan.reason =
                "the current credential works and the pending one never reached the target: take AWSPENDING "
                + "off version \(pendingVersion ?? ""); the next rotation starts afresh"
        default:
            try planWithoutALabelledCredential(
                &plan, versions: versions, previousWorks: previousCheck == .works, target: target, context: context,
                arn: description.arn, deadline: deadline)
        }
        return plan
    }

    /// None of AWSCURRENT and AWSPENDING works: the password the target holds may be in a version without a label
    /// (AWSPENDING taken off after the target got it). Offers the one that works, else refuses.
    private func planWithoutALabelledCredential(
        _ plan: inout RepairPlan, versions: [SecretVersionSummary], previousWorks: Bool, target: any TargetService,
        context: RotationContext, arn: String, deadline: Deadline
    ) throws {
        let labelled: Set<String> = [plan.currentVersion, plan.pendingVersion].compactMap { $0 }.reduce(into: []) {
            $0.insert($1)
        }
        let others = versions.filter { !labelled.contains($0.versionId) && !$0.versionStages.contains("AWSPREVIOUS") }
            .sorted { ($0.createdDate ?? 0) > ($1.createdDate ?? 0) }
        for version in others {
            guard
                let value = try handler.reader.value(
                    arn: arn, versionId: version.versionId, stage: "an unlabelled version", deadline: deadline)
            else { continue }
            let check = target.checkCredential(value, label: "version \(version.versionId)", context: context)
            plan.findings.append("version \(version.versionId) (no label): \(Self.describe(check, target))")
            if check == .works {
                plan.action = .restore
                plan.restoreVersion = version.versionId
                plan.reason =
                    "no labelled credential works, but version \(version.versionId) does (the target holds its "
                    + "password): make it AWSCURRENT"
                    + (plan.pendingVersion.map { " and take AWSPENDING off \($0)" } ?? "")
                return
            }
        }
        plan.action = .refuse
        if plan.pendingVersion == nil {
            // Not a stuck rotation but a changed password: only a person knows which value is meant.
            plan.reason =
                "no rotation is stuck, but the AWSCURRENT credential does not work"
                + (previousWorks
                    ? "; the AWSPREVIOUS one does, so the password was changed back where it is used: set it to "
                        + "the AWSCURRENT value there, or move AWSCURRENT back to the previous version by hand"
                    : " and no other version's does: set the password where it is used to the AWSCURRENT value, "
                        + "then run repair again")
        } else {
            plan.reason =
                "neither the current nor the pending credential, nor any other version's, can be shown to work; "
                + "nothing is changed. "
                + (previousWorks
                    ? "The AWSPREVIOUS one works: set the password where it is used to the AWSCURRENT value by hand, "
                    : "Set the password where it is used to one of them by hand, ")
                + "then run repair again"
        }
    }

    /// Seconds since `versionId` was created, by ListSecretVersionIds' CreatedDate; `nil` when not listed.
    static func ageSeconds(of versionId: String, in versions: [SecretVersionSummary]) -> Double? {
        guard let created = versions.first(where: { $0.versionId == versionId })?.createdDate else { return nil }
        return Double(Deadline.now().epochMilliseconds) / 1_000 - created
    }

    /// Carries out `plan`, then checks the result: no AWSPENDING left on another version, and an AWSCURRENT
    /// credential that works (where the target can tell).
    /// - Returns: what was done.
    package func applyRepair(_ plan: RepairPlan, force: Bool = false, stepTimeoutSeconds: Int = 60) throws -> [String] {
        let deadline = Deadline.after(milliseconds: Int64(stepTimeoutSeconds) * 1_000)
        var done: [String] = []
        if plan.action != .nothing && plan.action != .refuse {
            // A rotation may have moved on since the plan was made: look again, right before changing anything.
            let now = try planRepair(secretId: plan.secretId, force: force)
            guard now.action == plan.action, now.pendingVersion == plan.pendingVersion,
                now.currentVersion == plan.currentVersion, now.restoreVersion == plan.restoreVersion
            else {
                throw RotationError.target(
                    TargetErrorCode("RepairRefused"),
                    message:
                        "the secret changed since the plan was made (now: \(now.action.rawValue) — \(now.reason)); "
                        + "nothing was done. Run repair again")
            }
        }
        switch plan.action {
        case .nothing:
            return ["Nothing to do."]
        case .refuse:
            throw RotationError.target(TargetErrorCode("RepairRefused"), message: plan.reason)
        case .restore:
            guard let restore = plan.restoreVersion, let current = plan.currentVersion else { return done }
            // RemoveFromVersionId makes each move conditional: Secrets Manager refuses it if the label has moved.
            try handler.client.updateSecretVersionStage(
                secretId: plan.secretId, versionStage: "AWSCURRENT", moveToVersionId: restore,
                removeFromVersionId: current, deadline: deadline)
            done.append("Moved AWSCURRENT from version \(current) to version \(restore).")
            if let pending = plan.pendingVersion, pending != restore {
                try handler.client.updateSecretVersionStage(
                    secretId: plan.secretId, versionStage: "AWSPENDING", moveToVersionId: nil,
                    removeFromVersionId: pending, deadline: deadline)
                done.append("Took AWSPENDING off version \(pending).")
            }
        case .clear:
            guard let pending = plan.pendingVersion else { return done }
            try handler.client.updateSecretVersionStage(
                secretId: plan.secretId, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: pending,
                deadline: deadline)
            done.append("Took AWSPENDING off version \(pending).")
            // What the cleared attempt left where the credential is used (an API key it minted) goes too.
            let event = RotationEvent(step: .finishSecret, secretId: plan.secretId, clientRequestToken: pending)
            let description = try handler.client.describeSecret(secretId: plan.secretId, deadline: deadline)
            let context = handler.context(
                event, arn: description.arn, labels: RotationHandler.Labels(description), deadline: deadline,
                logger: logger)
            let target = try handler.selector.target(for: try context.current(), secretId: plan.secretId)
            done += try target.cleanUpClearedAttempt(context)
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
        let after = try planRepair(secretId: plan.secretId, force: true)
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
        case .unreachable(let reason): "cannot tell: the target could not be reached (\(reason))"
        }
    }
}
