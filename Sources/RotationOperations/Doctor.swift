import LambdaRuntime
import Logging
import Rotation
import SecretsManager

extension LocalRotation {
    /// `rotator doctor`: read-only checks of everything a rotation of `secretId` needs, in the order a rotation
    /// meets them. A failed check that later ones depend on skips them. `function` names the rotation function the
    /// secret is, or is about to be, attached to: before the attach, rotation being off is then expected, and the
    /// function is checked all the same.
    package func doctor(secretId: String, now: Double, function: String? = nil) -> Diagnosis {
        var checks: [DiagnosticCheck] = []
        let deadline = Deadline.after(milliseconds: 120_000)
        func failure(_ name: String, _ error: any Error, advice: String? = nil) -> DiagnosticCheck {
            let report = ErrorReport(error)
            return .failed(name, "\(report.errorType): \(report.errorMessage)", advice: advice)
        }

        // 1. The secret can be described and its current value read (IAM, KMS).
        let description: SecretDescription
        do {
            description = try handler.client.describeSecret(secretId: secretId, deadline: deadline)
        } catch {
            // AWS's AccessDeniedException message names the action and the caller; say what else to look at.
            let notFound = ErrorReport(error).errorType.hasSuffix("ResourceNotFoundException")
            return Diagnosis(
                secretId: secretId,
                checks: [
                    failure(
                        "secret readable", error,
                        advice: notFound
                            ? "no secret by that name or ARN in this account and region: check both (AWS_REGION)"
                            : "the caller needs secretsmanager:DescribeSecret and GetSecretValue on the secret, "
                                + "and kms:Decrypt on its key")
                ])
        }
        // The labels and the schedule do not depend on the value: checked even when the value does not fit.
        func valueRefused(_ error: any Error, after checks: [DiagnosticCheck]) -> Diagnosis {
            let refused = failure("secret value", error, advice: "fix the secret's JSON as the message says")
            return Diagnosis(
                secretId: secretId,
                checks: checks + [
                    refused, labelCheck(description), configurationCheck(description, now: now, function: function),
                    .skipped("target checks", "the value does not fit"),
                ])
        }
        let labels = RotationHandler.Labels(description)
        let event = RotationEvent(
            step: .testSecret, secretId: secretId,
            clientRequestToken: description.versionIdsToStages.first(where: { $0.stages.contains("AWSPENDING") })?
                .versionId ?? "doctor")
        let context = handler.context(event, arn: description.arn, labels: labels, deadline: deadline, logger: logger)
        let current: SecretValue
        let readable = "DescribeSecret and GetSecretValue (AWSCURRENT) answered"
        do {
            current = try context.current()
            checks.append(.passed("secret readable", readable))
        } catch  where ErrorReport(error).errorType == "Rotation.InvalidSecret" {
            // Read, but not readable as the value it looks like: a problem of the value, not of access.
            return valueRefused(error, after: checks + [.passed("secret readable", readable)])
        } catch {
            checks.append(
                failure(
                    "secret readable", error,
                    advice: "store a value, or give the caller GetSecretValue on the secret and kms:Decrypt on its key")
            )
            return Diagnosis(secretId: secretId, checks: checks)
        }

        // 2. The value fits a target: readable JSON, an engine the function rotates, the keys the target needs.
        let target: any TargetService
        do {
            target = try handler.selector.target(for: current, secretId: secretId)
            try target.checkCurrent(current, context: context)
            let strategy = target.strategyName(for: current).map { ", strategy \($0)" } ?? ""
            checks.append(.passed("secret value", "target \(target.name)\(strategy)"))
        } catch {
            return valueRefused(error, after: checks)
        }

        checks.append(labelCheck(description))
        checks.append(configurationCheck(description, now: now, function: function))
        checks.append(
            deployedFunctionCheck(function ?? description.rotationLambdaARN, secret: description, target: target))
        checks.append(policyCheck(target))

        let previous = try? context.previous()
        checks += target.ownChecks(current: current, previous: previous ?? nil, context: context)
        return Diagnosis(secretId: secretId, checks: checks)
    }

    /// A stale AWSPENDING blocks the next rotation: say so, and what `repair` would do.
    private func labelCheck(_ description: SecretDescription) -> DiagnosticCheck {
        guard description.versionId(withStage: "AWSCURRENT") != nil else {
            return .failed("labels", "no version has AWSCURRENT", advice: "store a value before rotating")
        }
        let pending = description.versionIdsToStages.first {
            $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT")
        }
        guard let pending else { return .passed("labels", "AWSCURRENT set, no rotation in progress") }
        return .failed(
            "labels",
            "AWSPENDING is on version \(pending.versionId), not on AWSCURRENT: a rotation is running or stuck",
            advice:
                "`rotator repair --secret-id \(description.name)` finds which credential works and plans the safe fix")
    }

    private func configurationCheck(_ description: SecretDescription, now: Double, function expected: String?)
        -> DiagnosticCheck
    {
        let attach =
            "aws secretsmanager rotate-secret --secret-id \(description.name) --rotation-lambda-arn "
            + "\(expected.map { "<the ARN of \($0)>" } ?? "<function>")"
        guard description.rotationEnabled == true else {
            guard expected != nil else {
                return .failed("rotation configuration", "rotation is off", advice: attach)
            }
            return .skipped("rotation configuration", "rotation is off: not attached yet; attach it with \(attach)")
        }
        // Attached elsewhere while --function names the one it will be: a migration from another rotation function
        // (AWS's template), which the attach moves, is as expected as rotation being off.
        if let expected, let attached = description.rotationLambdaARN, !Self.sameFunction(attached, expected) {
            return .skipped(
                "rotation configuration",
                "rotation is attached to \(attached), not yet to \(expected): the attach moves it (\(attach))")
        }
        let function = description.rotationLambdaARN ?? "no function"
        let schedule =
            description.scheduleExpression ?? description.rotationDays.map { "every \($0) days" } ?? "no schedule"
        if let next = description.nextRotationDate, now - next > FleetEntry.overdueAfterSeconds {
            return .failed(
                "rotation configuration", "\(function), \(schedule); next rotation \(SecretStatus.date(next)) is past",
                advice: "rotations are failing or not starting: check the function's log (one outcome line per step)")
        }
        let next = description.nextRotationDate.map { ", next \(SecretStatus.date($0))" } ?? ""
        return .passed("rotation configuration", "on, \(function), \(schedule)\(next)")
    }

    /// Whether a function ARN and a name or ARN given on the command line mean the same function: equal, or the
    /// name is the ARN's function name (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
    static func sameFunction(_ arn: String, _ given: String) -> Bool {
        if arn == given { return true }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 7 && parts[5] == "function" && parts[6] == given
    }

    /// Characters the target leaves out by default because engines or connection strings break on them, which the
    /// configured policy allows.
    private func policyCheck(_ target: any TargetService) -> DiagnosticCheck {
        guard target.generatesPasswords else {
            return .skipped("password policy", "the \(target.name) target's credentials are issued, not generated")
        }
        guard let policy = try? handler.passwords.policy(for: target) else {
            return .skipped("password policy", "no policy for target \(target.name)")
        }
        let risky = target.defaultExcludeCharacters.filter { !policy.excludeCharacters.contains($0) }
        let allowed =
            risky.filter { character in
                guard let scalar = character.unicodeScalars.first else { return false }
                if policy.excludePunctuation && scalar.properties.generalCategory != .decimalNumber
                    && !character.isLetter
                {
                    return false
                }
                return true
            }
        guard allowed.isEmpty else {
            return .failed(
                "password policy",
                "EXCLUDE_CHARACTERS lets passwords contain \(allowed.map { "\($0)" }.joined(separator: " ")), which the "
                    + "\(target.name) target leaves out by default",
                advice: "applications that build connection strings (URLs, .pgpass, DSNs) break on them; unset "
                    + "EXCLUDE_CHARACTERS or add them back, unless every client quotes the password")
        }
        return .passed(
            "password policy", "\(policy.length) characters, none the target's engine or connection strings refuse")
    }
}
