/// The password rules, read from the same environment variables as AWS's rotation templates and with the same
/// defaults and parsing, so a function can be swapped in without touching its configuration.
public struct PasswordPolicy: Sendable, Equatable {
    public var length: Int
    public var excludeCharacters: String
    public var excludeNumbers: Bool
    public var excludePunctuation: Bool
    public var excludeUppercase: Bool
    public var excludeLowercase: Bool
    public var requireEachIncludedType: Bool

    /// The character classes GetRandomPassword draws from (space is never included, as in the templates).
    static let lowercase = Array("abcdefghijklmnopqrstuvwxyz")
    static let uppercase = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let numbers = Array("0123456789")
    static let punctuation = Array(##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##)

    /// The templates' default `EXCLUDE_CHARACTERS` (the PostgreSQL template adds `:`).
    public static let defaultExcludeCharacters = #"/@"'\"#

    public init(
        length: Int = 32, excludeCharacters: String = PasswordPolicy.defaultExcludeCharacters,
        excludeNumbers: Bool = false,
        excludePunctuation: Bool = false, excludeUppercase: Bool = false, excludeLowercase: Bool = false,
        requireEachIncludedType: Bool = true
    ) {
        self.length = length
        self.excludeCharacters = excludeCharacters
        self.excludeNumbers = excludeNumbers
        self.excludePunctuation = excludePunctuation
        self.excludeUppercase = excludeUppercase
        self.excludeLowercase = excludeLowercase
        self.requireEachIncludedType = requireEachIncludedType
    }

    /// Reads `PASSWORD_LENGTH`, `EXCLUDE_CHARACTERS` and the `EXCLUDE_*` / `REQUIRE_EACH_INCLUDED_TYPE` switches.
    /// `defaultExcludeCharacters` applies when `EXCLUDE_CHARACTERS` is unset (an empty value excludes nothing).
    /// - Throws: `ConfigurationError` for a length that is not a number in 1…4096, or a policy no password can meet.
    public init(
        environment: [String: String], defaultExcludeCharacters: String = PasswordPolicy.defaultExcludeCharacters
    )
        throws(ConfigurationError)
    {
        let lengthText = environment["PASSWORD_LENGTH"] ?? "32"
        guard let length = Int(lengthText.trimmingSpaces()) else {
            throw ConfigurationError("PASSWORD_LENGTH must be a whole number from 1 to 4096; it is \"\(lengthText)\".")
        }
        func flag(_ name: String, _ defaultValue: Bool) -> Bool {
            // The templates' rule: only true, 1, y and yes (any case) mean true.
            guard let text = environment[name] else { return defaultValue }
            return ["true", "1", "y", "yes"].contains(text.lowercased())
        }
        self.init(
            length: length, excludeCharacters: environment["EXCLUDE_CHARACTERS"] ?? defaultExcludeCharacters,
            excludeNumbers: flag("EXCLUDE_NUMBERS", false), excludePunctuation: flag("EXCLUDE_PUNCTUATION", false),
            excludeUppercase: flag("EXCLUDE_UPPERCASE", false), excludeLowercase: flag("EXCLUDE_LOWERCASE", false),
            requireEachIncludedType: flag("REQUIRE_EACH_INCLUDED_TYPE", true))
        try validate()
    }

    /// The classes a password may draw from, each without the excluded characters; empty classes are dropped.
    var characterClasses: [[Character]] {
        var classes: [[Character]] = []
        if !excludeLowercase { classes.append(PasswordPolicy.lowercase) }
        if !excludeUppercase { classes.append(PasswordPolicy.uppercase) }
        if !excludeNumbers { classes.append(PasswordPolicy.numbers) }
        if !excludePunctuation { classes.append(PasswordPolicy.punctuation) }
        // Every candidate is ASCII, so the exclusions are an ASCII bitmap: a Set<Character> hashes graphemes, and
        // building it was a visible share of the cold start's instructions (callgrind).
        let excluded = ASCIISet(excludeCharacters)
        return classes.map { $0.filter { !excluded.contains($0) } }.filter { !$0.isEmpty }
    }

    /// Every character a password may contain.
    var alphabet: [Character] { characterClasses.flatMap { $0 } }

    /// - Throws: `ConfigurationError` when no password can satisfy the policy.
    public func validate() throws(ConfigurationError) {
        guard (1...4096).contains(length) else {
            throw ConfigurationError(
                "PASSWORD_LENGTH must be from 1 to 4096 (Secrets Manager's limit); it is \(length).")
        }
        // Only how many classes survive the exclusions matters here: counted without building them (start-up
        // validates one policy per target).
        let excluded = ASCIISet(excludeCharacters)
        let included = [
            (excludeLowercase, PasswordPolicy.lowercase), (excludeUppercase, PasswordPolicy.uppercase),
            (excludeNumbers, PasswordPolicy.numbers), (excludePunctuation, PasswordPolicy.punctuation),
        ].filter { switchedOff, members in !switchedOff && members.contains { !excluded.contains($0) } }
        guard !included.isEmpty else {
            throw ConfigurationError(
                "The password policy excludes every character: check EXCLUDE_CHARACTERS and the EXCLUDE_* switches.")
        }
        if requireEachIncludedType && included.count > length {
            throw ConfigurationError(
                "REQUIRE_EACH_INCLUDED_TYPE needs at least \(included.count) characters (one per included type), "
                    + "but PASSWORD_LENGTH is \(length).")
        }
    }

    /// Whether `password` meets the policy: exact length, no excluded character, each required class present.
    public func accepts(_ password: String) -> Bool {
        let characters = Array(password)
        guard characters.count == length else { return false }
        let allowed = ASCIISet(alphabet)
        guard characters.allSatisfy({ allowed.contains($0) }) else { return false }
        guard requireEachIncludedType else { return true }
        return characterClasses.allSatisfy { group in characters.contains(where: { group.contains($0) }) }
    }
}

/// A set of ASCII characters as a 128-bit map; anything else is never a member.
struct ASCIISet {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    init(_ characters: some Sequence<Character>) {
        for character in characters {
            guard let value = character.asciiValue else { continue }
            if value < 64 { low |= 1 << value } else { high |= 1 << (value - 64) }
        }
    }

    func contains(_ character: Character) -> Bool {
        guard let value = character.asciiValue else { return false }
        return value < 64 ? low & (1 << value) != 0 : high & (1 << (value - 64)) != 0
    }
}

extension String {
    /// Without leading and trailing spaces, by walking the UTF-8 bytes: the generic `reversed()`/`drop(while:)`
    /// chain this replaces cost 17 % of the cold start's instructions in runtime type lookups (callgrind).
    fileprivate func trimmingSpaces() -> String {
        let bytes = utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == UInt8(ascii: " ") { start = bytes.index(after: start) }
        while end > start, bytes[bytes.index(before: end)] == UInt8(ascii: " ") { end = bytes.index(before: end) }
        return String(self[start..<end])
    }
}
