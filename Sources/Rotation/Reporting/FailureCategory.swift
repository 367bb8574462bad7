/// What kind of thing went wrong in a step, for the outcome line, the metrics and alarms: a small, fixed set that
/// says where to look, derived from the Lambda `errorType` (so every error has one).
public enum FailureCategory: String, Sendable, CaseIterable {
    /// A server could not be reached or went away (Secrets Manager, the database, an API).
    case network
    /// TLS could not be set up or a certificate did not verify.
    case tls
    /// A credential was refused (the database login, the AWS signature or keys).
    case authentication
    /// Something may not be done (IAM, KMS, a database privilege).
    case permission
    /// The function's settings or the target system's setup are wrong, or the case is not supported.
    case configuration
    /// The Lambda deadline came first.
    case deadline
    /// The secret's value does not fit the target (missing keys, wrong engine, unreadable JSON).
    case secret
    /// The secret's labels do not allow the step (a stale AWSPENDING, rotation off, no AWSCURRENT).
    case state
    /// The event was not a rotation event.
    case input
    /// Anything else (a statement failed, an unexpected answer).
    case other

    /// The category of a Lambda `errorType` (`Target.Network`, `SecretsManager.AccessDeniedException`, …).
    public init(errorType: String) {
        switch errorType {
        case "Target.Network", "Target.ConnectionFailed", "SecretsManager.NetworkError",
            "SecretsManager.InternalServiceError", "SecretsManager.ThrottlingException":
            self = .network
        case "Target.TLS", "SecretsManager.TLSError": self = .tls
        case "Target.LoginFailed", "Target.PasswordNotChecked", "SecretsManager.SignatureDoesNotMatch",
            "SecretsManager.InvalidSignatureException", "SecretsManager.InvalidClientTokenId",
            "SecretsManager.UnrecognizedClientException", "SecretsManager.ExpiredTokenException":
            self = .authentication
        case "Target.Permission", "Target.RightsMismatch", "SecretsManager.AccessDeniedException",
            "SecretsManager.DecryptionFailure",
            "SecretsManager.EncryptionFailure":
            self = .permission
        case "Target.ConfigInvalid", "Target.Unsupported", "Runtime.ConfigInvalid", "Rotation.NoTarget",
            "Rotation.PasswordPolicyViolated", "SecretsManager.InvalidConfiguration":
            self = .configuration
        case "Target.Timeout", "SecretsManager.DeadlineExceeded": self = .deadline
        case "Rotation.InvalidSecret", "Rotation.BinarySecret": self = .secret
        case "Rotation.NotEnabled", "Rotation.UnknownVersion", "Rotation.NotPending", "Rotation.MissingVersion",
            "Rotation.InProgress", "SecretsManager.ResourceNotFoundException", "SecretsManager.InvalidRequestException":
            self = .state
        case "Rotation.InvalidEvent", "Runtime.InvalidInvocation": self = .input
        default: self = .other
        }
    }
}
