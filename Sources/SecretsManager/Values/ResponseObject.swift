import JSON

/// Lenient reading of a JSON response object: unknown members are ignored, a member with the wrong type
/// counts as absent, and only fields the caller cannot do without throw when missing.
struct ResponseObject {
    let operation: String
    let object: JSONObject

    /// - Throws: `invalidResponse` when `body` is not a JSON object.
    init(operation: String, body: [UInt8]) throws(SecretsManagerError) {
        self.operation = operation
        let value: JSONValue
        do {
            // An empty body is an empty object: some operations (UpdateSecretVersionStage) need nothing from it.
            value = body.isEmpty ? .object(JSONObject()) : try JSONValue(parsing: body)
        } catch {
            throw SecretsManagerError(
                code: .invalidResponse, message: "\(operation) response is not valid JSON (\(error))")
        }
        guard let object = value.objectValue else {
            throw SecretsManagerError(
                code: .invalidResponse, message: "\(operation) response is a JSON \(value.typeName), not an object")
        }
        self.object = object
    }

    init(operation: String, object: JSONObject) {
        self.operation = operation
        self.object = object
    }

    func string(_ key: String) -> String? { object[key]?.stringValue }

    /// - Throws: `invalidResponse` naming the member (never a value) when it is missing or not a string.
    func requiredString(_ key: String) throws(SecretsManagerError) -> String {
        guard let value = string(key) else {
            throw SecretsManagerError(
                code: .invalidResponse, message: "\(operation) response has no string member \(key)")
        }
        return value
    }

    func bool(_ key: String) -> Bool? { object[key]?.boolValue }

    /// Timestamps are epoch seconds as JSON numbers (integers from moto, fractions or exponents from AWS).
    func timestamp(_ key: String) -> Double? { object[key]?.doubleValue }

    /// A list of strings; non-string elements are skipped, a missing list is empty.
    func strings(_ key: String) -> [String] {
        (object[key]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    func objects(_ key: String) -> [ResponseObject] {
        (object[key]?.arrayValue ?? []).compactMap { element in
            element.objectValue.map { ResponseObject(operation: operation, object: $0) }
        }
    }

    func nested(_ key: String) -> JSONObject? { object[key]?.objectValue }
}
