import SecretsManager
import SigV4

/// Where and as whom the RDS client calls, read from the environment the Secrets Manager client reads: the same
/// region, credentials, CA bundle and `AWS_MAX_ATTEMPTS`, and RDS's own endpoint.
public struct RDSConfiguration: Sendable {
    public var endpoint: ServiceEndpoint
    public var region: String
    public var credentials: any CredentialProvider
    public var caBundlePath: String?
    public var maxAttempts: Int
    public var connectTimeoutMilliseconds: Int

    /// Variables naming a custom RDS endpoint, first match wins
    /// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html): a VPC endpoint, or a local one.
    static let customEndpointVariables = ["AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL"]

    /// - Throws: `RDSError` with code `Configuration` for what `SecretsManagerConfiguration` refuses, a malformed
    ///   RDS endpoint, a custom endpoint combined with FIPS or dual-stack, or plain http:// off this machine.
    public init(environment: [String: String]) throws(RDSError) {
        do throws(SecretsManagerConfigurationError) {
            let shared = try SecretsManagerConfiguration(environment: environment)
            region = shared.region
            credentials = shared.credentials
            caBundlePath = shared.caBundlePath
            maxAttempts = shared.maxAttempts
            connectTimeoutMilliseconds = shared.connectTimeoutMilliseconds
            endpoint = try Self.endpoint(environment: environment, region: shared.region)
        } catch {
            throw RDSError(code: "Configuration", message: error.message)
        }
        if endpoint.scheme == "http" && !endpoint.isLoopback
            && !["true", "1", "yes", "y"].contains((environment["ROTATOR_ALLOW_INSECURE_ENDPOINT"] ?? "").lowercased())
        {
            throw RDSError(
                code: "Configuration",
                message: "the RDS endpoint \(endpoint.url) is plain http://: use https://, or set "
                    + "ROTATOR_ALLOW_INSECURE_ENDPOINT=true if that network path is trusted")
        }
    }

    /// A custom endpoint, else RDS's modeled one: `rds[-fips].<region>.<partition's DNS suffix>`, the dual-stack
    /// suffix (`api.aws` in the aws partition) with AWS_USE_DUALSTACK_ENDPOINT
    /// (https://docs.aws.amazon.com/general/latest/gr/rds-service.html).
    static func endpoint(environment: [String: String], region: String) throws(SecretsManagerConfigurationError)
        -> ServiceEndpoint
    {
        let useFIPS = try EndpointResolver.flag("AWS_USE_FIPS_ENDPOINT", in: environment)
        let useDualStack = try EndpointResolver.flag("AWS_USE_DUALSTACK_ENDPOINT", in: environment)
        for variable in customEndpointVariables {
            guard let value = environment[variable], !value.isEmpty else { continue }
            if useFIPS || useDualStack {
                throw SecretsManagerConfigurationError(
                    "Invalid Configuration: \(useFIPS ? "FIPS" : "Dualstack") and custom endpoint are not supported (\(variable) is set)"
                )
            }
            return try ServiceEndpoint(parsing: value, source: variable)
        }
        let partition = Partition.of(region: region)
        let suffix = useDualStack ? partition.dualStackDNSSuffix : partition.dnsSuffix
        return try ServiceEndpoint(
            parsing: "https://\(useFIPS ? "rds-fips" : "rds").\(region).\(suffix)", source: "AWS_REGION")
    }
}
