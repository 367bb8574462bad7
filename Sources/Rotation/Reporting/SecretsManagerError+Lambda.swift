import LambdaRuntime
import SecretsManager

/// Secrets Manager failures reach Lambda as `SecretsManager.<Code>` with the service's message and, for the
/// failures users hit most (networking, IAM, KMS: https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot_rotation.html),
/// what to do about them.
extension SecretsManagerError: LambdaReportableError {
    public var errorType: String { "SecretsManager.\(code.rawValue)" }

    /// The service's message (the code is already in `errorType`), the HTTP status and request id for
    /// support, and a hint for the failures users hit most.
    public var errorMessage: String {
        var text = message.isEmpty ? code.rawValue : message
        switch (httpStatus, requestId) {
        case (let status?, let id?): text += " (HTTP \(status), request id \(id))"
        case (let status?, nil): text += " (HTTP \(status))"
        case (nil, let id?): text += " (request id \(id))"
        case (nil, nil): break
        }
        if let hint { text += " " + hint }
        return text
    }

    private var hint: String? {
        if isClockSkew {
            return "The request's time was refused: check this machine's clock (AWS accepts requests signed within "
                + "5 minutes of its own time; on Lambda the clock is right, so this points at a local run)."
        }
        if code.isAuthenticationFailure {
            return "The credentials were rejected: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN "
                + "and that AWS_REGION is the secret's Region."
        }
        switch code {
        case .accessDenied:
            return "Check that the function's role allows this action on the secret (and kms:Decrypt / "
                + "kms:GenerateDataKey when the secret uses a customer managed KMS key)."
        case .network, .deadlineExceeded:
            return "The function could not reach Secrets Manager in time: in a VPC without internet access, add a "
                + "Secrets Manager VPC endpoint (and set SECRETS_MANAGER_ENDPOINT if it has no private DNS), or raise "
                + "the Lambda timeout."
        case .tls:
            return "Certificate verification failed: set AWS_CA_BUNDLE to a bundle that trusts the endpoint."
        default:
            return nil
        }
    }

    /// AWS's answers to a request signed at a time too far from its own (SigV4 allows 5 minutes): the codes S3 and
    /// query services use, and the JSON services' `InvalidSignatureException: Signature expired: …` texts.
    private var isClockSkew: Bool {
        if ["RequestTimeTooSkewed", "RequestExpired"].contains(code.rawValue) { return true }
        return code.isAuthenticationFailure
            && (message.contains("Signature expired") || message.contains("Signature not yet current"))
    }
}
