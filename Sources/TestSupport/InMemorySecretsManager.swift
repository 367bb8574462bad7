import Foundation
import SecretsManager
import Timekeeping

/// Secrets Manager in memory, following AWS's documented rules, for tests that need no server: a version's value
/// never changes; `ClientRequestToken` is idempotent (the same value again is accepted, another is
/// `ResourceExistsException`); a label is on one version at a time and moving it elsewhere needs
/// `RemoveFromVersionId` naming the version that has it; moving AWSCURRENT moves AWSPREVIOUS; a rotation starts with
/// an AWSPENDING version that has no value; `RotationEnabled` is absent until rotation is configured
/// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/). A contract suite runs the same checks against
/// it and moto, so it cannot drift from the real behaviour unnoticed.
package final class InMemorySecretsManager: SecretsManagerService, @unchecked Sendable {
    struct Version {
        var id: String
        var value: String?
        var stages: [String]
        var created: Double
    }

    struct Secret {
        var arn: String
        var name: String
        var versions: [Version] = []
        var rotationEnabled: Bool?
        var rotationLambdaARN: String?
        var rotationDays: Int?
        var lastRotated: Double?
        var tags: [(key: String, value: String)] = []
    }

    private let state = Locked<[Secret]>([])
    private let log = Locked<[String]>([])
    /// A fault for an operation (its name, as the API spells it), consulted before the operation runs.
    package let faults = Locked<(@Sendable (String) -> SecretsManagerError?)?>(nil)
    /// Whether an operation's answer is lost after it took effect (the caller sees a network error), consulted after
    /// a change is made: what a dropped response looks like to the function.
    package let loseAnswer = Locked<(@Sendable (String) -> Bool)?>(nil)
    package let region = "us-east-1"
    package let account = "123456789012"

    package init() {}

    /// The operations called so far, in order.
    package var calls: [String] { log.withLock { $0 } }

    // MARK: What a test does around a rotation (as an administrator would)

    /// CreateSecret: the first version, labelled AWSCURRENT. - Returns: the secret's ARN.
    @discardableResult
    package func createSecret(name: String, secretString: String, tags: [(key: String, value: String)] = []) -> String {
        let suffix = String(
            (0..<6).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".randomElement() ?? "A" })
        let arn = "arn:aws:secretsmanager:\(region):\(account):secret:\(name)-\(suffix)"
        var secret = Secret(arn: arn, name: name)
        secret.tags = tags
        secret.versions = [
            Version(id: UUID().uuidString.lowercased(), value: secretString, stages: ["AWSCURRENT"], created: Self.now)
        ]
        state.withLock { $0.append(secret) }
        return arn
    }

    /// RotateSecret as Secrets Manager starts it when it invokes a function: rotation on, and an AWSPENDING version
    /// without a value under a new token (refused while another version has AWSPENDING).
    /// - Returns: the token.
    @discardableResult
    package func startRotation(
        secretId: String, token: String = UUID().uuidString.lowercased(),
        lambdaARN: String = "arn:aws:lambda:us-east-1:123456789012:function:rotator", days: Int = 30
    ) throws(SecretsManagerError) -> String {
        try mutate(secretId) { (secret: inout Secret) throws(SecretsManagerError) in
            // AWS takes AWSPENDING off the version a finished rotation made current.
            for index in secret.versions.indices where secret.versions[index].stages.contains("AWSCURRENT") {
                secret.versions[index].stages.removeAll { $0 == "AWSPENDING" }
            }
            guard !secret.versions.contains(where: { $0.stages.contains("AWSPENDING") }) else {
                throw SecretsManagerError(
                    code: .invalidRequest,
                    message: "A previous rotation isn't complete. That rotation will be reattempted.")
            }
            secret.rotationEnabled = true
            secret.rotationLambdaARN = lambdaARN
            secret.rotationDays = days
            secret.versions.append(Version(id: token, value: nil, stages: ["AWSPENDING"], created: Self.now))
        }
        return token
    }

    /// Switches rotation off (as CancelRotateSecret does), leaving the labels as they are.
    package func disableRotation(secretId: String) throws(SecretsManagerError) {
        try mutate(secretId) { (secret: inout Secret) throws(SecretsManagerError) in secret.rotationEnabled = false }
    }

    /// Version id → labels, every version (deprecated ones with none).
    package func stages(secretId: String) throws(SecretsManagerError) -> [String: [String]] {
        let secret = try find(secretId)
        return Dictionary(uniqueKeysWithValues: secret.versions.map { ($0.id, $0.stages) })
    }

    /// The value of the version labelled `stage`; `nil` when none has it or it has no value.
    package func secretString(secretId: String, stage: String) throws(SecretsManagerError) -> String? {
        try find(secretId).versions.first { $0.stages.contains(stage) }?.value
    }

    // MARK: SecretsManagerService

    package func describeSecret(secretId: String, deadline: Deadline) throws(SecretsManagerError) -> SecretDescription {
        try called("DescribeSecret")
        let secret = try find(secretId)
        var description = SecretDescription(
            arn: secret.arn, name: secret.name, rotationEnabled: secret.rotationEnabled,
            rotationLambdaARN: secret.rotationLambdaARN,
            versionIdsToStages: secret.versions.filter { !$0.stages.isEmpty }.map { ($0.id, $0.stages) },
            lastRotatedDate: secret.lastRotated,
            nextRotationDate: secret.rotationEnabled == true
                ? (secret.lastRotated ?? secret.versions.first?.created ?? Self.now) + Double(secret.rotationDays ?? 30)
                    * 86_400
                : nil)
        description.rotationDays = secret.rotationDays
        description.tags = secret.tags
        // A managing service (RDS for its master secrets) tags the secret, and DescribeSecret names it.
        description.owningService = secret.tags.first { $0.key == "aws:secretsmanager:owningService" }?.value
        return description
    }

    package func getSecretValue(secretId: String, versionId: String?, versionStage: String?, deadline: Deadline)
        throws(SecretsManagerError) -> SecretValueResponse
    {
        try called("GetSecretValue")
        let secret = try find(secretId)
        let stage = versionId == nil && versionStage == nil ? "AWSCURRENT" : versionStage
        let version = secret.versions.first { version in
            (versionId == nil || version.id == versionId) && (stage == nil || version.stages.contains(stage ?? ""))
        }
        guard let version, let value = version.value else {
            throw SecretsManagerError(
                code: .resourceNotFound,
                message: stage.map { "Secrets Manager can't find the specified secret value for staging label: \($0)" }
                    ?? "Secrets Manager can't find the specified secret value for VersionId: \(versionId ?? "")")
        }
        return SecretValueResponse(
            arn: secret.arn, name: secret.name, versionId: version.id, secretString: value, secretBinary: nil,
            versionStages: version.stages, createdDate: version.created)
    }

    package func putSecretValue(
        secretId: String, clientRequestToken: String, secretString: String, versionStages: [String],
        rotationToken: String?, deadline: Deadline
    ) throws(SecretsManagerError) -> PutSecretValueResponse {
        try called("PutSecretValue")
        let response = try mutate(secretId) {
            (secret: inout Secret) throws(SecretsManagerError) -> PutSecretValueResponse in
            let stages = versionStages.isEmpty ? ["AWSCURRENT"] : versionStages
            if let index = secret.versions.firstIndex(where: { $0.id == clientRequestToken }) {
                if let existing = secret.versions[index].value {
                    guard existing == secretString else {
                        throw SecretsManagerError(
                            code: .resourceExists,
                            message: "A resource with the ID you requested already exists with different contents.")
                    }
                    return PutSecretValueResponse(
                        arn: secret.arn, versionId: clientRequestToken, versionStages: secret.versions[index].stages)
                }
                secret.versions[index].value = secretString
            } else {
                secret.versions.append(
                    Version(id: clientRequestToken, value: secretString, stages: [], created: Self.now))
            }
            for stage in stages { Self.attach(stage, to: clientRequestToken, in: &secret) }
            let stored = secret.versions.first { $0.id == clientRequestToken }?.stages ?? []
            return PutSecretValueResponse(arn: secret.arn, versionId: clientRequestToken, versionStages: stored)
        }
        try answered("PutSecretValue")
        return response
    }

    package func updateSecretVersionStage(
        secretId: String, versionStage: String, moveToVersionId: String?, removeFromVersionId: String?,
        deadline: Deadline
    ) throws(SecretsManagerError) {
        try called("UpdateSecretVersionStage")
        try mutate(secretId) { (secret: inout Secret) throws(SecretsManagerError) in
            let holder = secret.versions.first { $0.stages.contains(versionStage) }?.id
            if let removeFromVersionId, holder != removeFromVersionId {
                throw SecretsManagerError(
                    code: .invalidParameter,
                    message:
                        "The parameter RemoveFromVersionId doesn't match the version \(versionStage) is attached to.")
            }
            if let moveToVersionId {
                guard secret.versions.contains(where: { $0.id == moveToVersionId }) else {
                    throw SecretsManagerError(code: .resourceNotFound, message: "No version \(moveToVersionId).")
                }
                if let holder, holder != moveToVersionId, removeFromVersionId == nil {
                    throw SecretsManagerError(
                        code: .invalidParameter,
                        message: "The parameter RemoveFromVersionId can't be empty. Staging label \(versionStage) is "
                            + "currently attached to version \(holder), so you must explicitly reference that version "
                            + "in RemoveFromVersionId.")
                }
                Self.attach(versionStage, to: moveToVersionId, in: &secret)
                if versionStage == "AWSCURRENT" { secret.lastRotated = Self.now }
            } else if let removeFromVersionId,
                let index = secret.versions.firstIndex(where: { $0.id == removeFromVersionId })
            {
                secret.versions[index].stages.removeAll { $0 == versionStage }
            }
        }
        try answered("UpdateSecretVersionStage")
    }

    package func getRandomPassword(_ request: RandomPasswordRequest, deadline: Deadline) throws(SecretsManagerError)
        -> String
    {
        try called("GetRandomPassword")
        var classes: [[Character]] = []
        if !request.excludeLowercase { classes.append(Array("abcdefghijklmnopqrstuvwxyz")) }
        if !request.excludeUppercase { classes.append(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) }
        if !request.excludeNumbers { classes.append(Array("0123456789")) }
        if !request.excludePunctuation { classes.append(Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")) }
        if request.includeSpace { classes.append([" "]) }
        classes = classes.map { $0.filter { !request.excludeCharacters.contains($0) } }.filter { !$0.isEmpty }
        let all = classes.flatMap { $0 }
        guard !all.isEmpty, request.passwordLength >= (request.requireEachIncludedType ? classes.count : 1) else {
            throw SecretsManagerError(code: .invalidParameter, message: "The password cannot be generated as asked.")
        }
        var generator = SystemRandomNumberGenerator()
        while true {
            let password = (0..<request.passwordLength).map { _ in all.randomElement(using: &generator) ?? "a" }
            if !request.requireEachIncludedType || classes.allSatisfy({ !Set($0).isDisjoint(with: password) }) {
                return String(password)
            }
        }
    }

    package func listSecretVersionIds(secretId: String, includeDeprecated: Bool, maxResults: Int?, deadline: Deadline)
        throws(SecretsManagerError) -> [SecretVersionSummary]
    {
        try called("ListSecretVersionIds")
        return try find(secretId).versions.filter { includeDeprecated || !$0.stages.isEmpty }.map {
            SecretVersionSummary(versionId: $0.id, versionStages: $0.stages, createdDate: $0.created)
        }
    }

    package func listSecrets(filters: [SecretListFilter], pageSize: Int, deadline: Deadline, onPage: (Int) -> Void)
        throws(SecretsManagerError) -> [SecretListEntry]
    {
        try called("ListSecrets")
        let secrets = state.withLock { $0 }.filter { secret in
            filters.allSatisfy { filter in
                switch filter.key {
                case "name": filter.values.contains { secret.name.hasPrefix($0) }
                case "tag-key": filter.values.contains { key in secret.tags.contains { $0.key == key } }
                case "tag-value": filter.values.contains { value in secret.tags.contains { $0.value == value } }
                default: true
                }
            }
        }
        var entries: [SecretListEntry] = []
        for secret in secrets {
            entries.append(
                SecretListEntry(
                    arn: secret.arn, name: secret.name, rotationEnabled: secret.rotationEnabled,
                    rotationLambdaARN: secret.rotationLambdaARN, rotationDays: secret.rotationDays,
                    lastRotatedDate: secret.lastRotated,
                    versionIdsToStages: secret.versions.filter { !$0.stages.isEmpty }.map { ($0.id, $0.stages) },
                    tags: secret.tags))
        }
        stride(from: 0, to: entries.count, by: max(pageSize, 1)).forEach { onPage(min(pageSize, entries.count - $0)) }
        return entries
    }

    package func batchGetSecretValue(secretIds: [String], deadline: Deadline) throws(SecretsManagerError)
        -> BatchSecretValues
    {
        try called("BatchGetSecretValue")
        guard secretIds.count <= BatchSecretValues.batchGetLimit else {
            throw SecretsManagerError(code: .invalidParameter, message: "too many secret ids")
        }
        var result = BatchSecretValues(values: [], errors: [])
        for secretId in secretIds {
            let secret = state.withLock { $0 }.first { $0.arn == secretId || $0.name == secretId }
            guard let secret, let version = secret.versions.first(where: { $0.stages.contains("AWSCURRENT") }),
                let value = version.value
            else {
                result.errors.append(.init(secretId: secretId, errorCode: "ResourceNotFoundException"))
                continue
            }
            result.values.append(
                SecretValueResponse(
                    arn: secret.arn, name: secret.name, versionId: version.id, secretString: value, secretBinary: nil,
                    versionStages: version.stages, createdDate: version.created))
        }
        return result
    }

    // MARK: The rules

    /// Puts `stage` on `versionId`, taking it off wherever it was; AWSCURRENT's old holder becomes AWSPREVIOUS.
    private static func attach(_ stage: String, to versionId: String, in secret: inout Secret) {
        let previous = secret.versions.first { $0.stages.contains(stage) }?.id
        guard previous != versionId else { return }
        for index in secret.versions.indices { secret.versions[index].stages.removeAll { $0 == stage } }
        if let index = secret.versions.firstIndex(where: { $0.id == versionId }) {
            secret.versions[index].stages.append(stage)
        }
        if stage == "AWSCURRENT", let previous { attach("AWSPREVIOUS", to: previous, in: &secret) }
    }

    private func called(_ operation: String) throws(SecretsManagerError) {
        log.withLock { $0.append(operation) }
        if let fault = faults.withLock({ $0 })?(operation) { throw fault }
    }

    /// The network error a lost answer is, after the change was made.
    private func answered(_ operation: String) throws(SecretsManagerError) {
        if loseAnswer.withLock({ $0 })?(operation) == true {
            throw SecretsManagerError(code: .network, message: "the connection closed before the answer arrived")
        }
    }

    private func find(_ secretId: String) throws(SecretsManagerError) -> Secret {
        guard let secret = state.withLock({ $0.first { $0.arn == secretId || $0.name == secretId } }) else {
            throw SecretsManagerError(
                code: .resourceNotFound, message: "Secrets Manager can't find the specified secret.")
        }
        return secret
    }

    private func mutate<Result>(_ secretId: String, _ change: (inout Secret) throws(SecretsManagerError) -> Result)
        throws(SecretsManagerError) -> Result
    {
        let outcome: Swift.Result<Result, SecretsManagerError> = state.withLock { secrets in
            guard let index = secrets.firstIndex(where: { $0.arn == secretId || $0.name == secretId }) else {
                return .failure(
                    SecretsManagerError(
                        code: .resourceNotFound, message: "Secrets Manager can't find the specified secret."))
            }
            do throws(SecretsManagerError) {
                return .success(try change(&secrets[index]))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    private static var now: Double { Double(Deadline.now().epochMilliseconds) / 1_000 }
}
