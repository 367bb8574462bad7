import Foundation
import HTTPClient
import SigV4
import Testing

@testable import SecretsManager

/// Credential sources, from a dictionary and files written for the test.
@Suite struct CredentialResolutionTests {
    /// A fake file system holding `files` (path → text).
    static func files(_ files: [String: String]) -> LocalFiles {
        LocalFiles(read: { files[$0] }, exists: { files[$0] != nil })
    }

    static func resolve(_ environment: [String: String], _ files: [String: String] = [:])
        throws(SecretsManagerConfigurationError)
        -> Credentials
    {
        try CredentialResolver.resolve(environment: environment, files: Self.files(files))
    }

    @Test func environmentComesFirst() throws {
        let credentials = try Self.resolve(
            [
                "AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
                "HOME": "/home/u",
            ],
            [
                "/home/u/.aws/credentials":
                    "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n"
            ])
        #expect(
            credentials == Credentials(accessKeyId: "ASIAENV", secretAccessKey: "env-secret", sessionToken: "env-token")
        )
        #expect(throws: SecretsManagerConfigurationError.self) { try Self.resolve(["AWS_ACCESS_KEY_ID": "AKIA"]) }
    }

    @Test func defaultProfileFromHome() throws {
        let text = """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key=default/secret+key
            aws_session_token = tok
            [other]
            aws_access_key_id = AKIAOTHER
            aws_secret_access_key = other-secret
            """
        let credentials = try Self.resolve(["HOME": "/home/u"], ["/home/u/.aws/credentials": text])
        #expect(
            credentials
                == Credentials(accessKeyId: "AKIADEFAULT", secretAccessKey: "default/secret+key", sessionToken: "tok"))
        let other = try Self.resolve(
            ["HOME": "/home/u", "AWS_PROFILE": "other"], ["/home/u/.aws/credentials": text])
        #expect(other == Credentials(accessKeyId: "AKIAOTHER", secretAccessKey: "other-secret"))
    }

    @Test func sharedCredentialsFileVariableAndConfigFileKeys() throws {
        let fromVariable = try Self.resolve(
            ["AWS_SHARED_CREDENTIALS_FILE": "/tmp/creds", "AWS_PROFILE": "ci"],
            ["/tmp/creds": "[ci]\naws_access_key_id=AKIACI\naws_secret_access_key=ci-secret\n"])
        #expect(fromVariable.accessKeyId == "AKIACI")
        // Static keys in ~/.aws/config under [profile name].
        let fromConfig = try Self.resolve(
            ["HOME": "/h", "AWS_PROFILE": "dev"],
            [
                "/h/.aws/config":
                    "[profile dev]\nregion = eu-west-1\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"
            ])
        #expect(fromConfig == Credentials(accessKeyId: "AKIADEV", secretAccessKey: "dev-secret"))
    }

    @Test(arguments: [
        ("[profile p]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n", "role assumption (role_arn)"),
        ("[profile p]\nsso_session = corp\nsso_account_id = 1\n", "SSO (sso_session)"),
        ("[profile p]\nsso_start_url = https://x.awsapps.com/start\n", "SSO (sso_start_url)"),
        ("[profile p]\ncredential_process = /usr/bin/get-creds\n", "credential_process"),
        ("[profile p]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /t\n", "role assumption (role_arn)"),
    ])
    func unsupportedProfilesNameWhatIsUnsupported(config: String, named: String) {
        let error = #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.resolve(["HOME": "/h", "AWS_PROFILE": "p"], ["/h/.aws/config": config])
        }
        #expect(error?.message.contains(named) == true)
        #expect(error?.message.contains("not support") == true)
    }

    @Test func roleInCredentialsFileIsRefusedToo() {
        #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.resolve(
                ["HOME": "/h"],
                ["/h/.aws/credentials": "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = x\n"])
        }
    }

    /// botocore reads static keys from the credentials file before it would run credential_process.
    @Test func staticKeysWinOverCredentialProcessInConfig() throws {
        let credentials = try Self.resolve(
            ["HOME": "/h"],
            [
                "/h/.aws/credentials": "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n",
                "/h/.aws/config": "[default]\ncredential_process = /bin/false\n",
            ])
        #expect(credentials.accessKeyId == "AKIA1")
    }

    @Test func missingCredentialsSayWhereItLooked() {
        let error = #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.resolve(
                ["HOME": "/h", "AWS_PROFILE": "nope"],
                ["/h/.aws/credentials": "[default]\naws_access_key_id=A\naws_secret_access_key=B\n"])
        }
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
        #expect(error?.message.contains("/h/.aws/credentials") == true)
        #expect(error?.message.contains("\"nope\" was not found") == true)
        let halfKey = #expect(throws: SecretsManagerConfigurationError.self) {
            try Self.resolve(["HOME": "/h"], ["/h/.aws/credentials": "[default]\naws_access_key_id=A\n"])
        }
        #expect(halfKey?.message.contains("aws_secret_access_key") == true)
    }

    /// Real files, read through the default (system) file access.
    @Test func readsRealFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("credentials")
        try "[default]\r\naws_access_key_id = AKIAREAL\r\naws_secret_access_key = real-file-secret\r\n".write(
            to: file, atomically: true, encoding: .utf8)
        let configuration = try SecretsManagerConfiguration(environment: [
            "AWS_REGION": "us-east-1", "AWS_SHARED_CREDENTIALS_FILE": file.path, "HOME": directory.path,
        ])
        #expect(configuration.credentials == Credentials(accessKeyId: "AKIAREAL", secretAccessKey: "real-file-secret"))
    }
}
