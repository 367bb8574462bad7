import HTTPClient
import Logging
import Redaction
import SigV4
import Timekeeping
import XML

/// The two STS actions the credential chain needs (https://docs.aws.amazon.com/STS/latest/APIReference/):
/// `AssumeRole`, signed with the source credentials, and `AssumeRoleWithWebIdentity`, which is unsigned: the token
/// is the proof. The endpoint is STS's regional one (`AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL` replace it), or
/// the global `sts.amazonaws.com` when no region is configured.
package struct SecurityTokenService: Sendable {
    package let endpoint: ServiceEndpoint
    package let signingRegion: String
    private let caBundlePath: String?
    /// Each call gets this long, retries included; a role is assumed before anything else can happen.
    private let callSeconds: Int64 = 30

    package init(environment: [String: String], region: String?, caBundlePath: String?)
        throws(SecretsManagerConfigurationError)
    {
        self.caBundlePath = caBundlePath
        signingRegion = region ?? "us-east-1"
        if let custom = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"].first(where: { environment.nonEmpty($0) != nil }) {
            endpoint = try ServiceEndpoint(parsing: environment[custom] ?? "", source: custom)
        } else if let region {
            let useFIPS = try EndpointResolver.flag("AWS_USE_FIPS_ENDPOINT", in: environment)
            endpoint = try ServiceEndpoint(
                parsing: "https://\(useFIPS ? "sts-fips" : "sts").\(region).\(Partition.of(region: region).dnsSuffix)",
                source: "AWS_REGION")
        } else {
            endpoint = try ServiceEndpoint(parsing: "https://sts.amazonaws.com", source: "STS's global endpoint")
        }
    }

    /// `AssumeRole` as `source`; the answer's temporary credentials and their expiration.
    package func assumeRole(_ role: RoleToAssume, as source: Credentials) throws(CredentialError) -> ExpiringCredentials
    {
        var parameters = ["RoleArn": role.arn, "RoleSessionName": role.sessionName]
        if let externalId = role.externalId { parameters["ExternalId"] = externalId }
        if let duration = role.durationSeconds { parameters["DurationSeconds"] = String(duration) }
        return try call(
            "AssumeRole", parameters, signedWith: StaticCredentialProvider(source, source: "source profile"),
            role: role.arn)
    }

    /// `AssumeRoleWithWebIdentity` with the token read from a file (EKS, GitHub Actions, …).
    package func assumeRole(_ role: RoleToAssume, webIdentityToken token: String) throws(CredentialError)
        -> ExpiringCredentials
    {
        var parameters = ["RoleArn": role.arn, "RoleSessionName": role.sessionName, "WebIdentityToken": token]
        if let duration = role.durationSeconds { parameters["DurationSeconds"] = String(duration) }
        do {
            return try call("AssumeRoleWithWebIdentity", parameters, signedWith: nil, role: role.arn)
        } catch {
            // A server that echoes the request must not carry the token into a message.
            throw CredentialError(error.message.redacting([token].filter { $0.utf8.count >= 8 }))
        }
    }

    private func call(
        _ action: String, _ parameters: [String: String], signedWith: (any CredentialProvider)?, role: String
    )
        throws(CredentialError) -> ExpiringCredentials
    {
        let result: XMLElement
        do throws(QueryError) {
            let client = try QueryProtocolClient(
                service: "STS", signingName: "sts", version: "2011-06-15", endpoint: endpoint, region: signingRegion,
                credentials: signedWith, caBundlePath: caBundlePath, maxAttempts: 3, connectTimeoutMilliseconds: 3_000,
                logger: Logger(label: "rotator.sts", factory: { _ in SwiftLogNoOpLogHandler() }))
            let deadline = Deadline(epochMilliseconds: Deadline.now().epochMilliseconds + callSeconds * 1_000)
            result = try client.call(action, parameters, deadline: deadline)
        } catch {
            throw CredentialError("STS \(action) for \(role) at \(endpoint.url) failed: \(error)")
        }
        guard let accessKey = result.text("Credentials", "AccessKeyId"), !accessKey.isEmpty,
            let secret = result.text("Credentials", "SecretAccessKey"), !secret.isEmpty,
            let token = result.text("Credentials", "SessionToken"), !token.isEmpty
        else {
            throw CredentialError(
                "STS \(action) for \(role) answered without AccessKeyId, SecretAccessKey and SessionToken")
        }
        let expiration = result.text("Credentials", "Expiration").flatMap(RFC3339.parse)
        return ExpiringCredentials(
            Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token), expiration: expiration)
    }
}

/// A role to assume and the profile settings that go with it
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html).
package struct RoleToAssume: Sendable, Equatable {
    package var arn: String
    package var sessionName: String
    package var externalId: String?
    /// 900 to 43,200; STS's default (an hour) when `nil`.
    package var durationSeconds: Int?
}
