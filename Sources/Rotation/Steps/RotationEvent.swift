import JSON

/// The four steps Secrets Manager invokes, with the exact names it sends.
public enum RotationStep: String, Sendable, CaseIterable {
    case createSecret
    case setSecret
    case testSecret
    case finishSecret
}

/// The event Secrets Manager sends: `{"Step", "SecretId", "ClientRequestToken", "RotationToken"?}`.
/// Unknown fields are ignored, as Secrets Manager may add more.
public struct RotationEvent: Sendable, Equatable {
    public var step: RotationStep
    public var secretId: String
    /// The pending version's id; all four steps of one rotation carry the same token.
    public var clientRequestToken: String
    /// Opaque proof for assumed-role and cross-account rotation; forwarded to PutSecretValue.
    public var rotationToken: String?

    public init(step: RotationStep, secretId: String, clientRequestToken: String, rotationToken: String? = nil) {
        self.step = step
        self.secretId = secretId
        self.clientRequestToken = clientRequestToken
        self.rotationToken = rotationToken
    }

    /// Parses an event body.
    /// - Throws: `RotationError.invalidEvent`, naming the field that is missing or of the wrong type.
    public init(parsing body: [UInt8]) throws(RotationError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body, options: JSONParsingOptions(rejectsDuplicateKeys: true))
        } catch {
            throw .invalidEvent("The event is not JSON (\(error.description)). " + RotationEvent.expectedShape)
        }
        guard case .object(let object) = document else {
            throw .invalidEvent(
                "The event is a JSON \(document.typeName), not an object. " + RotationEvent.expectedShape)
        }
        let stepName = try RotationEvent.requiredString("Step", in: object)
        guard let step = RotationStep(rawValue: stepName) else {
            let shown = stepName.count > 40 ? String(stepName.prefix(40)) + "…" : stepName
            throw .invalidEvent(
                "Invalid step parameter \(JSONValue.quoted(shown)): Step must be one of createSecret, setSecret, "
                    + "testSecret, finishSecret (exact spelling).")
        }
        self.step = step
        self.secretId = try RotationEvent.requiredString("SecretId", in: object)
        self.clientRequestToken = try RotationEvent.requiredString("ClientRequestToken", in: object)
        switch object["RotationToken"] {
        case nil, .null?: self.rotationToken = nil
        case .string(let token)?: self.rotationToken = token
        case let other?:
            throw .invalidEvent("The event's \"RotationToken\" field must be a string, not a \(other.typeName).")
        }
    }

    /// The JSON Secrets Manager would send for this event.
    public var json: String {
        var object = JSONObject([
            "Step": .string(step.rawValue), "SecretId": .string(secretId),
            "ClientRequestToken": .string(clientRequestToken),
        ])
        if let rotationToken { object["RotationToken"] = .string(rotationToken) }
        return object.serialized
    }

    static let expectedShape =
        #"Secrets Manager sends {"Step": "createSecret|setSecret|testSecret|finishSecret", "SecretId": "<ARN>", "ClientRequestToken": "<version id>"}."#

    private static func requiredString(_ field: String, in object: JSONObject) throws(RotationError) -> String {
        switch object[field] {
        case nil:
            throw .invalidEvent("The event has no \"\(field)\" field. " + expectedShape)
        case .string(let value)?:
            guard !value.isEmpty else { throw .invalidEvent("The event's \"\(field)\" field is empty.") }
            return value
        case let other?:
            throw .invalidEvent("The event's \"\(field)\" field must be a string, not a \(other.typeName).")
        }
    }
}
