import Foundation
import SecretsManager
import TestSupport
import TestTags
import Testing
import Timekeeping

/// The credential chain against moto's STS and Secrets Manager with signature checking: the credentials a profile's
/// role, a web identity or a credential_process yield are the ones every later request is signed and judged with.
@Suite(.tags(.server)) struct CredentialChainServerTests {
    static let role = "arn:aws:iam::123456789012:role/rotator-lambda"

    /// Shared files in a directory of their own, and an environment naming them (no keys in the environment).
    static func profiles(_ moto: MotoServer, credentials: String, config: String) throws
        -> (environment: [String: String], directory: URL)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try credentials.write(to: directory.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
        try config.write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        return (
            [
                "SECRETS_MANAGER_ENDPOINT": moto.endpoint, "AWS_ENDPOINT_URL_STS": moto.endpoint,
                "AWS_SHARED_CREDENTIALS_FILE": directory.appendingPathComponent("credentials").path,
                "AWS_CONFIG_FILE": directory.appendingPathComponent("config").path,
                "AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin",
            ], directory
        )
    }

    static func describe(_ environment: [String: String], _ secret: String) throws -> String {
        let client = try SecretsManagerClient(
            configuration: try SecretsManagerConfiguration(environment: environment), logger: LogRecorder().logger)
        return try client.describeSecret(secretId: secret, deadline: .after(milliseconds: 20_000)).name
    }

    @Test("a role_arn profile: AssumeRole with its source profile's keys, then Secrets Manager as that role")
    func assumeRoleProfile() throws {
        let moto = try MotoFixture.server()
        let secret = MotoFixture.uniqueName("profile-role")
        _ = try moto.createSecret(name: secret, secretString: #"{"password":"zzPROFILEzz"}"#)
        // The source user may only assume roles: whatever it reads, it reads as the role, which trusts that user.
        let userName = MotoFixture.uniqueName("source")
        let user = try moto.adminClient.user(allowedTo: ["sts:AssumeRole"], name: userName)
        let roleName = MotoFixture.uniqueName("operator")
        let role = "arn:aws:iam::123456789012:role/\(roleName)"
        try moto.adminClient.iam(
            "CreateRole",
            [
                ("RoleName", roleName),
                (
                    "AssumeRolePolicyDocument",
                    #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::123456789012:user/\#(userName)"}}]}"#
                ),
            ])
        try moto.adminClient.iam(
            "PutRolePolicy",
            [
                ("RoleName", roleName), ("PolicyName", "read"),
                (
                    "PolicyDocument",
                    #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*"}]}"#
                ),
            ])
        let (environment, directory) = try Self.profiles(
            moto,
            credentials:
                "[base]\naws_access_key_id = \(user.accessKeyId)\naws_secret_access_key = \(user.secretAccessKey)\n",
            config: """
                [profile base]
                region = us-east-1
                [profile ops]
                region = us-east-1
                role_arn = \(role)
                source_profile = base
                role_session_name = ci-ops
                duration_seconds = 900
                """)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try Self.describe(environment.merging(["AWS_PROFILE": "ops"]) { $1 }, secret) == secret)
        let denied = #expect(throws: SecretsManagerError.self) {
            try Self.describe(environment.merging(["AWS_PROFILE": "base"]) { $1 }, secret)
        }
        // moto answers AccessDenied where AWS answers AccessDeniedException.
        #expect(denied?.code.rawValue.hasPrefix("AccessDenied") == true)
        // A role the source may not assume is refused by STS, and the message says which role and where.
        let (unknown, other) = try Self.profiles(
            moto,
            credentials:
                "[base]\naws_access_key_id = AKIAUNKNOWNUSER00001\naws_secret_access_key = not-a-real-secret-key\n",
            config: "[profile ops]\nregion = us-east-1\nrole_arn = \(role)\nsource_profile = base\n")
        defer { try? FileManager.default.removeItem(at: other) }
        let refused = #expect(throws: SecretsManagerError.self) {
            try Self.describe(unknown.merging(["AWS_PROFILE": "ops"]) { $1 }, secret)
        }
        #expect(refused?.code == .credentialsUnavailable)
        #expect(refused?.message.contains("STS AssumeRole for \(role) at \(moto.endpoint) failed") == true)
        #expect(refused?.message.contains("not-a-real-secret-key") == false)
    }

    @Test("web identity: AssumeRoleWithWebIdentity with the token file, then Secrets Manager as the role")
    func webIdentity() throws {
        let moto = try MotoFixture.server()
        let secret = MotoFixture.uniqueName("web-identity")
        _ = try moto.createSecret(name: secret, secretString: #"{"password":"zzWEBzz"}"#)
        let (environment, directory) = try Self.profiles(moto, credentials: "", config: "")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln".write(
            to: tokenFile, atomically: true, encoding: .utf8)
        let web = environment.merging([
            "AWS_REGION": "us-east-1", "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path, "AWS_ROLE_ARN": Self.role,
        ]) { $1 }
        #expect(try Self.describe(web, secret) == secret)
    }

    @Test("rotator with a credential_process profile (how SSO is used): it works, and no credential is printed")
    func credentialProcessThroughTheCommandLine() throws {
        let moto = try MotoFixture.server()
        let secret = MotoFixture.uniqueName("process")
        _ = try moto.createSecret(name: secret, secretString: #"{"password":"zzPROCESSzz"}"#)
        let role = moto.roleCredentials
        let (environment, directory) = try Self.profiles(moto, credentials: "", config: "")
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = directory.appendingPathComponent("export.json")
        try """
        {"Version": 1, "AccessKeyId": "\(role.accessKeyId)", "SecretAccessKey": "\(role.secretAccessKey)",
         "SessionToken": "\(role.sessionToken ?? "")"}
        """.write(to: document, atomically: true, encoding: .utf8)
        let program = directory.appendingPathComponent("export-credentials")
        try "#!/bin/sh\necho \"debug: using key $(cat '\(document.path)')\" >&2\ncat '\(document.path)'\n".write(
            to: program, atomically: true, encoding: .utf8)
        chmod(program.path, 0o700)
        try
            "[profile sso-dev]\nregion = us-east-1\nsso_session = corp\ncredential_process = \(program.path) --format process\n"
            .write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            executable: BuiltProducts.executable("rotator"),
            arguments: ["status", "--secret-id", secret, "--profile", "sso-dev", "--verbose"], environment: environment)
        let status = child.wait(timeout: 60)
        #expect(status == 0, "\(child.output)")
        #expect(child.output.contains(secret))
        for value in [role.secretAccessKey, role.sessionToken ?? "-"] {
            #expect(!child.output.contains(value), "rotator printed a credential")
        }
    }
}
