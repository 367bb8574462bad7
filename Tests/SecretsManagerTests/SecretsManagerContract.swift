import Foundation
import SecretsManager
import TestSupport
import TestTags
import Testing
import Timekeeping

/// One Secrets Manager the contract is checked against, and the administrator's steps a test takes around it.
protocol ContractSubject {
    var name: String { get }
    var service: any SecretsManagerService { get }
    /// CreateSecret with one version and `tags`; returns the ARN.
    func createSecret(named name: String, value: String, tags: [(key: String, value: String)]) throws -> String
    /// RotateSecret as Secrets Manager starts a rotation: returns the token of the AWSPENDING version (no value).
    func startRotation(_ arn: String) throws -> String
}

/// What Rotation relies on Secrets Manager to do, checked against moto and the in-memory Secrets Manager alike
/// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/): the in-memory one may stand in for moto in
/// the unit lane only as far as this holds.
enum SecretsManagerContract {
    static var deadline: Deadline { .after(milliseconds: 20_000) }

    static func check(_ subject: some ContractSubject) throws {
        let service = subject.service
        let name = "contract-\(UUID().uuidString.prefix(8).lowercased())"
        let instance = "arn:aws:rds:us-east-1:123456789012:db:contract"
        let arn = try subject.createSecret(
            named: name, value: #"{"password":"first"}"#, tags: [("aws:rds:primaryDBInstanceArn", instance)])
        func stages() throws -> [String: [String]] {
            Dictionary(
                uniqueKeysWithValues: try service.describeSecret(secretId: arn, deadline: deadline).versionIdsToStages
                    .map { ($0.versionId, $0.stages) })
        }
        func code(_ body: () throws -> Void) -> SecretsManagerError.Code? {
            do {
                try body()
                return nil
            } catch let error as SecretsManagerError {
                return error.code
            } catch {
                return SecretsManagerError.Code("not a SecretsManagerError")
            }
        }
        let who = Comment(rawValue: subject.name)

        // A new secret: one version, AWSCURRENT; rotation not on; by name or ARN.
        let described = try service.describeSecret(secretId: name, deadline: deadline)
        #expect(described.arn == arn, who)
        #expect(described.rotationEnabled != true, who)
        // Tags come back, found by key in any case (how RDS-managed master secrets are recognised).
        #expect(described.tag("AWS:RDS:PRIMARYDBINSTANCEARN") == instance, who)
        #expect(described.tag("aws:rds:primaryDBClusterArn") == nil, who)
        #expect(described.owningService == nil, who)
        let first = try #require(described.versionId(withStage: "AWSCURRENT"), who)
        #expect(try stages() == [first: ["AWSCURRENT"]], who)
        #expect(
            try service.getSecretValue(secretId: arn, versionStage: nil, deadline: deadline).secretString
                == #"{"password":"first"}"#, who)
        #expect(
            code { _ = try service.describeSecret(secretId: name + "-missing", deadline: deadline) }
                == .resourceNotFound, who)

        // A rotation starts: rotation on, AWSPENDING on a version that has no value yet.
        let token = try subject.startRotation(arn)
        #expect(try service.describeSecret(secretId: arn, deadline: deadline).rotationEnabled == true, who)
        #expect(try stages()[token] == ["AWSPENDING"], who)
        #expect(
            code {
                _ = try service.getSecretValue(
                    secretId: arn, versionId: token, versionStage: "AWSPENDING", deadline: deadline)
            }
                == .resourceNotFound, who)

        // PutSecretValue: the value lands on the token; the same again is accepted; another value is refused and the
        // first stays.
        let pending = #"{"password":"second"}"#
        let put = try service.putSecretValue(
            secretId: arn, clientRequestToken: token, secretString: pending, versionStages: ["AWSPENDING"],
            rotationToken: nil, deadline: deadline)
        #expect(put.versionId == token && put.versionStages == ["AWSPENDING"], who)
        #expect(
            try service.getSecretValue(secretId: arn, versionId: token, versionStage: "AWSPENDING", deadline: deadline)
                .secretString == pending, who)
        _ = try service.putSecretValue(
            secretId: arn, clientRequestToken: token, secretString: pending, versionStages: ["AWSPENDING"],
            rotationToken: nil, deadline: deadline)
        #expect(
            code {
                _ = try service.putSecretValue(
                    secretId: arn, clientRequestToken: token, secretString: #"{"password":"other"}"#,
                    versionStages: ["AWSPENDING"], rotationToken: nil, deadline: deadline)
            } == .resourceExists, who)
        #expect(
            try service.getSecretValue(secretId: arn, versionId: token, versionStage: nil, deadline: deadline)
                .secretString == pending, who)

        // Labels: moving AWSCURRENT must name where it is; it then brings AWSPREVIOUS to the old version.
        #expect(
            code {
                try service.updateSecretVersionStage(
                    secretId: arn, versionStage: "AWSCURRENT", moveToVersionId: token, removeFromVersionId: nil,
                    deadline: deadline)
            } == .invalidParameter, who)
        #expect(try stages()[first] == ["AWSCURRENT"], who)
        try service.updateSecretVersionStage(
            secretId: arn, versionStage: "AWSCURRENT", moveToVersionId: token, removeFromVersionId: first,
            deadline: deadline)
        let after = try stages()
        #expect(after[token]?.contains("AWSCURRENT") == true, who)
        #expect(after[first] == ["AWSPREVIOUS"], who)
        #expect(
            try service.getSecretValue(secretId: arn, versionStage: "AWSPREVIOUS", deadline: deadline).versionId
                == first, who)

        // A label taken off a version that does not have it: refused.
        #expect(
            code {
                try service.updateSecretVersionStage(
                    secretId: arn, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: first,
                    deadline: deadline)
            } == .invalidParameter, who)

        // The next rotation makes the first version unlabelled: listed only with IncludeDeprecated.
        try service.updateSecretVersionStage(
            secretId: arn, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: token,
            deadline: deadline)
        let third = try subject.startRotation(arn)
        _ = try service.putSecretValue(
            secretId: arn, clientRequestToken: third, secretString: #"{"password":"third"}"#,
            versionStages: ["AWSPENDING"], rotationToken: nil, deadline: deadline)
        try service.updateSecretVersionStage(
            secretId: arn, versionStage: "AWSCURRENT", moveToVersionId: third, removeFromVersionId: token,
            deadline: deadline)
        try service.updateSecretVersionStage(
            secretId: arn, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: third,
            deadline: deadline)
        let final = try stages()
        #expect(final[third] == ["AWSCURRENT"] && final[token] == ["AWSPREVIOUS"], who)
        let labelled = Set(
            try service.listSecretVersionIds(secretId: arn, includeDeprecated: false, deadline: deadline).map(
                \.versionId))
        let all = Set(
            try service.listSecretVersionIds(secretId: arn, includeDeprecated: true, deadline: deadline).map(
                \.versionId))
        // AWS leaves unlabelled versions out without IncludeDeprecated; moto 5.2 lists them anyway, so only the
        // labelled ones are required here (the function always asks with IncludeDeprecated).
        #expect(labelled.isSuperset(of: [third, token]), who)
        #expect(all == [first, token, third], who)
        #expect(
            try service.getSecretValue(secretId: arn, versionId: first, versionStage: nil, deadline: deadline)
                .secretString
                == #"{"password":"first"}"#, "\(subject.name): an unlabelled version keeps its value")

        // ListSecrets finds it by name prefix.
        let listed = try service.listSecrets(
            filters: [SecretListFilter(key: "name", values: [name])], pageSize: 100, deadline: deadline,
            onPage: { _ in })
        #expect(listed.map(\.arn) == [arn], who)

        // BatchGetSecretValue reads the AWSCURRENT value by ARN or name; a missing secret is an error entry, not a
        // failed call.
        let missing = "contract-missing-\(UUID().uuidString.prefix(8).lowercased())"
        let batch = try service.batchGetSecretValue(secretIds: [arn, missing], deadline: deadline)
        #expect(batch.values.map(\.arn) == [arn], who)
        #expect(batch.values.first?.versionStages.contains("AWSCURRENT") == true, who)
        #expect(batch.values.first?.secretString == #"{"password":"third"}"#, who)
        #expect(batch.errors.map(\.secretId) == [missing], who)
        #expect(batch.errors.first?.errorCode == "ResourceNotFoundException", who)
    }
}

/// The contract against the in-memory Secrets Manager (no server: the unit lane).
@Suite("Secrets Manager contract: in memory")
struct InMemorySecretsManagerContractTests {
    struct Subject: ContractSubject {
        let memory = InMemorySecretsManager()
        var name: String { "in-memory" }
        var service: any SecretsManagerService { memory }
        func createSecret(named name: String, value: String, tags: [(key: String, value: String)]) throws -> String {
            memory.createSecret(name: name, secretString: value, tags: tags)
        }
        func startRotation(_ arn: String) throws -> String { try memory.startRotation(secretId: arn) }
    }

    @Test("the in-memory Secrets Manager keeps the contract")
    func contract() throws { try SecretsManagerContract.check(Subject()) }
}

/// The same contract against moto with signature checking: what the in-memory one is held to.
@Suite("Secrets Manager contract: moto", .tags(.server))
struct MotoSecretsManagerContractServerTests {
    struct Subject: ContractSubject {
        let moto: MotoServer
        let client: SecretsManagerClient
        var name: String { "moto" }
        var service: any SecretsManagerService { client }
        func createSecret(named name: String, value: String, tags: [(key: String, value: String)]) throws -> String {
            try moto.createSecret(name: name, secretString: value, tags: tags)
        }
        func startRotation(_ arn: String) throws -> String { try moto.startRotation(secretId: arn) }
    }

    @Test("moto keeps the contract")
    func contract() throws {
        let moto = try MotoFixture.server()
        try SecretsManagerContract.check(Subject(moto: moto, client: try MotoFixture.client(moto)))
    }
}
