import HTTPClient
import JSON
import Rotation
import SecretsManager
import SigV4
import Timekeeping

/// What `rotator doctor` reads of the rotation function: Lambda's GetFunctionConfiguration
/// (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html). Of the environment only
/// `ROTATOR_TARGET` is kept: other variables may hold values nobody should see in a report.
package struct DeployedFunction: Sendable, Equatable {
    package var name: String
    package var runtime: String?
    package var architectures: [String]
    package var timeoutSeconds: Int?
    /// `Pending`, `Active`, `Inactive` or `Failed`.
    package var state: String?
    package var subnetCount: Int
    /// `nil` when the function does not set it, or its environment could not be decrypted.
    package var rotatorTarget: String?

    package init(
        name: String, runtime: String?, architectures: [String], timeoutSeconds: Int?, state: String?,
        subnetCount: Int, rotatorTarget: String?
    ) {
        self.name = name
        self.runtime = runtime
        self.architectures = architectures
        self.timeoutSeconds = timeoutSeconds
        self.state = state
        self.subnetCount = subnetCount
        self.rotatorTarget = rotatorTarget
    }
}

/// Whether the function could be read, and if not, whether that says anything about the function.
package enum DeployedFunctionLookup: Sendable, Equatable {
    case found(DeployedFunction)
    case notFound
    /// The caller may not read it: the check is skipped, not failed.
    case noPermission
    /// No answer, or one that could not be read: cannot tell.
    case unknown(String)
}

/// Reads function configurations, signed as the Secrets Manager client signs (same credentials and region).
package protocol DeployedFunctionReading: Sendable {
    func lookup(_ function: String) -> DeployedFunctionLookup
}

/// GetFunctionConfiguration over Lambda's REST API: one signed GET, one attempt (the doctor reports, it does not
/// insist), at `AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL`, or Lambda's regional endpoint.
package struct LambdaFunctionReader: DeployedFunctionReading {
    let endpoint: ServiceEndpoint
    let configuration: SecretsManagerConfiguration

    package init(environment: [String: String], configuration: SecretsManagerConfiguration) throws {
        self.configuration = configuration
        if let variable = ["AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL"].first(where: {
            !(environment[$0] ?? "").isEmpty
        }) {
            endpoint = try ServiceEndpoint(parsing: environment[variable] ?? "", source: variable)
        } else {
            endpoint = try ServiceEndpoint(
                parsing:
                    "https://lambda.\(configuration.region).\(Partition.of(region: configuration.region).dnsSuffix)",
                source: "AWS_REGION")
        }
    }

    package func lookup(_ function: String) -> DeployedFunctionLookup {
        let response: HTTPResponse
        do {
            let credentials = try configuration.credentials.credentials()
            // An ARN's colons are legal in a path segment (RFC 3986 `pchar`) and go as they are: then the path the
            // server signs is the one sent, whether or not it decodes `%3A` first (moto does).
            let segment = function.split(separator: ":", omittingEmptySubsequences: false).map {
                URIEncoding.encode($0)
            }.joined(separator: ":")
            let path = "/2015-03-31/functions/\(segment)/configuration"
            let headers: [(name: String, value: String)] = [("Host", endpoint.hostHeader)]
            let signature = SigV4Signer(credentials: credentials, region: configuration.region, service: "lambda")
                .sign(
                    SignableRequest(method: "GET", path: path, headers: headers, body: []),
                    at: SigningDate(secondsSinceEpoch: Deadline.now().epochMilliseconds / 1_000))
            var sent = HTTPHeaders()
            for header in headers + signature.headersToAdd { sent.add(name: header.name, value: header.value) }
            let client = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: 3_000, caBundlePath: configuration.caBundlePath,
                    usesEnvironmentProxy: true, maxResponseBytes: 1 << 20, userAgent: "rotator-doctor/1"))
            let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
            response = try client.send(
                HTTPRequest(
                    method: .get, url: "\(endpoint.scheme)://\(endpoint.hostHeader)\(base)\(path)", headers: sent,
                    timeoutMilliseconds: 10_000))
        } catch {
            return .unknown("\(error)")
        }
        let document = try? JSONValue(parsing: response.body)
        // REST services name the error in a header (`AccessDeniedException:http://…`); moto in the body's `__type`,
        // or for a refused signature or permission in an XML `<Code>`.
        let text = String(decoding: response.body.prefix(2_048), as: UTF8.self)
        let xmlCode = text.firstRange(of: "<Code>").flatMap { start in
            text[start.upperBound...].split(separator: "<", maxSplits: 1).first.map(String.init)
        }
        let errorType =
            (response.headers["x-amzn-ErrorType"] ?? document?["__type"]?.stringValue ?? xmlCode ?? "")
            .split(separator: ":").first.map(String.init) ?? ""
        switch response.status {
        case 200:
            guard let object = document?.objectValue else { return .unknown("the answer is not a JSON object") }
            let variables = object["Environment"]?["Variables"]?.objectValue
            return .found(
                DeployedFunction(
                    name: object["FunctionName"]?.stringValue ?? function, runtime: object["Runtime"]?.stringValue,
                    architectures: (object["Architectures"]?.arrayValue ?? []).compactMap(\.stringValue),
                    timeoutSeconds: object["Timeout"]?.intValue, state: object["State"]?.stringValue,
                    subnetCount: object["VpcConfig"]?["SubnetIds"]?.arrayValue?.count ?? 0,
                    rotatorTarget: variables?["ROTATOR_TARGET"]?.stringValue))
        case 404:
            return .notFound
        case 403 where errorType.hasPrefix("AccessDenied"):
            return .noPermission
        default:
            return .unknown("HTTP \(response.status)\(errorType.isEmpty ? "" : " \(errorType)")")
        }
    }
}

extension LocalRotation {
    /// The rotation function as deployed: it exists and is active, a custom runtime, a timeout a rotation fits in,
    /// and a `ROTATOR_TARGET` that this secret's target agrees with. Skipped when it cannot be read.
    func deployedFunctionCheck(_ function: String?, secret description: SecretDescription, target: any TargetService)
        -> DiagnosticCheck
    {
        let name = "deployed function"
        guard let arn = function, !arn.isEmpty else {
            return .skipped(name, "the secret names no rotation function (--function names the one to check)")
        }
        guard let functions else { return .skipped(name, "no Lambda client in this mode") }
        switch functions.lookup(arn) {
        case .noPermission:
            return .skipped(name, "no permission: allow lambda:GetFunctionConfiguration on \(arn) to check it")
        case .unknown(let reason):
            return .skipped(name, "could not read \(arn): \(reason)")
        case .notFound:
            return .failed(
                name, "\(arn) does not exist (Secrets Manager would fail to invoke it)",
                advice: "deploy template.yaml, or point the secret at the function: aws secretsmanager rotate-secret "
                    + "--secret-id \(description.name) --rotation-lambda-arn <function ARN>")
        case .found(let function):
            return Self.judge(function, target: target)
        }
    }

    /// The minimum covers the Secrets Manager calls' own budget (3 attempts of 10 s) and a database's connect.
    static let shortestWorkableTimeout = 30

    static func judge(_ function: DeployedFunction, target: any TargetService) -> DiagnosticCheck {
        let name = "deployed function"
        let runtime = function.runtime ?? "no runtime (a container image)"
        let summary =
            "\(function.name): \(runtime) \(function.architectures.joined(separator: ","))"
            + ", timeout \(function.timeoutSeconds.map(String.init) ?? "?") s, "
            + (function.subnetCount > 0 ? "in a VPC (\(function.subnetCount) subnets)" : "not in a VPC")
            + ", ROTATOR_TARGET \(function.rotatorTarget ?? "unset (auto)")"
        if let state = function.state, state == "Failed" || state == "Inactive" {
            return .failed(
                name, "\(summary); state \(state)", advice: "redeploy the function; Lambda says why in its StateReason")
        }
        if let timeout = function.timeoutSeconds, timeout < shortestWorkableTimeout {
            return .failed(
                name, "\(summary): a \(timeout) s timeout can end a step mid-way",
                advice: "set Timeout to at least \(shortestWorkableTimeout) s (template.yaml sets 180)")
        }
        if let configured = function.rotatorTarget, !configured.isEmpty, configured != "auto", configured != target.name
        {
            return .failed(
                name, "\(summary): it rotates as target \(configured), but this secret needs target \(target.name)",
                advice: "set ROTATOR_TARGET to auto (or \(target.name)), or use another function for this secret")
        }
        return .passed(name, summary)
    }
}
