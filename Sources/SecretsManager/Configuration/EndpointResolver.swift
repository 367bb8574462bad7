/// Chooses the Secrets Manager endpoint as the AWS SDKs do (https://docs.aws.amazon.com/general/latest/gr/asm.html,
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html; the values were
/// checked against botocore's endpoint rule set for secretsmanager).
package enum EndpointResolver {
    /// Variables naming a custom endpoint, first match wins. `SECRETS_MANAGER_ENDPOINT` is the rotation
    /// templates' own variable.
    static let customEndpointVariables = [
        "SECRETS_MANAGER_ENDPOINT", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL",
    ]

    /// - Throws: a configuration error for a malformed URL or boolean, or a custom endpoint combined with
    ///   FIPS or dual-stack (the SDKs' own "Invalid Configuration" errors).
    static func resolve(environment: [String: String], region: String) throws(SecretsManagerConfigurationError)
        -> ServiceEndpoint
    {
        let useFIPS = try flag("AWS_USE_FIPS_ENDPOINT", in: environment)
        let useDualStack = try flag("AWS_USE_DUALSTACK_ENDPOINT", in: environment)
        for variable in customEndpointVariables {
            guard let value = environment.nonEmpty(variable) else { continue }
            if useFIPS {
                throw SecretsManagerConfigurationError(
                    "Invalid Configuration: FIPS and custom endpoint are not supported (\(variable) is set and AWS_USE_FIPS_ENDPOINT=true)"
                )
            }
            if useDualStack {
                throw SecretsManagerConfigurationError(
                    "Invalid Configuration: Dualstack and custom endpoint are not supported (\(variable) is set and AWS_USE_DUALSTACK_ENDPOINT=true)"
                )
            }
            return try ServiceEndpoint(parsing: value, source: variable)
        }
        return try ServiceEndpoint(
            parsing: standardURL(region: region, useFIPS: useFIPS, useDualStack: useDualStack), source: "AWS_REGION")
    }

    /// The modeled endpoint for `region`.
    static func standardURL(region: String, useFIPS: Bool, useDualStack: Bool) -> String {
        let partition = Partition.of(region: region)
        let prefix = useFIPS ? "secretsmanager-fips" : "secretsmanager"
        let suffix: String
        switch (useFIPS, useDualStack) {
        case (_, false):
            suffix = partition.dnsSuffix
        case (false, true):
            // The standard hosts of these partitions already answer over IPv6.
            suffix = partition.servesDualStackOnStandardHost ? partition.dnsSuffix : partition.dualStackDNSSuffix
        case (true, true):
            suffix =
                partition.name == "aws" || partition.name == "aws-us-gov"
                ? "amazonaws.com" : partition.dualStackDNSSuffix
        }
        return "https://\(prefix).\(region).\(suffix)"
    }

    /// Reads an SDK boolean variable: `true` or `false` in any case; unset or empty is `false`.
    package static func flag(_ name: String, in environment: [String: String]) throws(SecretsManagerConfigurationError)
        -> Bool
    {
        guard let value = environment.nonEmpty(name) else { return false }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw SecretsManagerConfigurationError("\(name) must be true or false (got \"\(value)\")")
        }
    }
}

/// The parts of an AWS partition that endpoint resolution needs (botocore `partitions.json`).
package struct Partition: Sendable {
    package let name: String
    package let dnsSuffix: String
    package let dualStackDNSSuffix: String

    var servesDualStackOnStandardHost: Bool { name == "aws" || name == "aws-us-gov" || name == "aws-cn" }

    private static let aws = Partition(name: "aws", dnsSuffix: "amazonaws.com", dualStackDNSSuffix: "api.aws")

    /// Region prefixes in the order that keeps `us-iso-`, `us-isob-`, `us-isof-` and `us-gov-` ahead of `us-`.
    private static let byPrefix: [(prefix: String, partition: Partition)] = [
        (
            "cn-",
            Partition(name: "aws-cn", dnsSuffix: "amazonaws.com.cn", dualStackDNSSuffix: "api.amazonwebservices.com.cn")
        ),
        ("us-gov-", Partition(name: "aws-us-gov", dnsSuffix: "amazonaws.com", dualStackDNSSuffix: "api.aws")),
        ("us-isob-", Partition(name: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov", dualStackDNSSuffix: "api.aws.scloud")),
        (
            "us-isof-",
            Partition(name: "aws-iso-f", dnsSuffix: "csp.hci.ic.gov", dualStackDNSSuffix: "api.aws.hci.ic.gov")
        ),
        ("us-iso-", Partition(name: "aws-iso", dnsSuffix: "c2s.ic.gov", dualStackDNSSuffix: "api.aws.ic.gov")),
        (
            "eu-isoe-",
            Partition(name: "aws-iso-e", dnsSuffix: "cloud.adc-e.uk", dualStackDNSSuffix: "api.cloud-aws.adc-e.uk")
        ),
        (
            "eusc-",
            Partition(name: "aws-eusc", dnsSuffix: "amazonaws.eu", dualStackDNSSuffix: "api.amazonwebservices.eu")
        ),
    ]

    /// The partition of `region`; unknown regions belong to `aws`, as in the SDKs.
    package static func of(region: String) -> Partition {
        byPrefix.first(where: { region.hasPrefix($0.prefix) })?.partition ?? aws
    }
}
