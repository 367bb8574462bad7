import HTTPClient
import Logging
import Redaction
import SecretsManager
import SigV4
import Timekeeping

/// A synchronous client for the two RDS reads a rotation makes, over RDS's Query API
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/Welcome.html): form-encoded POSTs with
/// `Version=2014-10-31`, SigV4-signed for service `rds`, XML answers read by `XMLReader`, pages followed by `Marker`,
/// the SDKs' standard retries bounded by the call's deadline.
///
/// Not thread-safe: one client per thread, like `SecretsManagerClient`.
public final class RDSClient: RDSDescribing {
    public let configuration: RDSConfiguration
    private let http: HTTPClient
    private let signer: SigV4Signer
    private let retries: StandardRetries
    /// Wall-clock seconds for `X-Amz-Date`.
    var clock: () -> Int64 = { Deadline.now().epochMilliseconds / 1_000 }
    /// No identifier lookup pages far; a service that keeps sending markers is not followed forever.
    static let maximumPages = 20

    /// - Throws: `RDSError` with code `Network` when libcurl cannot create a handle.
    public init(
        configuration: RDSConfiguration, logger: Logger,
        randomUnit: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) throws(RDSError) {
        do {
            http = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
                    caBundlePath: configuration.caBundlePath, usesEnvironmentProxy: true,
                    maxResponseBytes: 4 << 20, userAgent: "rotator-rds/1"))
        } catch {
            throw RDSError(code: "Network", message: "cannot create the HTTP client: \(error.message)")
        }
        self.configuration = configuration
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "rds")
        retries = StandardRetries(
            service: "RDS", maxAttempts: configuration.maxAttempts, attemptTimeoutMilliseconds: 10_000,
            logger: logger, randomUnit: randomUnit)
    }

    public func describeDBInstance(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSInstance? {
        let found = try pages("DescribeDBInstances", ["DBInstanceIdentifier": identifier], deadline: deadline) {
            result in result.child("DBInstances")?.children("DBInstance") ?? []
        }
        guard let instance = found.first else { return nil }
        return RDSInstance(
            identifier: instance.text("DBInstanceIdentifier") ?? identifier, engine: instance.text("Engine") ?? "",
            address: instance.text("Endpoint", "Address").flatMap { $0.isEmpty ? nil : $0 },
            port: instance.text("Endpoint", "Port").flatMap { Int($0) },
            readReplicaSourceIdentifier: instance.text("ReadReplicaSourceDBInstanceIdentifier").flatMap {
                $0.isEmpty ? nil : $0
            },
            clusterIdentifier: instance.text("DBClusterIdentifier").flatMap { $0.isEmpty ? nil : $0 })
    }

    public func describeDBCluster(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSCluster? {
        let found = try pages("DescribeDBClusters", ["DBClusterIdentifier": identifier], deadline: deadline) {
            result in result.child("DBClusters")?.children("DBCluster") ?? []
        }
        guard let cluster = found.first else { return nil }
        let members = (cluster.child("DBClusterMembers")?.children("DBClusterMember") ?? []).compactMap { member in
            member.text("DBInstanceIdentifier").map {
                RDSCluster.Member(instanceIdentifier: $0, isWriter: member.text("IsClusterWriter") == "true")
            }
        }
        return RDSCluster(
            identifier: cluster.text("DBClusterIdentifier") ?? identifier, engine: cluster.text("Engine") ?? "",
            endpoint: cluster.text("Endpoint").flatMap { $0.isEmpty ? nil : $0 },
            readerEndpoint: cluster.text("ReaderEndpoint").flatMap { $0.isEmpty ? nil : $0 },
            port: cluster.text("Port").flatMap { Int($0) }, members: members)
    }

    /// Every item of every page of `action`. A "not found" fault (`DBInstanceNotFound`, `DBClusterNotFoundFault`)
    /// is an empty list, as the templates read it.
    private func pages(
        _ action: String, _ parameters: [String: String], deadline: Deadline,
        items: (XMLElement) -> [XMLElement]
    ) throws(RDSError) -> [XMLElement] {
        var found: [XMLElement] = []
        var marker: String?
        for _ in 0..<Self.maximumPages {
            var query = parameters
            if let marker { query["Marker"] = marker }
            let result: XMLElement
            do {
                result = try call(action, query, deadline: deadline)
            } catch  where error.code.hasSuffix("NotFound") || error.code.hasSuffix("NotFoundFault") {
                return found
            }
            found += items(result)
            marker = result.text("Marker").flatMap { $0.isEmpty ? nil : $0 }
            if marker == nil { return found }
        }
        throw RDSError(
            code: "InvalidResponse", message: "\(action) kept sending a Marker after \(Self.maximumPages) pages")
    }

    /// One action, retried as the standard mode does; returns its `<ActionResult>` element.
    func call(_ action: String, _ parameters: [String: String], deadline: Deadline) throws(RDSError) -> XMLElement {
        let body = Array(Self.formBody(action: action, parameters).utf8)
        let failures = StandardRetries.Failures<RDSError>(
            answer: { [self] in redacted(Self.error(in: $0, action: action)) }, network: Self.networkError,
            deadline: { when, attempts, last in
                var message = "deadline reached \(when) of \(action)"
                if let last { message += "; last failure after \(attempts) attempt(s): \(last)" }
                return RDSError(code: "DeadlineExceeded", message: message, httpStatus: last?.httpStatus)
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
            throw RDSError(code: "InvalidResponse", message: "\(action) answered with \(error)")
        }
        guard let result = document.child("\(action)Result") else {
            throw RDSError(code: "InvalidResponse", message: "\(action) answered without <\(action)Result>")
        }
        return result
    }

    /// `Action=…&Version=2014-10-31&…`, names sorted so a request is the same bytes each time.
    static func formBody(action: String, _ parameters: [String: String]) -> String {
        (["Action": action, "Version": "2014-10-31"].merging(parameters) { $1 }).sorted { $0.key < $1.key }
            .map { "\(URIEncoding.encode($0.key))=\(URIEncoding.encode($0.value))" }.joined(separator: "&")
    }

    private func request(_ body: [UInt8], timeoutMilliseconds: Int) -> HTTPRequest {
        let endpoint = configuration.endpoint
        let headers: [(name: String, value: String)] = [
            ("Host", endpoint.hostHeader), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        let signature = signer.sign(
            SignableRequest(method: "POST", path: endpoint.path, headers: headers, body: body),
            at: SigningDate(secondsSinceEpoch: clock()))
        var httpHeaders = HTTPHeaders()
        for header in headers + signature.headersToAdd { httpHeaders.add(name: header.name, value: header.value) }
        return HTTPRequest(
            method: .post, url: endpoint.requestURL, headers: httpHeaders, body: body,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The `<ErrorResponse><Error><Code>…` of a failed call; an answer that is not one is described, never echoed.
    static func error(in response: HTTPResponse, action: String) -> RDSError {
        guard let document = try? XMLReader.parse(response.body),
            let error = document.child("Error") ?? document.child("Errors")?.child("Error"),
            let code = error.text("Code"), !code.isEmpty
        else {
            return RDSError(
                code: response.status == 403 ? "AccessDenied" : "HTTP\(response.status)",
                message: "\(action) answered HTTP \(response.status) without an RDS error document",
                httpStatus: response.status)
        }
        var message = String((error.text("Message") ?? "").prefix(500))
        if ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"].contains(code) {
            message +=
                " Allow rds:\(action) to the function's role (template.yaml adds rds:DescribeDBInstances and "
                + "rds:DescribeDBClusters when MasterSecretArns is set)."
        }
        return RDSError(code: code, message: message, httpStatus: response.status)
    }

    /// Defence in depth: whatever a server echoes back, no credential travels on in an error message.
    private func redacted(_ error: RDSError) -> RDSError {
        var error = error
        let credentials = configuration.credentials
        error.message = error.message.redacting(
            [credentials.secretAccessKey, credentials.sessionToken ?? ""].filter { $0.utf8.count >= 8 })
        return error
    }

    static func networkError(_ error: HTTPClientError) -> RDSError {
        switch error.kind {
        case .tls: RDSError(code: "TLS", message: error.message)
        case .responseTooLarge: RDSError(code: "InvalidResponse", message: error.message)
        case .timeout: RDSError(code: "Network", message: "timed out: \(error.message)")
        case .connect, .connectionLost, .invalidRequest: RDSError(code: "Network", message: error.message)
        }
    }
}
