/// What PutSecretValue returns: the version it created (or found, when the call was a repeat).
public struct PutSecretValueResponse: Sendable {
    public var arn: String
    public var versionId: String
    public var versionStages: [String]

    public init(arn: String, versionId: String, versionStages: [String]) {
        self.arn = arn
        self.versionId = versionId
        self.versionStages = versionStages
    }

    init(_ response: ResponseObject) throws(SecretsManagerError) {
        self.init(
            arn: try response.requiredString("ARN"), versionId: try response.requiredString("VersionId"),
            versionStages: response.strings("VersionStages"))
    }
}
