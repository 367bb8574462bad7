/// What DescribeSecret says about a secret: enough for the rotation preamble (is rotation enabled, which
/// version carries which staging labels).
public struct SecretDescription: Sendable {
    public var arn: String
    public var name: String
    /// `nil` when the service omitted it, which it does until rotation has ever been configured: treat as off.
    public var rotationEnabled: Bool?
    public var rotationLambdaARN: String?
    /// Every version and its staging labels, in response order. A version may have no labels (moto lists them).
    public var versionIdsToStages: [(versionId: String, stages: [String])]
    /// Epoch seconds.
    public var lastRotatedDate: Double?
    /// Epoch seconds.
    public var nextRotationDate: Double?
    /// `RotationRules`: `AutomaticallyAfterDays` and `ScheduleExpression`, when set.
    public var rotationDays: Int?
    public var scheduleExpression: String?
    /// `Tags`, in response order: RDS marks the secrets it manages with `aws:rds:primaryDBInstanceArn` or
    /// `aws:rds:primaryDBClusterArn`.
    public var tags: [(key: String, value: String)] = []
    /// `OwningService`: the service that manages the secret (`rds` for RDS-managed master secrets), if any.
    public var owningService: String?

    public init(
        arn: String, name: String, rotationEnabled: Bool?, rotationLambdaARN: String?,
        versionIdsToStages: [(versionId: String, stages: [String])], lastRotatedDate: Double?,
        nextRotationDate: Double?
    ) {
        self.arn = arn
        self.name = name
        self.rotationEnabled = rotationEnabled
        self.rotationLambdaARN = rotationLambdaARN
        self.versionIdsToStages = versionIdsToStages
        self.lastRotatedDate = lastRotatedDate
        self.nextRotationDate = nextRotationDate
    }

    /// The staging labels of `versionId`, or `nil` when the secret has no such version.
    public func stages(ofVersion versionId: String) -> [String]? {
        versionIdsToStages.first(where: { $0.versionId == versionId })?.stages
    }

    /// The value of the first tag whose key is `key` in any case (the templates match tag keys so).
    public func tag(_ key: String) -> String? {
        let wanted = key.lowercased()
        return tags.first(where: { $0.key.lowercased() == wanted })?.value
    }

    /// The version that carries `stage` (e.g. `AWSCURRENT`), if any.
    public func versionId(withStage stage: String) -> String? {
        versionIdsToStages.first(where: { $0.stages.contains(stage) })?.versionId
    }

    init(_ response: ResponseObject) throws(SecretsManagerError) {
        var versions: [(versionId: String, stages: [String])] = []
        for member in response.nested("VersionIdsToStages")?.members ?? [] {
            versions.append((member.key, (member.value.arrayValue ?? []).compactMap(\.stringValue)))
        }
        self.init(
            arn: try response.requiredString("ARN"), name: try response.requiredString("Name"),
            rotationEnabled: response.bool("RotationEnabled"), rotationLambdaARN: response.string("RotationLambdaARN"),
            versionIdsToStages: versions, lastRotatedDate: response.timestamp("LastRotatedDate"),
            nextRotationDate: response.timestamp("NextRotationDate"))
        let rules = response.nested("RotationRules")
        rotationDays = rules?["AutomaticallyAfterDays"]?.doubleValue.map { Int($0) }
        scheduleExpression = rules?["ScheduleExpression"]?.stringValue
        tags = response.objects("Tags").compactMap { tag in
            guard let key = tag.string("Key") else { return nil }
            return (key, tag.string("Value") ?? "")
        }
        owningService = response.string("OwningService")
    }
}
