/// A failed Secrets Manager call: the service's error code, its message and the HTTP status, or a local
/// code when no usable response arrived.
///
/// Callers branch on `code`, never on `httpStatus` (moto answers 404 where AWS answers 400). The message is
/// the service's own text or a local explanation; it never contains a request body, a secret value or a
/// credential.
public struct SecretsManagerError: Error, Sendable, CustomStringConvertible {
    /// An AWS error code such as `ResourceNotFoundException`, or one of the local codes below.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let resourceNotFound = Code("ResourceNotFoundException")
        public static let invalidRequest = Code("InvalidRequestException")
        public static let invalidParameter = Code("InvalidParameterException")
        public static let resourceExists = Code("ResourceExistsException")
        public static let limitExceeded = Code("LimitExceededException")
        public static let throttling = Code("ThrottlingException")
        public static let accessDenied = Code("AccessDeniedException")
        public static let decryptionFailure = Code("DecryptionFailure")
        public static let encryptionFailure = Code("EncryptionFailure")
        public static let internalServiceError = Code("InternalServiceError")
        public static let invalidNextToken = Code("InvalidNextTokenException")

        // Authentication failures. AWS sends them as JSON; moto as XML 403s.
        public static let signatureDoesNotMatch = Code("SignatureDoesNotMatch")
        public static let invalidSignature = Code("InvalidSignatureException")
        public static let invalidClientTokenId = Code("InvalidClientTokenId")
        public static let unrecognizedClient = Code("UnrecognizedClientException")
        public static let expiredToken = Code("ExpiredTokenException")

        /// Local: no HTTP response arrived (refused, reset, DNS, timeout before the deadline).
        public static let network = Code("NetworkError")
        /// Local: the call's deadline was reached before it could complete.
        public static let deadlineExceeded = Code("DeadlineExceeded")
        /// Local: a response arrived but could not be understood (bad JSON, missing field, too large).
        public static let invalidResponse = Code("InvalidResponse")
        /// Local: the TLS handshake or certificate verification failed.
        public static let tls = Code("TLSError")
        /// Local: the credential chain could not produce credentials (a role that cannot be assumed, a credential
        /// process that failed, a metadata endpoint that did not answer).
        public static let credentialsUnavailable = Code("CredentialsUnavailable")
        /// Local: the client cannot be built from its configuration (for example a malformed endpoint).
        public static let invalidConfiguration = Code("InvalidConfiguration")

        /// Codes that mean the credentials or the signature were rejected: fix the configuration, do not retry.
        public var isAuthenticationFailure: Bool {
            Self.authenticationCodes.contains(rawValue)
        }

        private static let authenticationCodes: Set<String> = [
            "SignatureDoesNotMatch", "InvalidSignatureException", "InvalidClientTokenId",
            "UnrecognizedClientException", "ExpiredTokenException", "ExpiredToken", "IncompleteSignature",
            "MissingAuthenticationToken", "InvalidAccessKeyId",
        ]
    }

    public var code: Code
    /// The service's message, or a local explanation. Safe to log.
    public var message: String
    /// The HTTP status when a response arrived; for support only.
    public var httpStatus: Int?
    /// The service's `x-amzn-RequestId`, for AWS support.
    public var requestId: String?

    public init(code: Code, message: String, httpStatus: Int? = nil, requestId: String? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.requestId = requestId
    }

    /// `Code: message (HTTP status, request id)`, one line.
    public var description: String {
        var text = message.isEmpty ? code.rawValue : "\(code.rawValue): \(message)"
        switch (httpStatus, requestId) {
        case (let status?, let id?): text += " (HTTP \(status), request id \(id))"
        case (let status?, nil): text += " (HTTP \(status))"
        case (nil, let id?): text += " (request id \(id))"
        case (nil, nil): break
        }
        return text
    }
}

extension SecretsManagerError: ServiceFailure {
    package var codeText: String { code.rawValue }
}
