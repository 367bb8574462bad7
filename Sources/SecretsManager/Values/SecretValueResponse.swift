/// A secret version's value from GetSecretValue.
///
/// Its textual forms never show `secretString` or `secretBinary`: a value printed by accident must not
/// reach a log.
public struct SecretValueResponse: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var arn: String
    public var name: String
    public var versionId: String
    /// The secret text (usually JSON). Sensitive.
    public var secretString: String?
    /// The secret bytes, base64-decoded. Sensitive.
    public var secretBinary: [UInt8]?
    public var versionStages: [String]
    /// Epoch seconds.
    public var createdDate: Double?

    public init(
        arn: String, name: String, versionId: String, secretString: String?, secretBinary: [UInt8]?,
        versionStages: [String], createdDate: Double?
    ) {
        self.arn = arn
        self.name = name
        self.versionId = versionId
        self.secretString = secretString
        self.secretBinary = secretBinary
        self.versionStages = versionStages
        self.createdDate = createdDate
    }

    public var description: String {
        let value =
            secretString != nil
            ? "secretString: <redacted>" : secretBinary != nil ? "secretBinary: <redacted>" : "no value"
        return "SecretValueResponse(name: \(name), versionId: \(versionId), stages: \(versionStages), \(value))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }

    init(_ response: ResponseObject) throws(SecretsManagerError) {
        var binary: [UInt8]?
        if let encoded = response.string("SecretBinary") {
            guard let decoded = Base64.decode(encoded) else {
                throw SecretsManagerError(
                    code: .invalidResponse,
                    message: "\(response.operation) response has SecretBinary that is not base64")
            }
            binary = decoded
        }
        self.init(
            arn: try response.requiredString("ARN"), name: try response.requiredString("Name"),
            versionId: try response.requiredString("VersionId"), secretString: response.string("SecretString"),
            secretBinary: binary, versionStages: response.strings("VersionStages"),
            createdDate: response.timestamp("CreatedDate"))
    }
}
