import HTTPClient
import Testing

@testable import SecretsManager

/// Endpoint and region resolution from a dictionary (the process environment is never touched).
@Suite struct EndpointResolutionTests {
    static let keys = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"]

    static func configuration(_ variables: [String: String]) throws(SecretsManagerConfigurationError)
        -> SecretsManagerConfiguration
    {
        try SecretsManagerConfiguration(environment: keys.merging(variables) { _, new in new }, files: .none)
    }

    /// Expected URLs from botocore 1.43's endpoint rule set for secretsmanager (`EndpointProvider.resolve_endpoint`
    /// with Region, UseFIPS, UseDualStack), run on this machine.
    @Test(arguments: [
        ("us-east-1", false, false, "https://secretsmanager.us-east-1.amazonaws.com"),
        ("us-east-1", true, false, "https://secretsmanager-fips.us-east-1.amazonaws.com"),
        ("us-east-1", false, true, "https://secretsmanager.us-east-1.amazonaws.com"),
        ("us-east-1", true, true, "https://secretsmanager-fips.us-east-1.amazonaws.com"),
        ("cn-north-1", false, false, "https://secretsmanager.cn-north-1.amazonaws.com.cn"),
        ("cn-north-1", true, false, "https://secretsmanager-fips.cn-north-1.amazonaws.com.cn"),
        ("cn-north-1", false, true, "https://secretsmanager.cn-north-1.amazonaws.com.cn"),
        ("cn-north-1", true, true, "https://secretsmanager-fips.cn-north-1.api.amazonwebservices.com.cn"),
        ("us-gov-west-1", true, true, "https://secretsmanager-fips.us-gov-west-1.amazonaws.com"),
        ("us-gov-west-1", false, true, "https://secretsmanager.us-gov-west-1.amazonaws.com"),
        ("us-iso-east-1", false, false, "https://secretsmanager.us-iso-east-1.c2s.ic.gov"),
        ("us-iso-east-1", false, true, "https://secretsmanager.us-iso-east-1.api.aws.ic.gov"),
        ("us-isob-east-1", true, false, "https://secretsmanager-fips.us-isob-east-1.sc2s.sgov.gov"),
        ("eu-isoe-west-1", true, true, "https://secretsmanager-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk"),
        ("us-isof-south-1", false, false, "https://secretsmanager.us-isof-south-1.csp.hci.ic.gov"),
        ("eusc-de-east-1", false, true, "https://secretsmanager.eusc-de-east-1.api.amazonwebservices.eu"),
        ("xx-foo-1", false, false, "https://secretsmanager.xx-foo-1.amazonaws.com"),
    ])
    func modeledEndpoint(region: String, fips: Bool, dualStack: Bool, expected: String) throws {
        let configuration = try Self.configuration([
            "AWS_REGION": region, "AWS_USE_FIPS_ENDPOINT": fips ? "true" : "false",
            "AWS_USE_DUALSTACK_ENDPOINT": dualStack ? "TRUE" : "",
        ])
        #expect(configuration.endpoint.url == expected)
        #expect(configuration.region == region)
    }

    @Test func customEndpointsInPrecedenceOrder() throws {
        let all = [
            "AWS_REGION": "eu-west-1", "SECRETS_MANAGER_ENDPOINT": "http://127.0.0.1:4566/",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": "https://sm.example.com", "AWS_ENDPOINT_URL": "https://all.example.com",
        ]
        #expect(try Self.configuration(all).endpoint.url == "http://127.0.0.1:4566")
        var rest = all
        rest["SECRETS_MANAGER_ENDPOINT"] = ""  // empty counts as unset
        #expect(try Self.configuration(rest).endpoint.url == "https://sm.example.com")
        rest["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = nil
        #expect(try Self.configuration(rest).endpoint.url == "https://all.example.com")
        // The signing region never comes from the host (VPC endpoint names do not carry it reliably).
        let vpce = try Self.configuration([
            "AWS_REGION": "eu-west-1",
            "SECRETS_MANAGER_ENDPOINT": "https://vpce-0a1b.secretsmanager.us-east-1.vpce.amazonaws.com",
        ])
        #expect(vpce.region == "eu-west-1")
    }

    @Test(arguments: ["http://127.0.0.1:4566", "http://127.9.8.7", "http://localhost:5000", "http://[::1]:8080"])
    func plainHTTPToThisMachineIsAllowed(url: String) throws {
        #expect(
            try Self.configuration(["AWS_REGION": "us-east-1", "SECRETS_MANAGER_ENDPOINT": url]).endpoint.url == url)
    }

    @Test(arguments: [
        "http://secretsmanager.example.com", "http://10.0.0.5:4566", "http://127.0.0.1.example.com",
        "http://localhost.example",
    ])
    func plainHTTPElsewhereNeedsAnExplicitYes(url: String) throws {
        #expect {
            try Self.configuration(["AWS_REGION": "us-east-1", "SECRETS_MANAGER_ENDPOINT": url])
        } throws: { error in
            (error as? SecretsManagerConfigurationError)?.message.contains("ROTATOR_ALLOW_INSECURE_ENDPOINT=true")
                == true
        }
        let allowed = try Self.configuration([
            "AWS_REGION": "us-east-1", "SECRETS_MANAGER_ENDPOINT": url,
            "ROTATOR_ALLOW_INSECURE_ENDPOINT": "true",
        ])
        #expect(allowed.endpoint.url == url)
    }

    @Test func regionFallsBackToDefaultRegionAndIsRequired() throws {
        #expect(try Self.configuration(["AWS_DEFAULT_REGION": "ap-south-1"]).region == "ap-south-1")
        #expect(
            try Self.configuration(["AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "ap-south-1"]).region
                == "eu-north-1")
        let error = #expect(throws: SecretsManagerConfigurationError.self) { try Self.configuration([:]) }
        #expect(error?.message.contains("AWS_REGION") == true)
        #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration(["AWS_REGION": "us-east-1.evil.com/"])
        }
    }

    @Test func customEndpointWithFIPSOrDualStackIsAConfigurationError() {
        let fips = #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration([
                "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "https://x.example.com", "AWS_USE_FIPS_ENDPOINT": "true",
            ])
        }
        #expect(fips?.message.contains("FIPS and custom endpoint are not supported") == true)
        let dualStack = #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration([
                "AWS_REGION": "us-east-1", "SECRETS_MANAGER_ENDPOINT": "https://x.example.com",
                "AWS_USE_DUALSTACK_ENDPOINT": "true",
            ])
        }
        #expect(dualStack?.message.contains("Dualstack and custom endpoint are not supported") == true)
        #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration(["AWS_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": "yes"])
        }
    }

    @Test(arguments: [
        "ftp://x", "http://", "https://h:0", "https://h:99999", "https://user@h", "h.example.com", "https://h/?q=1",
    ])
    func malformedEndpointsAreRejected(url: String) {
        #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration(["AWS_REGION": "us-east-1", "SECRETS_MANAGER_ENDPOINT": url])
        }
    }

    /// The Host header carries the port only when it is not the scheme's default (https://www.rfc-editor.org/rfc/rfc9110#section-7.2).
    @Test(arguments: [
        ("https://X.Example.com:443/", "x.example.com", "https://x.example.com/"),
        ("http://localhost:4566", "localhost:4566", "http://localhost:4566/"),
        ("http://x:443", "x:443", "http://x:443/"),
        ("https://x:80", "x:80", "https://x:80/"),
        ("http://[::1]:8080", "[::1]:8080", "http://[::1]:8080/"),
        ("https://proxy.example.com/prefix/", "proxy.example.com", "https://proxy.example.com/prefix"),
    ])
    func hostHeader(url: String, host: String, requestURL: String) throws {
        let endpoint = try ServiceEndpoint(parsing: url, source: "test")
        #expect(endpoint.hostHeader == host)
        #expect(endpoint.requestURL == requestURL)
    }

    @Test func maxAttemptsAndCABundle() throws {
        #expect(try Self.configuration(["AWS_REGION": "us-east-1"]).maxAttempts == 3)
        #expect(try Self.configuration(["AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "5"]).maxAttempts == 5)
        #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.configuration(["AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "0"])
        }
        let environment = Self.keys.merging(["AWS_REGION": "us-east-1"]) { _, new in new }
        // The first bundle that exists, in the documented order: Amazon Linux, then Debian, then others.
        let debianOnly = LocalFiles(
            read: { _ in nil }, exists: { $0 == "/etc/ssl/certs/ca-certificates.crt" || $0 == "/etc/ssl/cert.pem" })
        #expect(
            try SecretsManagerConfiguration(environment: environment, files: debianOnly).caBundlePath
                == "/etc/ssl/certs/ca-certificates.crt")
        let all = LocalFiles(read: { _ in nil }, exists: { _ in true })
        #expect(
            try SecretsManagerConfiguration(environment: environment, files: all).caBundlePath
                == "/etc/pki/tls/certs/ca-bundle.crt")
        var custom = environment
        custom["AWS_CA_BUNDLE"] = "/opt/corp/ca.pem"
        #expect(try SecretsManagerConfiguration(environment: custom, files: all).caBundlePath == "/opt/corp/ca.pem")
        #expect(throws: SecretsManagerConfigurationError.self) {
            try SecretsManagerConfiguration(environment: custom, files: .none)
        }
        #expect(try SecretsManagerConfiguration(environment: environment, files: .none).caBundlePath == nil)
    }
}

extension LocalFiles {
    /// A file system with no files at all.
    static let none = LocalFiles(read: { _ in nil }, exists: { _ in false })
}
