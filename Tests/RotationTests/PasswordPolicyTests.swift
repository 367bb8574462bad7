import Rotation
import Testing

@Suite("Password policy")
struct PasswordPolicyTests {
    @Test("defaults are the templates': length 32, /@\"'\\ excluded, every type required")
    func defaults() throws {
        let policy = try PasswordPolicy(environment: [:])
        #expect(policy == PasswordPolicy(length: 32, excludeCharacters: #"/@"'\"#, requireEachIncludedType: true))
    }

    @Test(
        "switches are true only for true, 1, y, yes (any case)",
        arguments: [
            ("true", true), ("TRUE", true), ("1", true), ("y", true), ("Yes", true),
            ("on", false), ("enabled", false), ("0", false), ("false", false), ("", false),
        ])
    func flags(value: String, expected: Bool) throws {
        let policy = try PasswordPolicy(environment: ["EXCLUDE_NUMBERS": value])
        #expect(policy.excludeNumbers == expected)
    }

    @Test("an empty EXCLUDE_CHARACTERS excludes nothing; unset uses the target's default")
    func excludeCharacters() throws {
        #expect(try PasswordPolicy(environment: ["EXCLUDE_CHARACTERS": ""]).excludeCharacters == "")
        #expect(try PasswordPolicy(environment: [:], defaultExcludeCharacters: ":/").excludeCharacters == ":/")
    }

    @Test(
        "impossible policies are configuration errors",
        arguments: [
            ["PASSWORD_LENGTH": ""], ["PASSWORD_LENGTH": "abc"], ["PASSWORD_LENGTH": "0"], ["PASSWORD_LENGTH": "4097"],
            ["EXCLUDE_NUMBERS": "1", "EXCLUDE_PUNCTUATION": "1", "EXCLUDE_UPPERCASE": "1", "EXCLUDE_LOWERCASE": "1"],
            [
                "EXCLUDE_NUMBERS": "1", "EXCLUDE_PUNCTUATION": "1", "EXCLUDE_UPPERCASE": "1",
                "EXCLUDE_CHARACTERS": "abcdefghijklmnopqrstuvwxyz",
            ],
            ["PASSWORD_LENGTH": "3"],
        ])
    func impossible(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try PasswordPolicy(environment: environment) }
    }

    @Test(
        "enough passwords per policy (4,000 characters, at least 300): exact length, nothing excluded, every required type, every allowed character reachable",
        arguments: [
            [String: String](),
            ["EXCLUDE_CHARACTERS": ""],
            ["PASSWORD_LENGTH": "12", "EXCLUDE_PUNCTUATION": "yes"],
            ["PASSWORD_LENGTH": "4"],
            ["PASSWORD_LENGTH": "64", "EXCLUDE_UPPERCASE": "true", "EXCLUDE_CHARACTERS": "aeiou01"],
            ["PASSWORD_LENGTH": "8", "EXCLUDE_LOWERCASE": "1", "EXCLUDE_UPPERCASE": "1", "EXCLUDE_PUNCTUATION": "1"],
            ["REQUIRE_EACH_INCLUDED_TYPE": "false", "PASSWORD_LENGTH": "20"],
        ])
    func generated(environment: [String: String]) throws {
        let policy = try PasswordPolicy(environment: environment)
        let generator = PasswordGenerator(policy: policy)
        let allowed = Set(Self.allCharacters).subtracting(policy.excludeCharacters)
            .filter { character in
                !(policy.excludeNumbers && character.isNumber) && !(policy.excludeUppercase && character.isUppercase)
                    && !(policy.excludeLowercase && character.isLowercase)
                    && !(policy.excludePunctuation && !character.isLetter && !character.isNumber)
            }
        var seen = Set<Character>()
        // 4,000 characters drawn from at most 94 leave each allowed one unseen with a chance below 10⁻¹⁵.
        // Failures are counted and checked once: an expectation per password made this test the unit lane's slowest.
        var wrongLength = 0
        var outside = 0
        var missingType = 0
        var refused = 0
        let groups = Self.groups(policy)
        for _ in 0..<max(300, 4_000 / policy.length) {
            let password = generator.generate()
            if password.count != policy.length { wrongLength += 1 }
            if !password.allSatisfy({ allowed.contains($0) }) { outside += 1 }
            if policy.requireEachIncludedType
                && !groups.allSatisfy({ group in password.contains(where: { group.contains($0) }) })
            {
                missingType += 1
            }
            if !policy.accepts(password) { refused += 1 }
            seen.formUnion(password)
        }
        #expect(
            wrongLength == 0 && outside == 0 && missingType == 0 && refused == 0,
            "wrong length \(wrongLength), outside the policy \(outside), a type missing \(missingType), refused \(refused)"
        )
        #expect(seen == allowed, "unreachable characters: \(allowed.subtracting(seen).count)")
    }

    @Test("accepts() rejects wrong length, excluded characters and missing types")
    func acceptance() {
        let policy = PasswordPolicy(length: 4, excludeCharacters: "x")
        #expect(policy.accepts("aB3!"))
        #expect(!policy.accepts("aB3!a"))
        #expect(!policy.accepts("xB3!"))
        #expect(!policy.accepts("aBc!"))
    }

    static let allCharacters = Array(
        ##"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##)

    static func groups(_ policy: PasswordPolicy) -> [Set<Character>] {
        let excluded = Set(policy.excludeCharacters)
        var groups: [Set<Character>] = []
        if !policy.excludeLowercase { groups.append(Set("abcdefghijklmnopqrstuvwxyz")) }
        if !policy.excludeUppercase { groups.append(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) }
        if !policy.excludeNumbers { groups.append(Set("0123456789")) }
        if !policy.excludePunctuation { groups.append(Set(##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##)) }
        return groups.map { $0.subtracting(excluded) }.filter { !$0.isEmpty }
    }
}
