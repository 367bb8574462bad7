import JSON

/// The GetRandomPassword parameters, with the API's defaults (32 characters, every type required).
public struct RandomPasswordRequest: Sendable, Equatable {
    /// 1–4096.
    public var passwordLength: Int
    /// Characters the password must not contain; empty for none.
    public var excludeCharacters: String
    public var excludeNumbers: Bool
    public var excludePunctuation: Bool
    public var excludeUppercase: Bool
    public var excludeLowercase: Bool
    public var includeSpace: Bool
    /// At least one character of every included type (the API's default).
    public var requireEachIncludedType: Bool

    public init(
        passwordLength: Int = 32, excludeCharacters: String = "", excludeNumbers: Bool = false,
        excludePunctuation: Bool = false, excludeUppercase: Bool = false, excludeLowercase: Bool = false,
        includeSpace: Bool = false, requireEachIncludedType: Bool = true
    ) {
        self.passwordLength = passwordLength
        self.excludeCharacters = excludeCharacters
        self.excludeNumbers = excludeNumbers
        self.excludePunctuation = excludePunctuation
        self.excludeUppercase = excludeUppercase
        self.excludeLowercase = excludeLowercase
        self.includeSpace = includeSpace
        self.requireEachIncludedType = requireEachIncludedType
    }

    /// The request body. Every switch is sent explicitly so the result does not depend on service defaults;
    /// an empty `ExcludeCharacters` is left out, as the templates do.
    var json: JSONObject {
        var object = JSONObject(["PasswordLength": .integer(passwordLength)])
        if !excludeCharacters.isEmpty { object["ExcludeCharacters"] = .string(excludeCharacters) }
        object["ExcludeNumbers"] = .bool(excludeNumbers)
        object["ExcludePunctuation"] = .bool(excludePunctuation)
        object["ExcludeUppercase"] = .bool(excludeUppercase)
        object["ExcludeLowercase"] = .bool(excludeLowercase)
        object["IncludeSpace"] = .bool(includeSpace)
        object["RequireEachIncludedType"] = .bool(requireEachIncludedType)
        return object
    }
}
