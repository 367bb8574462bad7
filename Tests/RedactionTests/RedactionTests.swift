import Redaction
import Testing

@Suite("Secrets cut out of text by bytes")
struct RedactionTests {
    @Test("a secret followed by a combining mark is still cut out (it forms another grapheme cluster)")
    func combiningMark() {
        let secret = "SG.key-value-1234"
        let text = "invalid key \(secret)\u{0301} given"
        #expect(text.replacing(secret, with: "<redacted>").contains("key-value"), "Character matching misses it")
        let redacted = text.redacting([secret])
        #expect(!redacted.utf8.elementsEqual(text.utf8))
        #expect(!Array(redacted.utf8).containsSubsequence(Array(secret.utf8)))
        #expect(redacted == "invalid key <redacted>\u{0301} given")
    }

    @Test("the longest secret first, every occurrence, empty secrets ignored, other text untouched")
    func longestFirst() {
        #expect("a abcdef b abc".redacting(["abc", "abcdef", ""]) == "a <redacted> b <redacted>")
        #expect("nothing here".redacting(["secret"], with: "[x]") == "nothing here")
        #expect("ünï ünï".redacting(["nï"], with: "*") == "ü* ü*")
    }
}

extension Array where Element: Equatable {
    fileprivate func containsSubsequence(_ other: [Element]) -> Bool {
        guard !other.isEmpty, other.count <= count else { return other.isEmpty }
        return (0...(count - other.count)).contains { self[$0..<($0 + other.count)].elementsEqual(other) }
    }
}
