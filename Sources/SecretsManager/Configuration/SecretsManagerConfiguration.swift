import HTTPClient
import SigV4

/// Everything a `SecretsManagerClient` needs, read once from the environment.
///
/// Its textual forms show the endpoint, region, access key id and settings, never the secret key or token.
public struct SecretsManagerConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Requests go here, e.g. `https://secretsmanager.us-east-1.amazonaws.com` or a custom endpoint.
    public var endpoint: ServiceEndpoint
    /// The signing region. Always configured: a VPC endpoint's host does not contain it.
    public var region: String
    /// Attempts per call, including the first (`AWS_MAX_ATTEMPTS`, default 3).
    public var maxAttempts: Int
    /// The only CA certificates trusted for HTTPS; `nil` when none of the known bundles exists.
    public var caBundlePath: String?
    /// Where signing credentials come from (the SDKs' chain); asked before every request.
    public var credentials: any CredentialProvider
    /// How long to wait for a TCP/TLS connection, before the call's deadline caps it further.
    public var connectTimeoutMilliseconds: Int = 3_000

    /// Resolves endpoint, signing region, credentials, CA bundle and retry settings from environment variables.
    ///
    /// - Throws: `SecretsManagerConfigurationError` when the region is missing, a variable is malformed, a
    ///   custom endpoint is combined with FIPS or dual-stack, `AWS_CA_BUNDLE` names a missing file, or no
    ///   supported credentials exist. Report its message and stop: retrying cannot help.
    public init(environment: [String: String]) throws(SecretsManagerConfigurationError) {
        try self.init(environment: environment, files: .system)
    }

    /// The same, with the file system replaced (tests).
    init(
        environment: [String: String], files: LocalFiles, clock: @escaping @Sendable () -> Double = WallClock.seconds
    ) throws(SecretsManagerConfigurationError) {
        // The shared files are read only when the environment leaves something to them: never in Lambda, whose
        // environment holds the region and the role's keys, so a cold start opens no file for them.
        let environmentSuffices =
            (environment.nonEmpty("AWS_REGION") ?? environment.nonEmpty("AWS_DEFAULT_REGION")) != nil
            && environment.nonEmpty("AWS_ACCESS_KEY_ID") != nil
        let profiles = AWSProfiles(
            environment: environment,
            files: environmentSuffices ? LocalFiles(read: { _ in nil }, exists: files.exists) : files)
        // The profile's region comes after the variables, as in the SDKs
        // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html).
        guard
            let region = environment.nonEmpty("AWS_REGION") ?? environment.nonEmpty("AWS_DEFAULT_REGION")
                ?? profiles.profile(profiles.selected)?["region"]
        else {
            throw SecretsManagerConfigurationError(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), e.g. AWS_REGION=us-east-1, or region in "
                    + "profile \"\(profiles.selected)\" of \(profiles.configPath ?? "~/.aws/config")")
        }
        guard Self.isValidRegion(region) else {
            throw SecretsManagerConfigurationError(
                "AWS_REGION must be a region name such as us-east-1 (lowercase letters, digits and '-'), got \"\(region)\""
            )
        }
        self.region = region
        let endpoint = try EndpointResolver.resolve(environment: environment, region: region)
        // Plain HTTP carries every secret value in clear: only to this machine, or when the user says the path is safe.
        if endpoint.scheme == "http" && !endpoint.isLoopback {
            guard
                ["true", "1", "yes", "y"].contains((environment["ROTATOR_ALLOW_INSECURE_ENDPOINT"] ?? "").lowercased())
            else {
                throw SecretsManagerConfigurationError(
                    "the Secrets Manager endpoint \(endpoint.url) is plain http://, so secret values would cross the network "
                        + "unencrypted: use https://, or set ROTATOR_ALLOW_INSECURE_ENDPOINT=true if that network path is "
                        + "trusted (http:// to 127.0.0.1, ::1 or localhost is always allowed)")
            }
        }
        self.endpoint = endpoint
        self.maxAttempts = try Self.maxAttempts(environment)
        self.caBundlePath = try Self.caBundle(environment, files: files)
        self.credentials = try CredentialChain.resolve(
            CredentialChain.Context(
                environment: environment, files: files, profiles: profiles, region: region,
                caBundlePath: caBundlePath, clock: clock))
    }

    public var description: String {
        "SecretsManagerConfiguration(endpoint: \(endpoint), region: \(region), maxAttempts: \(maxAttempts), "
            + "caBundlePath: \(caBundlePath ?? "none"), credentials: \(credentialsDescription))"
    }

    public var debugDescription: String { description }

    /// The source, and the access key id where it is known without a fetch (it identifies the key; it is no secret).
    private var credentialsDescription: String {
        guard let fixed = credentials as? StaticCredentialProvider else { return credentials.source }
        return "\(credentials.source), access key \(fixed.credentials().accessKeyId)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }

    private static func maxAttempts(_ environment: [String: String]) throws(SecretsManagerConfigurationError) -> Int {
        guard let text = environment.nonEmpty("AWS_MAX_ATTEMPTS") else { return 3 }
        guard let value = Int(text), value >= 1, value <= 100 else {
            throw SecretsManagerConfigurationError(
                "AWS_MAX_ATTEMPTS must be a whole number from 1 to 100 (got \"\(text)\")")
        }
        return value
    }

    private static func caBundle(_ environment: [String: String], files: LocalFiles)
        throws(SecretsManagerConfigurationError) -> String?
    {
        if let path = environment.nonEmpty("AWS_CA_BUNDLE") {
            guard files.exists(path) else {
                throw SecretsManagerConfigurationError("AWS_CA_BUNDLE names \(path), which does not exist")
            }
            return path
        }
        return SystemCABundle.find(in: files)
    }

    /// A DNS label made of lowercase letters, digits and hyphens: the region ends up in a host name.
    private static func isValidRegion(_ region: String) -> Bool {
        region.utf8.count <= 63 && !region.hasPrefix("-") && !region.hasSuffix("-")
            && region.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-")
            }
    }
}
