import Foundation
import HTTPClient
import SigV4
import Synchronization
import TestSupport
import Testing

@testable import SecretsManager

/// Which credential source the chain picks, from a dictionary and files written for the test: nothing here fetches.
@Suite struct CredentialChainTests {
    /// A fake file system holding `files` (path → text).
    static func files(_ files: [String: String]) -> LocalFiles {
        LocalFiles(read: { files[$0] }, exists: { files[$0] != nil })
    }

    /// The chain's provider, with the instance metadata service off unless the test turns it on.
    static func provider(_ environment: [String: String], _ files: [String: String] = [:])
        throws(SecretsManagerConfigurationError) -> any CredentialProvider
    {
        var environment = environment
        if environment["AWS_EC2_METADATA_DISABLED"] == nil { environment["AWS_EC2_METADATA_DISABLED"] = "true" }
        if environment["AWS_REGION"] == nil { environment["AWS_REGION"] = "eu-west-1" }
        return try SecretsManagerConfiguration(environment: environment, files: Self.files(files)).credentials
    }

    static func resolve(_ environment: [String: String], _ files: [String: String] = [:]) throws -> Credentials {
        try provider(environment, files).credentials()
    }

    static func refusal(_ environment: [String: String], _ files: [String: String]) -> String {
        do {
            _ = try provider(environment, files)
            return "(no error)"
        } catch {
            return error.message
        }
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

    @Test("with the region and keys in the environment (Lambda), the shared files are not read at all")
    func environmentAloneReadsNoFile() throws {
        let reads = Locked<[String]>([])
        let files = LocalFiles(
            read: { path in
                reads.withLock { $0.append(path) }
                return nil
            }, exists: { _ in false })
        let environment = [
            "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "s", "HOME": "/home/u",
        ]
        _ = try SecretsManagerConfiguration(environment: environment, files: files)
        #expect(reads.withLock { $0 }.isEmpty)
        // Without the region, the profile is looked at (and the configuration refused: no region anywhere).
        _ = try? SecretsManagerConfiguration(environment: environment.merging(["AWS_REGION": ""]) { $1 }, files: files)
        #expect(reads.withLock { $0 } == ["/home/u/.aws/credentials", "/home/u/.aws/config"])
    }

    @Test func staticKeysOfTheSelectedProfile() throws {
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
        #expect(
            try Self.resolve(["HOME": "/home/u"], ["/home/u/.aws/credentials": text])
                == Credentials(accessKeyId: "AKIADEFAULT", secretAccessKey: "default/secret+key", sessionToken: "tok"))
        #expect(
            try Self.resolve(["HOME": "/home/u", "AWS_PROFILE": "other"], ["/home/u/.aws/credentials": text])
                == Credentials(accessKeyId: "AKIAOTHER", secretAccessKey: "other-secret"))
        #expect(
            try Self.resolve(
                ["AWS_SHARED_CREDENTIALS_FILE": "/tmp/creds", "AWS_PROFILE": "ci"],
                ["/tmp/creds": "[ci]\naws_access_key_id=AKIACI\naws_secret_access_key=ci-secret\n"]
            ).accessKeyId == "AKIACI")
        #expect(
            try Self.resolve(
                ["HOME": "/h", "AWS_PROFILE": "dev"],
                ["/h/.aws/config": "[profile dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"])
                == Credentials(accessKeyId: "AKIADEV", secretAccessKey: "dev-secret"))
    }

    @Test("the region comes from the profile when AWS_REGION and AWS_DEFAULT_REGION are unset")
    func regionFromProfile() throws {
        let files = Self.files([
            "/h/.aws/config": "[profile dev]\nregion = ap-southeast-2\n",
            "/h/.aws/credentials": "[dev]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
        ])
        let fromProfile = try SecretsManagerConfiguration(
            environment: ["HOME": "/h", "AWS_PROFILE": "dev"], files: files)
        #expect(fromProfile.region == "ap-southeast-2")
        #expect(fromProfile.endpoint.url == "https://secretsmanager.ap-southeast-2.amazonaws.com")
        let overridden = try SecretsManagerConfiguration(
            environment: ["HOME": "/h", "AWS_PROFILE": "dev", "AWS_REGION": "eu-north-1"], files: files)
        #expect(overridden.region == "eu-north-1")
        let none = #expect(throws: SecretsManagerConfigurationError.self) {
            try SecretsManagerConfiguration(environment: ["HOME": "/h"], files: files)
        }
        #expect(none?.message.contains("region in profile \"default\" of /h/.aws/config") == true)
    }

    @Test("a role profile assumes its role with its source: a source profile, a chain of them, or the environment")
    func roleProfiles() throws {
        let config = """
            [profile base]
            region = eu-west-1
            [profile ops]
            role_arn = arn:aws:iam::111122223333:role/ops
            source_profile = base
            external_id = ext-1
            duration_seconds = 1800
            [profile deploy]
            role_arn = arn:aws:iam::444455556666:role/deploy
            source_profile = ops
            [profile from-env]
            role_arn = arn:aws:iam::1:role/r
            credential_source = Environment
            """
        let files = [
            "/h/.aws/config": config,
            "/h/.aws/credentials": "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n",
        ]
        let ops = try Self.provider(["HOME": "/h", "AWS_PROFILE": "ops"], files)
        #expect(
            ops.source
                == "profile \"ops\": AssumeRole arn:aws:iam::111122223333:role/ops with profile \"base\" (/h/.aws/credentials)"
        )
        let deploy = try Self.provider(["HOME": "/h", "AWS_PROFILE": "deploy"], files)
        #expect(
            deploy.source.hasPrefix(
                "profile \"deploy\": AssumeRole arn:aws:iam::444455556666:role/deploy with profile \"ops\": AssumeRole")
        )
        // credential_source = Environment is read only when the keys are in the environment.
        let fromEnvironment = Self.refusal(["HOME": "/h", "AWS_PROFILE": "from-env"], files)
        #expect(fromEnvironment.contains("credential_source = Environment, but AWS_ACCESS_KEY_ID is not set"))
    }

    @Test(arguments: [
        (
            "role_arn = arn:aws:iam::1:role/r\nsource_profile = p\nmfa_serial = arn:aws:iam::1:mfa/u\n",
            "needs an MFA code"
        ),
        (
            "role_arn = arn:aws:iam::1:role/r\nsource_profile = q\ncredential_source = Environment\n",
            "both source_profile and credential_source"
        ),
        ("role_arn = arn:aws:iam::1:role/r\n", "neither source_profile nor credential_source"),
        ("role_arn = arn:aws:iam::1:role/r\nsource_profile = missing\n", "source_profile \"missing\", which is not in"),
        (
            "role_arn = arn:aws:iam::1:role/r\nsource_profile = q\nduration_seconds = 60\n",
            "duration_seconds must be 900 to 43200"
        ),
        (
            "role_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n",
            "use Environment, EcsContainer or Ec2InstanceMetadata"
        ),
        (
            "sso_session = corp\nsso_account_id = 1\n",
            "credential_process = aws configure export-credentials --profile p"
        ),
        ("credential_process = \"/opt/unterminated\n", "unterminated quote"),
    ])
    func profilesThatCannotWorkSayWhy(settings: String, says: String) {
        let config = "[profile p]\n\(settings)[profile q]\nrole_arn = arn:aws:iam::1:role/q\nsource_profile = p\n"
        let message = Self.refusal(["HOME": "/h", "AWS_PROFILE": "p"], ["/h/.aws/config": config])
        #expect(message.contains(says), "\(message)")
    }

    @Test func sourceProfilesThatLeadBackToThemselvesAreRefused() {
        let config = """
            [profile a]
            role_arn = arn:aws:iam::1:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::1:role/b
            source_profile = a
            """
        #expect(
            Self.refusal(["HOME": "/h", "AWS_PROFILE": "a"], ["/h/.aws/config": config]).contains(
                "leads back to itself"))
    }

    @Test("the order of a profile's own credentials: credentials file keys, credential_process, config file keys")
    func profileOrder() throws {
        let withProcess = "[default]\ncredential_process = /bin/get-creds --profile 'a b'\n"
        #expect(
            try Self.resolve(
                ["HOME": "/h"],
                [
                    "/h/.aws/credentials": "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n",
                    "/h/.aws/config": withProcess,
                ]
            ).accessKeyId == "AKIA1")
        let process = try Self.provider(
            ["HOME": "/h"], ["/h/.aws/config": withProcess + "aws_access_key_id = AKIA2\naws_secret_access_key = s2\n"])
        // Only the program's name is shown: its arguments may hold a secret.
        #expect(process.source == "credential_process get-creds of profile \"default\"")
        // SSO settings next to a credential_process are served by it.
        let sso = try Self.provider(
            ["HOME": "/h", "AWS_PROFILE": "corp"],
            [
                "/h/.aws/config":
                    "[profile corp]\nsso_session = x\ncredential_process = aws configure export-credentials --profile corp-sso --format process\n"
            ])
        #expect(sso.source == "credential_process aws of profile \"corp\"")
    }

    @Test("web identity: the environment's token file and role, or the profile's")
    func webIdentity() throws {
        let fromEnvironment = try Self.provider([
            "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/pod",
        ])
        #expect(
            fromEnvironment.source == "web identity (/var/run/token): AssumeRoleWithWebIdentity arn:aws:iam::1:role/pod"
        )
        let fromProfile = try Self.provider(
            ["HOME": "/h"],
            ["/h/.aws/config": "[default]\nrole_arn = arn:aws:iam::1:role/ci\nweb_identity_token_file = /t\n"])
        #expect(fromProfile.source == "web identity (/t): AssumeRoleWithWebIdentity arn:aws:iam::1:role/ci")
        #expect(Self.refusal(["AWS_WEB_IDENTITY_TOKEN_FILE": "/t"], [:]).contains("set AWS_ROLE_ARN or role_arn"))
    }

    @Test("container and instance credentials: chosen by their variables; instance metadata never inside Lambda")
    func platformSources() throws {
        #expect(
            try Self.provider(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"]).source
                == "container credentials endpoint")
        #expect(
            Self.refusal(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://metadata.example/creds"], [:])
                .contains("use https:// for metadata.example"))
        #expect(
            try Self.provider(["AWS_EC2_METADATA_DISABLED": "false", "HOME": "/h"]).source
                == "EC2 instance metadata (IMDSv2)")
        let lambda = Self.refusal(["AWS_EC2_METADATA_DISABLED": "false", "AWS_LAMBDA_FUNCTION_NAME": "f"], [:])
        #expect(lambda.hasPrefix("no AWS credentials in the environment"))
    }

    @Test func missingCredentialsSayWhereItLooked() {
        let named = Self.refusal(
            ["HOME": "/h", "AWS_PROFILE": "nope"],
            ["/h/.aws/credentials": "[default]\naws_access_key_id=A\naws_secret_access_key=B\n"])
        #expect(named == "profile \"nope\" (AWS_PROFILE) was not found in /h/.aws/credentials and /h/.aws/config")
        let none = Self.refusal(["HOME": "/h"], [:])
        #expect(
            none.contains("AWS_ACCESS_KEY_ID") && none.contains("/h/.aws/credentials")
                && none.contains("AWS_EC2_METADATA_DISABLED"))
        let halfKey = Self.refusal(["HOME": "/h"], ["/h/.aws/credentials": "[default]\naws_access_key_id=A\n"])
        #expect(halfKey.contains("aws_secret_access_key"))
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
        #expect(
            try configuration.credentials.credentials()
                == Credentials(accessKeyId: "AKIAREAL", secretAccessKey: "real-file-secret"))
        #expect(!"\(configuration)".contains("real-file-secret"))
    }

    @Test("credential_process command lines split as sh splits words, without expansion")
    func commandLineWords() {
        #expect(
            CredentialProcess.words("aws configure export-credentials --profile x") == [
                "aws", "configure", "export-credentials", "--profile", "x",
            ])
        #expect(
            CredentialProcess.words(#"/bin/get 'a b' "c \"d\" $e" f\ g"#) == ["/bin/get", "a b", #"c "d" $e"#, "f g"])
        #expect(CredentialProcess.words("''") == [""])
        #expect(CredentialProcess.words("a 'b") == nil)
        #expect(CredentialProcess.words(#"a "b"#) == nil)
    }
}

/// When temporary credentials are fetched again.
@Suite struct CredentialRefreshTests {
    @Test("an hour's credentials: fresh, then a refresh advised 15 minutes before expiry, required 10 minutes before")
    func windows() {
        typealias P = RefreshingCredentialProvider
        #expect(P.freshness(now: 0, fetchedAt: 0, expiration: 3_600) == .fresh)
        #expect(P.freshness(now: 2_699, fetchedAt: 0, expiration: 3_600) == .fresh)
        #expect(P.freshness(now: 2_700, fetchedAt: 0, expiration: 3_600) == .refreshAdvised)
        #expect(P.freshness(now: 3_000, fetchedAt: 0, expiration: 3_600) == .refreshRequired)
        // 15-minute credentials are not fetched on every request.
        #expect(P.freshness(now: 600, fetchedAt: 0, expiration: 900) == .fresh)
        #expect(P.freshness(now: 700, fetchedAt: 0, expiration: 900) == .refreshAdvised)
        #expect(P.freshness(now: 800, fetchedAt: 0, expiration: 900) == .refreshRequired)
        #expect(P.freshness(now: 1e9, fetchedAt: 0, expiration: nil) == .fresh)
    }

    @Test("a failed advised refresh keeps the credentials; a failed required one is an error; expired ones are refused")
    func refreshFailures() throws {
        let now = Mutex<Double>(0)
        let fetches = Mutex<[Bool]>([])  // true: the fetch succeeds
        let count = Mutex(0)
        let provider = RefreshingCredentialProvider(source: "test", clock: { now.withLock { $0 } }) {
            () throws(CredentialError) -> ExpiringCredentials in
            let number = count.withLock {
                $0 += 1
                return $0
            }
            let succeeds = fetches.withLock { $0.isEmpty ? true : $0.removeFirst() }
            guard succeeds else { throw CredentialError("endpoint down") }
            return ExpiringCredentials(
                Credentials(accessKeyId: "ASIA\(number)", secretAccessKey: "s", sessionToken: "t"),
                expiration: now.withLock { $0 } + 3_600)
        }
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        now.withLock { $0 = 2_800 }
        fetches.withLock { $0 = [false] }
        #expect(try provider.credentials().accessKeyId == "ASIA1")  // advised, failed: kept
        now.withLock { $0 = 3_100 }
        fetches.withLock { $0 = [false] }
        #expect(throws: CredentialError("endpoint down")) { try provider.credentials() }
        #expect(try provider.credentials().accessKeyId == "ASIA4")
        #expect(count.withLock { $0 } == 4)

        let expired = RefreshingCredentialProvider(source: "a clock-skewed endpoint", clock: { 100 }) {
            ExpiringCredentials(Credentials(accessKeyId: "A", secretAccessKey: "s"), expiration: 50)
        }
        #expect(throws: CredentialError.self) { try expired.credentials() }
    }
}
