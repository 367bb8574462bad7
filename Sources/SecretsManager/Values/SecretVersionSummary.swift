/// One entry of ListSecretVersionIds.
public struct SecretVersionSummary: Sendable, Equatable {
    public var versionId: String
    /// Empty for a deprecated version.
    public var versionStages: [String]
    /// Epoch seconds.
    public var createdDate: Double?

    public init(versionId: String, versionStages: [String], createdDate: Double?) {
        self.versionId = versionId
        self.versionStages = versionStages
        self.createdDate = createdDate
    }

    init(_ response: ResponseObject) throws(SecretsManagerError) {
        self.init(
            versionId: try response.requiredString("VersionId"), versionStages: response.strings("VersionStages"),
            createdDate: response.timestamp("CreatedDate"))
    }
}
