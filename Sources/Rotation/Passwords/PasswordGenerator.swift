/// Random passwords from the kernel's CSPRNG, drawn without modulo bias.
public struct PasswordGenerator: Sendable {
    public let policy: PasswordPolicy

    public init(policy: PasswordPolicy) {
        self.policy = policy
    }

    /// A password that meets the policy.
    ///
    /// Every character is drawn uniformly from the whole alphabet; a password missing a required class is drawn
    /// again, which keeps the result uniform over all acceptable passwords (for the default length of 32 a redraw
    /// is rare). Only if that keeps failing (tiny lengths) does it place one character of each class at random.
    public func generate() -> String {
        let alphabet = policy.alphabet
        for _ in 0..<1_000 {
            let candidate = String((0..<policy.length).map { _ in alphabet[SecureRandom.index(below: alphabet.count)] })
            if policy.accepts(candidate) { return candidate }
        }
        var characters = (0..<policy.length).map { _ in alphabet[SecureRandom.index(below: alphabet.count)] }
        var positions = Array(0..<policy.length)
        SecureRandom.shuffle(&positions)
        for (group, position) in zip(policy.characterClasses, positions) {
            characters[position] = group[SecureRandom.index(below: group.count)]
        }
        return String(characters)
    }
}

/// Uniform random numbers from the kernel's CSPRNG. `SystemRandomNumberGenerator` is the standard library's
/// wrapper of getrandom(2) on Linux (it blocks until the pool is initialised and never falls back to a PRNG).
package enum SecureRandom {
    /// A uniform integer in `0..<bound`, by rejection sampling: values from the incomplete last block of
    /// 2^32 are thrown away, so no index is more likely than another.
    static func index(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }  // A validated policy never asks for an empty range.
        let range = UInt32(bound)
        let limit = UInt32.max - (UInt32.max % range)
        while true {
            let value = randomUInt32()
            if value < limit { return Int(value % range) }
        }
    }

    static func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for last in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(last, index(below: last + 1))
        }
    }

    static func randomUInt32() -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// A random UUID (version 4), the form Secrets Manager uses for version ids.
    package static func uuid() -> String {
        var bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: randomUInt32()) { Array($0) } }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte -> String in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}
