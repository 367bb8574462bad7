import JSON

/// A secret's `SecretString`, as rotation sees it: a JSON object (database secrets) or a bare string
/// (the generic template's plain password). Its description never shows the value.
public enum SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case json(JSONObject)
    case plain(String)

    /// Reads a `SecretString`: a JSON object becomes `.json`; anything else, including other JSON, is `.plain`.
    public init(secretString: String) {
        if case .object(let object)? = try? JSONValue(parsing: secretString) {
            self = .json(object)
        } else {
            self = .plain(secretString)
        }
    }

    /// The `SecretString` to store: JSON keeps its member order and number literals.
    public var secretString: String {
        switch self {
        case .json(let object): object.serialized
        case .plain(let text): text
        }
    }

    /// The JSON object, or `nil` for a plain secret.
    public var object: JSONObject? {
        if case .json(let object) = self { return object }
        return nil
    }

    /// A string field of a JSON secret (`username`, `host`, …); `nil` if absent, not a string, or plain.
    public func string(_ key: String) -> String? {
        object?[key]?.stringValue
    }

    public var description: String {
        switch self {
        case .json(let object): "SecretValue(json, keys: \(object.keys))"
        case .plain: "SecretValue(plain, <redacted>)"
        }
    }

    public var debugDescription: String { description }
}
