import HTTPClient
import JSON
import Logging
import Redaction
import SigV4
import Timekeeping

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A synchronous Secrets Manager client: JSON 1.1 over one reused libcurl connection, SigV4-signed, with the
/// SDKs' standard retries bounded by a per-call deadline.
///
/// Not thread-safe: one client per thread (a Lambda handles one event at a time). Keep one client for the
/// life of the process so the connection survives between invocations; a connection the server closed is
/// reopened by libcurl without the caller noticing.
public final class SecretsManagerClient {
    public let configuration: SecretsManagerConfiguration
    let endpoint: ServiceEndpoint
    private let http: HTTPClient
    /// Signs with the provider's current credentials; made anew when they change (a refresh).
    private var signer: SigV4Signer?
    private let logger: Logger
    /// Wall-clock seconds for `X-Amz-Date`; tests fix it to compare with known signatures.
    var clock: () -> Int64
    private let retries: StandardRetries

    /// Longest single attempt, so that one hung connection cannot use the whole deadline without a retry.
    /// Secrets Manager answers in tens of milliseconds; template.yaml's Timeout is computed from this value.
    public var attemptTimeoutMilliseconds: Int64 = 10_000

    /// Makes a client for `configuration`, logging to `logger` (debug: one line per attempt; warning: retries).
    ///
    /// - Parameters:
    ///   - randomUnit: the jitter source, uniform in [0, 1); tests pass a constant to make backoff predictable.
    /// - Throws: `SecretsManagerError` with code `network` when libcurl cannot create a handle: report and stop.
    public init(
        configuration: SecretsManagerConfiguration, logger: Logger,
        randomUnit: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) throws(SecretsManagerError) {
        self.endpoint = configuration.endpoint
        do {
            self.http = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
                    caBundlePath: configuration.caBundlePath, usesEnvironmentProxy: true,
                    maxResponseBytes: 4 << 20, userAgent: "rotator-secretsmanager/1"))
        } catch {
            throw SecretsManagerError(code: .network, message: "cannot create the HTTP client: \(error.message)")
        }
        self.configuration = configuration
        self.logger = logger
        self.retries = StandardRetries(
            service: "Secrets Manager", maxAttempts: configuration.maxAttempts, attemptTimeoutMilliseconds: 10_000,
            logger: logger, randomUnit: randomUnit)
        self.clock = SecretsManagerClient.secondsSinceEpoch
        if endpoint.scheme == "http" && !endpoint.isLoopback {
            logger.warning(
                "Secrets Manager endpoint \(endpoint.url) is plain http:// (ROTATOR_ALLOW_INSECURE_ENDPOINT): secret values cross the network unencrypted."
            )
        }
    }

    /// Sends one operation and returns its decoded JSON response, retrying as the standard mode does.
    ///
    /// - Throws: the service's error for a non-retryable or final failure; `deadlineExceeded` when the
    ///   deadline stopped an attempt or left no time for the next one (the message names the last failure).
    func call(_ operation: String, _ body: JSONObject, deadline: Deadline) throws(SecretsManagerError)
        -> ResponseObject
    {
        let payload = body.serialized.utf8.map { $0 }
        let signing = try currentSigner()
        let failures = StandardRetries.Failures<SecretsManagerError>(
            answer: { Self.redacted(SecretsManagerError(response: $0), signing.credentials) },
            network: Self.networkError,
            deadline: { when, attempts, last in
                Self.deadlineError(operation, attempt: attempts, lastFailure: last, when: when)
            })
        retries.attemptTimeoutMilliseconds = attemptTimeoutMilliseconds
        let response = try retries.call(operation, deadline: deadline, failures: failures) { timeout in
            send(operation, payload, signer: signing, timeoutMilliseconds: timeout)
        }
        return try ResponseObject(operation: operation, body: response.body)
    }

    private func send(_ operation: String, _ payload: [UInt8], signer: SigV4Signer, timeoutMilliseconds: Int64)
        -> Result<HTTPResponse, HTTPClientError>
    {
        do {
            return .success(
                try http.send(
                    request(operation, payload, signer: signer, timeoutMilliseconds: Int(timeoutMilliseconds))))
        } catch {
            return .failure(error)
        }
    }

    /// A signer for the provider's current credentials: the last one while they are unchanged.
    private func currentSigner() throws(SecretsManagerError) -> SigV4Signer {
        let credentials: Credentials
        do throws(CredentialError) {
            credentials = try configuration.credentials.credentials()
        } catch {
            throw SecretsManagerError(code: .credentialsUnavailable, message: error.message)
        }
        if let signer, signer.credentials == credentials { return signer }
        let fresh = SigV4Signer(credentials: credentials, region: configuration.region, service: "secretsmanager")
        signer = fresh
        return fresh
    }

    /// Defence in depth: whatever a server echoes back, no credential may travel on in an error message.
    private static func redacted(_ error: SecretsManagerError, _ credentials: Credentials) -> SecretsManagerError {
        var error = error
        let secrets = [credentials.secretAccessKey, credentials.sessionToken ?? ""].filter { $0.utf8.count >= 8 }
        error.message = error.message.redacting(secrets)
        return error
    }

    /// The signed HTTP request for one attempt; signed anew each time so `X-Amz-Date` stays current.
    func request(_ operation: String, _ payload: [UInt8], signer: SigV4Signer, timeoutMilliseconds: Int)
        -> HTTPRequest
    {
        let date = SigningDate(secondsSinceEpoch: clock())
        let headers: [(name: String, value: String)] = [
            ("Host", endpoint.hostHeader),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.\(operation)"),
        ]
        let signature = signer.sign(
            SignableRequest(method: "POST", path: endpoint.path, headers: headers, body: payload), at: date)
        var httpHeaders = HTTPHeaders()
        for header in headers + signature.headersToAdd { httpHeaders.add(name: header.name, value: header.value) }
        return HTTPRequest(
            method: .post, url: endpoint.requestURL, headers: httpHeaders, body: payload,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The request for one attempt, signed with the current credentials (tests compare it with known signatures).
    func request(_ operation: String, _ payload: [UInt8], timeoutMilliseconds: Int) throws(SecretsManagerError)
        -> HTTPRequest
    {
        request(operation, payload, signer: try currentSigner(), timeoutMilliseconds: timeoutMilliseconds)
    }

    private static func deadlineError(
        _ operation: String, attempt: Int, lastFailure: SecretsManagerError?, when: String
    )
        -> SecretsManagerError
    {
        var message = "deadline reached \(when) of \(operation)"
        if let lastFailure { message += "; last failure after \(attempt) attempt(s): \(lastFailure)" }
        return SecretsManagerError(code: .deadlineExceeded, message: message, httpStatus: lastFailure?.httpStatus)
    }

    static func networkError(_ error: HTTPClientError) -> SecretsManagerError {
        switch error.kind {
        case .tls: SecretsManagerError(code: .tls, message: error.message)
        case .responseTooLarge: SecretsManagerError(code: .invalidResponse, message: error.message)
        case .timeout: SecretsManagerError(code: .network, message: "timed out: \(error.message)")
        case .connect, .connectionLost, .invalidRequest: SecretsManagerError(code: .network, message: error.message)
        }
    }
}
