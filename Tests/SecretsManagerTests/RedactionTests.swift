import HTTPClient
import SigV4
import Testing

@testable import SecretsManager

/// No textual form of credentials, configuration, responses or errors contains a secret key, token or value.
@Suite struct RedactionTests {
    static let secretKey = "zzSECRETzzKEYzzwJalrXUtnFEMI"
    static let token = "zzTOKENzzIQoJb3JpZ2luX2Vj"
    static let secretValue = "zzVALUEzzhunter2"

    static func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(reflecting: value), dumped]
    }

    @Test func configurationAndCredentialsAreRedacted() throws {
        let configuration = try SecretsManagerConfiguration(environment: [
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "ASIAVISIBLE", "AWS_SECRET_ACCESS_KEY": Self.secretKey,
            "AWS_SESSION_TOKEN": Self.token,
        ])
        let texts = Self.renderings(configuration) + Self.renderings(configuration.credentials)
        for text in texts {
            #expect(!text.contains(Self.secretKey))
            #expect(!text.contains(Self.token))
        }
        #expect("\(configuration)".contains("ASIAVISIBLE"))
    }

    @Test func secretValueResponseIsRedacted() {
        let response = SecretValueResponse(
            arn: "arn", name: "n", versionId: "v", secretString: Self.secretValue,
            secretBinary: Array(Self.secretValue.utf8),
            versionStages: ["AWSCURRENT"], createdDate: nil)
        for text in Self.renderings(response) + Self.renderings([response]) {
            #expect(!text.contains(Self.secretValue))
        }
    }

    @Test func endpointWithUserInformationIsNotRepeated() {
        let error = #expect(throws: SecretsManagerConfigurationError.self) {
            try SecretsManagerConfiguration(environment: [
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B",
                "SECRETS_MANAGER_ENDPOINT": "https://proxyuser:zzPROXYPASSzz@proxy.example.com",
            ])
        }
        #expect(error?.message.contains("zzPROXYPASSzz") == false)
    }

    @Test func malformedEndpointsAreConfigurationErrorsThatNameTheirSource() {
        let error = #expect(throws: SecretsManagerConfigurationError.self) {
            try ServiceEndpoint(parsing: "not a url", source: "SECRETS_MANAGER_ENDPOINT")
        }
        #expect(error?.message.hasPrefix("SECRETS_MANAGER_ENDPOINT must be an http:// or https:// URL") == true)
    }

    @Test func configurationErrorsNeverShowKeys() {
        let errors: [SecretsManagerConfigurationError] = [
            #expect(throws: SecretsManagerConfigurationError.self) {
                try SecretsManagerConfiguration(environment: [
                    "AWS_SECRET_ACCESS_KEY": Self.secretKey, "AWS_SESSION_TOKEN": Self.token,
                ])
            },
            #expect(throws: SecretsManagerConfigurationError.self) {
                try SecretsManagerConfiguration(environment: [
                    "AWS_REGION": "us-east-1", "AWS_SECRET_ACCESS_KEY": Self.secretKey, "AWS_SESSION_TOKEN": Self.token,
                    "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
                ])
            },
        ].compactMap { $0 }
        #expect(errors.count == 2)
        for error in errors {
            #expect(!"\(error)".contains(Self.secretKey))
            #expect(!"\(error)".contains(Self.token))
        }
    }
}
