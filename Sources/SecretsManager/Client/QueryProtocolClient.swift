import HTTPClient
import Logging
import Redaction
import SigV4
import Timekeeping
import XML

/// A failed call to a Query-protocol service (STS, RDS): the service's error code and message, or this client's own
/// code (`Network`, `TLS`, `DeadlineExceeded`, `InvalidResponse`, `Credentials`). Never holds a credential.
package struct QueryError: Error, Sendable, Equatable, CustomStringConvertible, ServiceFailure {
    package var code: String
    package var message: String
    package var httpStatus: Int?

    package init(code: String, message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    package var codeText: String { code }
    package var description: String { "\(code): \(message)" }
}

/// One AWS Query-protocol service (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html as
/// STS and RDS use it): form-encoded POSTs with `Action` and `Version`, SigV4-signed (or unsigned, for STS's
/// `AssumeRoleWithWebIdentity`), XML answers, the SDKs' standard retries bounded by the call's deadline.
///
/// Not thread-safe: one client per thread.
package final class QueryProtocolClient {
    package let endpoint: ServiceEndpoint
    /// The API version every request names, e.g. `2011-06-15` for STS.
    package let version: String
    private let signingName: String
    private let region: String
    private let credentials: (any CredentialProvider)?
    private var signer: SigV4Signer?
    private let http: HTTPClient
    private let retries: StandardRetries
    /// Wall-clock seconds for `X-Amz-Date`.
    package var clock: () -> Int64 = { Deadline.now().epochMilliseconds / 1_000 }

    /// - Parameters:
    ///   - service: the name in log lines (`STS`, `RDS`); `signingName` the SigV4 service (`sts`, `rds`).
    ///   - credentials: whom to sign as; `nil` sends unsigned requests.
    /// - Throws: `QueryError` with code `Network` when libcurl cannot create a handle.
    package init(
        service: String, signingName: String, version: String, endpoint: ServiceEndpoint, region: String,
        credentials: (any CredentialProvider)?, caBundlePath: String?, maxAttempts: Int,
        connectTimeoutMilliseconds: Int, logger: Logger,
        randomUnit: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) throws(QueryError) {
        do {
            http = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: connectTimeoutMilliseconds, caBundlePath: caBundlePath,
                    usesEnvironmentProxy: true, maxResponseBytes: 4 << 20, userAgent: "rotator-\(signingName)/1"))
        } catch {
            throw QueryError(code: "Network", message: "cannot create the HTTP client: \(error.message)")
        }
        self.endpoint = endpoint
        self.version = version
        self.signingName = signingName
        self.region = region
        self.credentials = credentials
        retries = StandardRetries(
            service: service, maxAttempts: maxAttempts, attemptTimeoutMilliseconds: 10_000, logger: logger,
            randomUnit: randomUnit)
    }

    /// One action, retried as the standard mode does; returns its `<ActionResult>` element.
    /// - Parameter explain: adds advice to the service's error (what to allow) before it is returned.
    package func call(
        _ action: String, _ parameters: [String: String], deadline: Deadline,
        explain: @escaping (QueryError) -> QueryError = { $0 }
    ) throws(QueryError) -> XMLElement {
        let body = Array(Self.formBody(action: action, version: version, parameters).utf8)
        let signing = try currentCredentials()
        let failures = StandardRetries.Failures<QueryError>(
            answer: { explain(Self.error(in: $0, action: action).redacting(signing)) },
            network: Self.networkError,
            deadline: { when, attempts, last in
                var message = "deadline reached \(when) of \(action)"
                if let last { message += "; last failure after \(attempts) attempt(s): \(last)" }
                return QueryError(code: "DeadlineExceeded", message: message, httpStatus: last?.httpStatus)
            })
        let response = try retries.call(action, deadline: deadline, failures: failures) { timeout in
            do throws(HTTPClientError) {
                return .success(try http.send(request(body, timeoutMilliseconds: Int(timeout))))
            } catch {
                return .failure(error)
            }
        }
        let document: XMLElement
        do throws(XMLReadError) {
            document = try XMLReader.parse(response.body)
        } catch {
            throw QueryError(code: "InvalidResponse", message: "\(action) answered with \(error)")
        }
        guard let result = document.child("\(action)Result") else {
            throw QueryError(code: "InvalidResponse", message: "\(action) answered without <\(action)Result>")
        }
        return result
    }

    /// The credentials for this call, with a signer made for them when they changed (a refresh).
    private func currentCredentials() throws(QueryError) -> Credentials? {
        guard let credentials else { return nil }
        let current: Credentials
        do throws(CredentialError) {
            current = try credentials.credentials()
        } catch {
            throw QueryError(code: "Credentials", message: error.message)
        }
        if signer?.credentials != current {
            signer = SigV4Signer(credentials: current, region: region, service: signingName)
        }
        return current
    }

    /// `Action=…&Version=…&…`, names sorted so a request is the same bytes each time.
    package static func formBody(action: String, version: String, _ parameters: [String: String]) -> String {
        (["Action": action, "Version": version].merging(parameters) { $1 }).sorted { $0.key < $1.key }
            .map { "\(URIEncoding.encode($0.key))=\(URIEncoding.encode($0.value))" }.joined(separator: "&")
    }

    private func request(_ body: [UInt8], timeoutMilliseconds: Int) -> HTTPRequest {
        let headers: [(name: String, value: String)] = [
            ("Host", endpoint.hostHeader), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        var httpHeaders = HTTPHeaders()
        for header in headers { httpHeaders.add(name: header.name, value: header.value) }
        if let signer {
            let signature = signer.sign(
                SignableRequest(method: "POST", path: endpoint.path, headers: headers, body: body),
                at: SigningDate(secondsSinceEpoch: clock()))
            for header in signature.headersToAdd { httpHeaders.add(name: header.name, value: header.value) }
        }
        return HTTPRequest(
            method: .post, url: endpoint.requestURL, headers: httpHeaders, body: body,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The `<ErrorResponse><Error><Code>…` of a failed call; an answer that is not one is described, never echoed.
    package static func error(in response: HTTPResponse, action: String) -> QueryError {
        guard let document = try? XMLReader.parse(response.body),
            let error = document.child("Error") ?? document.child("Errors")?.child("Error"),
            let code = error.text("Code"), !code.isEmpty
        else {
            return QueryError(
                code: response.status == 403 ? "AccessDenied" : "HTTP\(response.status)",
                message: "\(action) answered HTTP \(response.status) without an error document",
                httpStatus: response.status)
        }
        return QueryError(
            code: code, message: String((error.text("Message") ?? "").prefix(500)), httpStatus: response.status)
    }

    package static func networkError(_ error: HTTPClientError) -> QueryError {
        switch error.kind {
        case .tls: QueryError(code: "TLS", message: error.message)
        case .responseTooLarge: QueryError(code: "InvalidResponse", message: error.message)
        case .timeout: QueryError(code: "Network", message: "timed out: \(error.message)")
        case .connect, .connectionLost, .invalidRequest: QueryError(code: "Network", message: error.message)
        }
    }
}

extension QueryError {
    /// Defence in depth: whatever a server echoes back, no credential travels on in an error message.
    func redacting(_ credentials: Credentials?) -> QueryError {
        guard let credentials else { return self }
        var error = self
        error.message = error.message.redacting(
            [credentials.secretAccessKey, credentials.sessionToken ?? ""].filter { $0.utf8.count >= 8 })
        return error
    }
}
