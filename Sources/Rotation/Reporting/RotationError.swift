import LambdaRuntime

/// A rotation that cannot go on. Each case maps to a Lambda `errorType` a user can search for, and a message
/// that says what went wrong and what to do. Messages name secrets, versions, users and hosts; never a value.
public enum RotationError: Error, Sendable, Equatable {
    /// The event is malformed (`Rotation.InvalidEvent`).
    case invalidEvent(String)
    /// The secret's `RotationEnabled` is false (`Rotation.NotEnabled`).
    case notEnabled(secretId: String)
    /// The token is not one of the secret's versions (`Rotation.UnknownVersion`).
    case unknownVersion(token: String, secretId: String)
    /// The token's version is not staged AWSPENDING (`Rotation.NotPending`); `stalePending` names the version that is.
    case notPending(token: String, secretId: String, stalePending: String?)
    /// A version the step needs has no value (`Rotation.MissingVersion`).
    case missingVersion(stage: String, secretId: String)
    /// The secret holds binary data, which this function cannot rotate (`Rotation.BinarySecret`).
    case binarySecret(secretId: String)
    /// Another service manages and rotates the secret, RDS for its master secrets (`Rotation.ManagedByService`).
    case managedByService(secretId: String, service: String)
    /// The secret's content does not fit the chosen target (`Rotation.InvalidSecret`).
    case invalidSecret(String)
    /// No target fits the secret (`Rotation.NoTarget`).
    case noTarget(String)
    /// A password from GetRandomPassword broke the policy (`Rotation.PasswordPolicyViolated`).
    case passwordPolicyViolated(String)
    /// `rotator rotate --token` names a new rotation while another one is unfinished (`Rotation.InProgress`).
    case rotationInProgress(secretId: String, pendingVersion: String, requestedToken: String)
    /// A target's own failure: `errorType` is `Target.<code>` (for example `Target.LoginFailed`).
    case target(TargetErrorCode, message: String)
}

/// Why a target failed: the `errorType` suffix after `Target.`. A small open set, as `SecretsManagerError.Code`
/// is: the built-in targets use the constants below, each listed with what to do in docs/reference/errors.md; a custom target
/// may add its own (`TargetErrorCode("PartnerRefused")`).
public struct TargetErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The target could not be reached, or went away (refused, unreachable, DNS, shutting down).
    public static let network = TargetErrorCode("Network")
    /// The target refused the credential.
    public static let loginFailed = TargetErrorCode("LoginFailed")
    /// TLS could not be set up, or the target's certificate did not verify.
    public static let tls = TargetErrorCode("TLS")
    /// The credential lacks a privilege the step needs.
    public static let permission = TargetErrorCode("Permission")
    /// The Lambda deadline left no time to start or finish the work.
    public static let timeout = TargetErrorCode("Timeout")
    /// A connection failure whose cause could not be told (a message in another language).
    public static let connectionFailed = TargetErrorCode("ConnectionFailed")
    /// A statement or request failed for another reason.
    public static let queryFailed = TargetErrorCode("QueryFailed")
    /// The function's configuration, or the target's set-up, is wrong (CA file, unknown database).
    public static let configInvalid = TargetErrorCode("ConfigInvalid")
    /// A case the target does not handle yet.
    public static let unsupported = TargetErrorCode("Unsupported")
    /// The target accepted a login without checking the password (trust, peer, cert), so nothing was proven.
    public static let passwordNotChecked = TargetErrorCode("PasswordNotChecked")
    /// A user's rights, read back after they were copied from another, are not the same: the credential is not
    /// made current.
    public static let rightsMismatch = TargetErrorCode("RightsMismatch")
}

extension RotationError: LambdaReportableError, CustomStringConvertible {
    public var errorType: String {
        switch self {
        case .invalidEvent: "Rotation.InvalidEvent"
        case .notEnabled: "Rotation.NotEnabled"
        case .unknownVersion: "Rotation.UnknownVersion"
        case .notPending: "Rotation.NotPending"
        case .missingVersion: "Rotation.MissingVersion"
        case .binarySecret: "Rotation.BinarySecret"
        case .managedByService: "Rotation.ManagedByService"
        case .invalidSecret: "Rotation.InvalidSecret"
        case .noTarget: "Rotation.NoTarget"
        case .passwordPolicyViolated: "Rotation.PasswordPolicyViolated"
        case .rotationInProgress: "Rotation.InProgress"
        case .target(let code, _): "Target.\(code.rawValue)"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidEvent(let message), .invalidSecret(let message), .noTarget(let message),
            .passwordPolicyViolated(let message):
            return message
        case .notEnabled(let secretId):
            return "Secret \(secretId) is not enabled for rotation"
        case .unknownVersion(let token, let secretId):
            return "Secret version \(token) has no stage for rotation of secret \(secretId)."
        case .notPending(let token, let secretId, let stale):
            var message = "Secret version \(token) not set as AWSPENDING for rotation of secret \(secretId)."
            if let stale {
                message +=
                    " AWSPENDING is on version \(stale), left by a rotation that did not finish. "
                    + RotationError.resumeAdvice(secretId: secretId, pendingVersion: stale)
            }
            return message
        case .missingVersion(let stage, let secretId):
            if stage == "AWSCURRENT" {
                return
                    "Secret \(secretId) has no AWSCURRENT value. Store one first (aws secretsmanager put-secret-value"
                    + " --secret-id \(secretId) --secret-string ...), then rotate."
            }
            if stage == "AWSPENDING" {
                return
                    "Secret \(secretId) has no AWSPENDING value for this rotation: createSecret must run first. Secrets "
                    + "Manager retries a failed rotation from createSecret; locally, `rotator rotate --secret-id \(secretId)` resumes it."
            }
            return "Secret \(secretId) has no \(stage) value."
        case .rotationInProgress(let secretId, let pending, let requested):
            return
                "A rotation of secret \(secretId) is unfinished on version \(pending); --token \(requested) would start "
                + "another. " + RotationError.resumeAdvice(secretId: secretId, pendingVersion: pending)
        case .binarySecret(let secretId):
            return "Secret \(secretId) holds SecretBinary, not SecretString; this function rotates string secrets only."
        case .managedByService(let secretId, let service):
            if service == "rds" {
                return
                    "Secret \(secretId) is managed by Amazon RDS, which rotates it itself (ManageMasterUserPassword); "
                    + "this function never writes to it. Detach this function from the secret and leave its rotation "
                    + "to RDS (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html); to "
                    + "rotate an application user with it as master, name it in that user's secret as masterarn."
            }
            return
                "Secret \(secretId) is managed by \(service), which rotates it itself; this function never writes "
                + "to it. Remove this function from the secret's rotation."
        case .target(_, let message):
            return message
        }
    }

    public var description: String { "\(errorType): \(errorMessage)" }

    /// What to do about an unfinished rotation. Resuming is always safe; clearing the label is not: a single-user
    /// database rotation whose setSecret ran has put the AWSPENDING password in the database, and clearing the
    /// label would leave the only working password in an unlabelled version.
    public static func resumeAdvice(secretId: String, pendingVersion: String) -> String {
        "Resume it first: `rotator rotate --secret-id \(secretId)` finishes it with its own token (Secrets Manager "
            + "also retries it), or let `rotator repair --secret-id \(secretId)` find which credential works and plan "
            + "the safe fix. Clear the label only if the AWSCURRENT credential still works where it is used "
            + "(a single-user database rotation whose setSecret ran has already given the database the AWSPENDING "
            + "password): aws secretsmanager update-secret-version-stage --secret-id \(secretId) --version-stage "
            + "AWSPENDING --remove-from-version-id \(pendingVersion)"
    }
}

/// Configuration that makes rotation impossible. Reported at start-up through `/runtime/init/error`.
public struct ConfigurationError: Error, Sendable, Equatable, LambdaReportableError, CustomStringConvertible {
    public var errorMessage: String
    public var errorType: String { "Runtime.ConfigInvalid" }
    public var description: String { errorMessage }

    public init(_ message: String) {
        self.errorMessage = message
    }
}
