import HTTPClient

/// Credentials served over HTTP by the platform: the container credentials endpoint (ECS tasks, EKS Pod Identity,
/// CodeBuild) and the EC2 instance metadata service (IMDSv2). Both are reached directly, never through a proxy.
enum MetadataEndpoints {
    /// The container endpoint named by `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (under 169.254.170.2) or
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the token of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html).
    /// `nil` when neither URI variable is set.
    static func container(environment: [String: String], files: LocalFiles) throws(SecretsManagerConfigurationError)
        -> (@Sendable () throws(CredentialError) -> ExpiringCredentials)?
    {
        let url: String
        if let relative = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            url = "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            let endpoint = try ServiceEndpoint(parsing: full, source: "AWS_CONTAINER_CREDENTIALS_FULL_URI")
            // Plain HTTP only to this machine or the platform's own link-local addresses: the answer is a credential.
            let platformHosts = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"]
            guard endpoint.scheme == "https" || endpoint.isLoopback || platformHosts.contains(endpoint.host) else {
                throw SecretsManagerConfigurationError(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI may use http:// only for a loopback address, 169.254.170.2 or "
                        + "169.254.170.23 (EKS Pod Identity); use https:// for \(endpoint.host)")
            }
            url = endpoint.requestURL
        } else {
            return nil
        }
        let tokenFile = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        let fixedToken = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        return { () throws(CredentialError) -> ExpiringCredentials in
            // The token file is read at every fetch: the platform rotates it.
            var token = fixedToken
            if let tokenFile {
                guard let text = files.read(tokenFile) else {
                    throw CredentialError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
                }
                token = text.trimmingWhitespace
            }
            var headers = HTTPHeaders()
            if let token {
                guard !token.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw CredentialError("the container authorization token has a line break; it is not sent")
                }
                headers.add(name: "Authorization", value: token)
            }
            let response = try get(url, headers: headers, origin: "the container credentials endpoint", attempts: 3)
            guard response.status == 200 else {
                throw CredentialError("the container credentials endpoint \(url) answered HTTP \(response.status)")
            }
            return try CredentialDocument.read(response.body, origin: "the container credentials endpoint \(url)")
        }
    }

    /// The instance role's credentials from IMDSv2 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html):
    /// a session token from `PUT /latest/api/token`, then the role's name and its credentials. One-second timeouts,
    /// as the SDKs use. There is no fallback to IMDSv1: an instance that refuses tokens is an error, not a downgrade.
    static func instanceMetadata(environment: [String: String]) throws(SecretsManagerConfigurationError)
        -> @Sendable () throws(CredentialError) -> ExpiringCredentials
    {
        let base: String
        if let custom = environment.nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            base = try ServiceEndpoint(parsing: custom, source: "AWS_EC2_METADATA_SERVICE_ENDPOINT").url
        } else if environment.nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")?.lowercased() == "ipv6" {
            base = "http://[fd00:ec2::254]"
        } else {
            base = "http://169.254.169.254"
        }
        return { () throws(CredentialError) -> ExpiringCredentials in
            let origin = "the instance metadata service (IMDSv2) at \(base)"
            let tokenResponse: HTTPResponse
            do throws(CredentialError) {
                tokenResponse = try send(
                    HTTPRequest(
                        method: .put, url: base + "/latest/api/token",
                        headers: HTTPHeaders(["X-aws-ec2-metadata-token-ttl-seconds": "21600"]),
                        timeoutMilliseconds: 1_000), origin: origin)
            } catch {
                throw CredentialError(
                    "\(error.message). Off EC2 this means no instance role; in a container on EC2 the instance's "
                        + "metadata hop limit (HttpPutResponseHopLimit) must be 2 for the token to reach it")
            }
            guard tokenResponse.status == 200, !tokenResponse.body.isEmpty else {
                throw CredentialError(
                    "\(origin) refused a session token (HTTP \(tokenResponse.status)); IMDSv1 is not used")
            }
            let token = HTTPHeaders(["X-aws-ec2-metadata-token": String(decoding: tokenResponse.body, as: UTF8.self)])
            let rolesURL = base + "/latest/meta-data/iam/security-credentials/"
            let roles = try send(
                HTTPRequest(method: .get, url: rolesURL, headers: token, timeoutMilliseconds: 1_000), origin: origin)
            guard roles.status == 200,
                let role = String(decoding: roles.body, as: UTF8.self).split(separator: "\n").first.map(String.init),
                !role.isEmpty
            else {
                throw CredentialError("\(origin) has no instance profile role (HTTP \(roles.status))")
            }
            let answer = try send(
                HTTPRequest(
                    method: .get, url: rolesURL + URIEncoding.encode(role), headers: token, timeoutMilliseconds: 1_000),
                origin: origin)
            guard answer.status == 200 else {
                throw CredentialError("\(origin) answered HTTP \(answer.status) for role \(role)")
            }
            return try CredentialDocument.read(answer.body, origin: "\(origin), role \(role)")
        }
    }

    private static func get(_ url: String, headers: HTTPHeaders, origin: String, attempts: Int) throws(CredentialError)
        -> HTTPResponse
    {
        var attempt = 1
        while true {
            do throws(CredentialError) {
                let response = try send(
                    HTTPRequest(method: .get, url: url, headers: headers, timeoutMilliseconds: 2_000), origin: origin)
                if response.status < 500 || attempt == attempts { return response }
            } catch  where attempt < attempts {
            }
            attempt += 1
        }
    }

    private static func send(_ request: HTTPRequest, origin: String) throws(CredentialError) -> HTTPResponse {
        do throws(HTTPClientError) {
            let client = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: 1_000, usesEnvironmentProxy: false, maxResponseBytes: 64 << 10,
                    userAgent: "rotator-credentials/1"))
            return try client.send(request)
        } catch {
            throw CredentialError("\(origin) did not answer: \(error.message)")
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks (a token file's final newline).
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
