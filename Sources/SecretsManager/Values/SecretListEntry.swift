/// One secret as ListSecrets describes it: its rotation settings and labels, never its value.
public struct SecretListEntry: Sendable {
    public var arn: String
    public var name: String
    public var rotationEnabled: Bool?
    public var rotationLambdaARN: String?
    /// `RotationRules.AutomaticallyAfterDays` and `ScheduleExpression`, when set.
    public var rotationDays: Int?
    public var scheduleExpression: String?
    /// Epoch seconds.
    public var lastRotatedDate: Double?
    public var nextRotationDate: Double?
    public var lastChangedDate: Double?
    /// Every version and its labels (`SecretVersionsToStages`).
    public var versionIdsToStages: [(versionId: String, stages: [String])]
    public var tags: [(key: String, value: String)]

    public init(
        arn: String, name: String, rotationEnabled: Bool? = nil, rotationLambdaARN: String? = nil,
        rotationDays: Int? = nil, scheduleExpression: String? = nil, lastRotatedDate: Double? = nil,
        nextRotationDate: Double? = nil, lastChangedDate: Double? = nil,
        versionIdsToStages: [(versionId: String, stages: [String])] = [], tags: [(key: String, value: String)] = []
    ) {
        self.arn = arn
        self.name = name
        self.rotationEnabled = rotationEnabled
        self.rotationLambdaARN = rotationLambdaARN
        self.rotationDays = rotationDays
        self.scheduleExpression = scheduleExpression
        self.lastRotatedDate = lastRotatedDate
        self.nextRotationDate = nextRotationDate
        self.lastChangedDate = lastChangedDate
        self.versionIdsToStages = versionIdsToStages
        self.tags = tags
    }

    init(_ response: ResponseObject) throws(SecretsManagerError) {
        var versions: [(versionId: String, stages: [String])] = []
        for member in response.nested("SecretVersionsToStages")?.members ?? [] {
            versions.append((member.key, (member.value.arrayValue ?? []).compactMap(\.stringValue)))
        }
        let rules = response.nested("RotationRules")
        let tags = response.objects("Tags").compactMap { tag -> (key: String, value: String)? in
            guard let key = tag.string("Key") else { return nil }
            return (key, tag.string("Value") ?? "")
        }
        self.init(
            arn: try response.requiredString("ARN"), name: try response.requiredString("Name"),
            rotationEnabled: response.bool("RotationEnabled"), rotationLambdaARN: response.string("RotationLambdaARN"),
            rotationDays: rules?["AutomaticallyAfterDays"]?.doubleValue.map { Int($0) },
            scheduleExpression: rules?["ScheduleExpression"]?.stringValue,
            lastRotatedDate: response.timestamp("LastRotatedDate"),
            nextRotationDate: response.timestamp("NextRotationDate"),
            lastChangedDate: response.timestamp("LastChangedDate"), versionIdsToStages: versions, tags: tags)
    }
}

/// A ListSecrets filter (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html).
public struct SecretListFilter: Sendable, Equatable {
    /// `name` (prefix), `tag-key`, `tag-value`, `description`, `all`, …
    public var key: String
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}
