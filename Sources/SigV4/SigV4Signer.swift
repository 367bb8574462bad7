/// Signs requests with AWS Signature Version 4 (Authorization header, non-S3 rules), as described in
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html.
///
/// The same request and `SigningDate` always give the same signature, and nothing here does I/O. The signer hashes
/// the payload itself and keeps the derived signing key, which changes once a day, so signing a request costs one
/// HMAC instead of five. The stages (`CanonicalRequest`, `stringToSign`, `signingKey`, `signature`,
/// `authorization`) are public so tests can check each one against the official suite.
/// Not thread-safe (the key cache): one signer per client.
public final class SigV4Signer: CustomStringConvertible {
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Headers botocore never signs. Proxies and HTTP stacks add or rewrite them, and moto's verifier drops
    /// them when it recomputes the signature, so signing one would fail even when correct.
    public static let unsignedHeaderNames: Set<String> = [
        "user-agent", "expect", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "x-amzn-trace-id", "authorization",
    ]

    public let credentials: Credentials
    /// The signing region, e.g. `us-east-1`; always configured, never guessed from the host.
    public let region: String
    /// The signing name, e.g. `secretsmanager`.
    public let service: String
    /// The signing key of the last day signed for.
    private var cachedKey: (dateStamp: String, key: [UInt8])?

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public var description: String { "SigV4Signer(\(credentials), region: \(region), service: \(service))" }

    /// The headers to add to a request, and every intermediate value (for tests and debugging).
    public struct Signature: Sendable {
        /// `X-Amz-Date`, `X-Amz-Security-Token` (with temporary credentials) and `Authorization`, in that order.
        public var headersToAdd: [(name: String, value: String)]
        public var canonicalRequest: CanonicalRequest
        public var stringToSign: String
        /// Lowercase hex signature.
        public var signature: String
        public var authorization: String
    }

    /// Signs `request` at `date`.
    ///
    /// Adds `x-amz-date` and, when the credentials have a session token, `x-amz-security-token` before
    /// signing, so both are signed (the Secrets Manager behaviour, suite case `post-sts-header-before`). Any
    /// such header already in `request` is replaced. Every other header of `request` is signed except those
    /// in `unsignedHeaderNames`: pass exactly the headers that will be sent, and the exact body.
    public func sign(_ request: SignableRequest, at date: SigningDate) -> Signature {
        var signable = request
        signable.headers.removeAll { header in
            let name = header.name.lowercased()
            return name == "x-amz-date" || name == "x-amz-security-token"
                || Self.unsignedHeaderNames.contains(name)
        }
        var added: [(name: String, value: String)] = [("X-Amz-Date", date.amzDate)]
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
        }
        signable.headers += added
        let canonical = CanonicalRequest(signable)
        let scope = Self.credentialScope(date: date, region: region, service: service)
        let stringToSign = Self.stringToSign(canonicalRequest: canonical.text, date: date, scope: scope)
        let key = signingKey(for: date)
        let signature = Self.signature(signingKey: key, stringToSign: stringToSign)
        let authorization = Self.authorization(
            accessKeyId: credentials.accessKeyId, scope: scope, signedHeaders: canonical.signedHeaders,
            signature: signature)
        return Signature(
            headersToAdd: added + [("Authorization", authorization)], canonicalRequest: canonical,
            stringToSign: stringToSign, signature: signature, authorization: authorization)
    }

    /// The signing key for `date`'s day, derived once per day.
    func signingKey(for date: SigningDate) -> [UInt8] {
        if let cachedKey, cachedKey.dateStamp == date.dateStamp { return cachedKey.key }
        let key = Self.signingKey(
            secretAccessKey: credentials.secretAccessKey, date: date, region: region, service: service)
        cachedKey = (date.dateStamp, key)
        return key
    }

    /// `yyyyMMdd/region/service/aws4_request`.
    public static func credentialScope(date: SigningDate, region: String, service: String) -> String {
        "\(date.dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// `AWS4-HMAC-SHA256`, the date, the scope and the hex SHA-256 of the canonical request, one per line.
    public static func stringToSign(canonicalRequest: String, date: SigningDate, scope: String) -> String {
        [algorithm, date.amzDate, scope, Digest.sha256Hex(canonicalRequest.utf8)].joined(separator: "\n")
    }

    /// The derived signing key: HMAC chain over date, region, service and `aws4_request`, raw bytes
    /// between the steps (never hex).
    public static func signingKey(secretAccessKey: String, date: SigningDate, region: String, service: String)
        -> [UInt8]
    {
        let dateKey = Digest.hmacSHA256(key: Array(("AWS4" + secretAccessKey).utf8), message: date.dateStamp.utf8)
        let regionKey = Digest.hmacSHA256(key: dateKey, message: region.utf8)
        let serviceKey = Digest.hmacSHA256(key: regionKey, message: service.utf8)
        return Digest.hmacSHA256(key: serviceKey, message: "aws4_request".utf8)
    }

    /// Lowercase hex HMAC-SHA256 of the string to sign under the signing key.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        Digest.hex(Digest.hmacSHA256(key: signingKey, message: stringToSign.utf8))
    }

    /// The `Authorization` header value, with `", "` separators as botocore and aws-c-auth write them.
    public static func authorization(accessKeyId: String, scope: String, signedHeaders: String, signature: String)
        -> String
    {
        "\(algorithm) Credential=\(accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }
}
