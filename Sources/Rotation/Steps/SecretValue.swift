import JSON

/// A secret's `SecretString`, as rotation sees it: a JSON object (database secrets) or a bare string
/// (the generic template's plain password). Its description never shows the value.
public enum SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case json(JSONObject)
    case plain(String)

    /// Reads a `SecretString`. Text that looks like JSON (its first character after blanks is `{` or `[`) must
    /// be a JSON object that Python's `json` module reads the same way; anything else is a plain secret.
    ///
    /// Treating unreadable JSON as plain text would replace it whole with a bare password, losing every other
    /// key, so it is refused instead and left untouched.
    /// - Throws: `SecretFormatError` saying what is wrong and where (a byte offset), never the content.
    public init(secretString: String) throws(SecretFormatError) {
        let scalars = secretString.unicodeScalars
        let startsWithMark = scalars.first == "\u{FEFF}"
        let first = scalars.dropFirst(startsWithMark ? 1 : 0).first(where: { !SecretValue.jsonBlanks.contains($0) })
        guard first == "{" || first == "[" else {
            self = .plain(secretString)
            return
        }
        if startsWithMark {
            throw SecretFormatError(
                "looks like JSON but starts with a byte-order mark (U+FEFF), which JSON readers such as Python's "
                    + "json module refuse; store it without the mark")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: secretString, options: .pythonCompatibleUnique)
        } catch {
            throw SecretFormatError("looks like JSON but is not valid JSON (\(error.description))")
        }
        guard case .object(let object) = value else {
            throw SecretFormatError(
                "is a JSON \(value.typeName), not an object; only JSON objects and plain text can be rotated")
        }
        self = .json(object)
    }

    /// Reads version `stage` of `secretId`, as `init(secretString:)` does.
    /// - Throws: `RotationError.invalidSecret` naming the version and what is wrong with it.
    public init(secretString: String, stage: String, secretId: String) throws(RotationError) {
        do {
            try self.init(secretString: secretString)
        } catch {
            throw .invalidSecret(
                "The \(stage) value of secret \(secretId) \(error.reason). Nothing was changed. Fix the value (aws "
                    + "secretsmanager put-secret-value), then rotate again; a plain password that starts with { or [ "
                    + "must be replaced by hand once.")
        }
    }

    /// JSON's insignificant white space (RFC 8259 §2).
    static let jsonBlanks: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]

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

/// Why a `SecretString` cannot be read safely. `reason` completes "The value …" and never quotes the value.
public struct SecretFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "the secret value \(reason)" }
}
