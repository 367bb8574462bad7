import Foundation
import HTTPClient
import JSON
import SecretsManager
import TestSupport
import TestTags
import Testing
import Timekeeping

/// The process's moto (`TestSupport.SharedMoto`), with IAM auth on: every request below is signature-checked by
/// moto (botocore recomputes the signature server-side). moto exits by itself when the test process ends.
enum MotoFixture {
    static func server() throws -> MotoServer { try SharedMoto.get() }

    static func client(_ moto: MotoServer, overriding: [String: String] = [:], logs: LogRecorder = LogRecorder()) throws
        -> SecretsManagerClient
    {
        let environment = moto.clientEnvironment.merging(overriding) { _, new in new }
        return try SecretsManagerClient(
            configuration: try SecretsManagerConfiguration(environment: environment), logger: logs.logger,
            randomUnit: { 0 })
    }

    static func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }
}

@Suite(.tags(.server)) struct MotoServerTests {
    static func deadline() -> Deadline { .after(milliseconds: 20_000) }

    @Test func everyOperationWithAssumedRoleCredentials() throws {
        let moto = try MotoFixture.server()
        #expect(moto.roleCredentials.accessKeyId.hasPrefix("ASIA"))
        #expect(moto.roleCredentials.sessionToken?.isEmpty == false)
        let name = MotoFixture.uniqueName("rotation")
        let current = #"{"username":"app","password":"zzCURRENTzz","port":5432}"#
        let arn = try moto.createSecret(name: name, secretString: current)
        let logs = LogRecorder()
        let client = try MotoFixture.client(moto, logs: logs)

        let before = try client.describeSecret(secretId: name, deadline: Self.deadline())
        #expect(before.arn == arn)
        #expect(before.name == name)
        #expect(before.rotationEnabled == nil)  // moto omits it until rotation is configured, as AWS does
        let currentVersion = try #require(before.versionId(withStage: "AWSCURRENT"))

        let byStage = try client.getSecretValue(secretId: arn, versionStage: "AWSCURRENT", deadline: Self.deadline())
        #expect(byStage.secretString == current)
        #expect(byStage.versionId == currentVersion)
        let byId = try client.getSecretValue(
            secretId: name, versionId: currentVersion, versionStage: nil, deadline: Self.deadline())
        #expect(byId.secretString == current)
        #expect(byId.versionStages == ["AWSCURRENT"])

        let token = try moto.startRotation(secretId: name)
        let pending = try client.describeSecret(secretId: name, deadline: Self.deadline())
        #expect(pending.rotationEnabled == true)
        #expect(pending.stages(ofVersion: token) == ["AWSPENDING"])
        let noValue = #expect(throws: SecretsManagerError.self) {
            try client.getSecretValue(secretId: name, versionStage: "AWSPENDING", deadline: Self.deadline())
        }
        #expect(noValue?.code == .resourceNotFound)

        let password = try client.getRandomPassword(
            RandomPasswordRequest(passwordLength: 24, excludeCharacters: "/@\"'\\"), deadline: Self.deadline())
        #expect(password.count == 24)
        #expect(!password.contains(where: { "/@\"'\\".contains($0) }))

        let newValue = #"{"username":"app","password":"zzNEWzz ✓ pässwörd","port":5432}"#
        let put = try client.putSecretValue(
            secretId: name, clientRequestToken: token, secretString: newValue, versionStages: ["AWSPENDING"],
            rotationToken: UUID().uuidString, deadline: Self.deadline())
        #expect(put.versionId == token)
        #expect(put.arn == arn)
        let pendingValue = try client.getSecretValue(
            secretId: name, versionStage: "AWSPENDING", deadline: Self.deadline())
        #expect(pendingValue.secretString == newValue)

        try client.updateSecretVersionStage(
            secretId: name, versionStage: "AWSCURRENT", moveToVersionId: token, removeFromVersionId: currentVersion,
            deadline: Self.deadline())
        let after = try client.describeSecret(secretId: name, deadline: Self.deadline())
        #expect(after.stages(ofVersion: token)?.contains("AWSCURRENT") == true)
        #expect(after.stages(ofVersion: currentVersion) == ["AWSPREVIOUS"])
        #expect(try moto.secretString(secretId: name, stage: "AWSCURRENT") == newValue)

        // moto answers one page with NextToken "" whatever MaxResults says; paging itself is covered by
        // WireFormatTests. Here: the request is accepted and the empty token ends the listing.
        let versions = try client.listSecretVersionIds(
            secretId: name, includeDeprecated: true, maxResults: 1, deadline: Self.deadline())
        #expect(Set(versions.map(\.versionId)) == [token, currentVersion])

        let logged = logs.lines.map(\.text).joined(separator: "\n")
        for secret in [
            "zzCURRENTzz", "zzNEWzz", password, moto.roleCredentials.secretAccessKey,
            moto.roleCredentials.sessionToken ?? "-",
        ] {
            #expect(!logged.contains(secret))
        }
    }

    @Test func wrongSecretKeyIsATypedAuthenticationError() throws {
        let moto = try MotoFixture.server()
        let name = MotoFixture.uniqueName("auth")
        _ = try moto.createSecret(name: name, secretString: "v")
        let client = try MotoFixture.client(
            moto, overriding: ["AWS_SECRET_ACCESS_KEY": "wrong" + moto.roleCredentials.secretAccessKey])
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: name, deadline: Self.deadline())
        }
        #expect(error?.code == .signatureDoesNotMatch)
        #expect(error?.code.isAuthenticationFailure == true)
        #expect(error?.httpStatus == 403)
    }

    @Test func tamperedSessionTokenIsATypedAuthenticationError() throws {
        let moto = try MotoFixture.server()
        let token = try #require(moto.roleCredentials.sessionToken)
        let tampered = String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")
        let client = try MotoFixture.client(moto, overriding: ["AWS_SESSION_TOKEN": tampered])
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "anything", deadline: Self.deadline())
        }
        #expect(error?.code == .invalidClientTokenId)
        #expect(error?.code.isAuthenticationFailure == true)
        #expect(error.map { "\($0)" }?.contains(tampered) == false)
    }

    /// `make bench` measures rotations over HTTPS, as Secrets Manager is reached on Lambda: moto must serve it with
    /// the tests' CA, the client must trust that CA through AWS_CA_BUNDLE only, and another CA must be refused.
    @Test func overHTTPSTheCANamedByAWSCABundleIsTrustedAndNoOther() throws {
        let moto = try MotoServer.start(iamAuth: true, tls: true)
        defer { moto.stop() }
        let certificates = try TestCertificates.shared.get()
        #expect(moto.endpoint.hasPrefix("https://"))
        #expect(moto.clientEnvironment["AWS_CA_BUNDLE"] == certificates.caFile)
        let name = MotoFixture.uniqueName("https")
        let arn = try moto.createSecret(name: name, secretString: #"{"username":"app","password":"zzTLSzz"}"#)

        let described = try MotoFixture.client(moto).describeSecret(secretId: name, deadline: Self.deadline())
        #expect(described.arn == arn)
        let untrusted = try MotoFixture.client(moto, overriding: ["AWS_CA_BUNDLE": certificates.untrustedCAFile])
        let refused = #expect(throws: SecretsManagerError.self) {
            try untrusted.describeSecret(secretId: name, deadline: Self.deadline())
        }
        #expect(refused?.code == .tls)
    }

    @Test func unknownSecretIsResourceNotFound() throws {
        let moto = try MotoFixture.server()
        let client = try MotoFixture.client(moto)
        let error = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: MotoFixture.uniqueName("missing"), deadline: Self.deadline())
        }
        #expect(error?.code == .resourceNotFound)
    }

    /// One connection per call at most (moto closes after each answer), and many calls in a row work.
    @Test func manyCallsOnOneClient() throws {
        let moto = try MotoFixture.server()
        let name = MotoFixture.uniqueName("reuse")
        _ = try moto.createSecret(name: name, secretString: "v")
        let client = try MotoFixture.client(moto)
        for _ in 0..<10 {
            #expect(try client.describeSecret(secretId: name, deadline: Self.deadline()).name == name)
        }
    }
}
