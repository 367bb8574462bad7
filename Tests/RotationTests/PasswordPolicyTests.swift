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
        "1,000 passwords per policy: exact length, nothing excluded, every required type, every allowed character reachable",
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
        for _ in 0..<1_000 {
            let password = generator.generate()
            #expect(password.count == policy.length)
            #expect(password.allSatisfy { allowed.contains($0) }, "a password has a character outside the policy")
            if policy.requireEachIncludedType {
                for group in Self.groups(policy) { #expect(password.contains(where: { group.contains($0) })) }
            }
            #expect(policy.accepts(password))
            seen.formUnion(password)
        }
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
