/// Cutting secrets out of text, by UTF-8 bytes.
///
/// `String.replacing` compares grapheme clusters: a secret followed by a combining mark (U+0301 after its last
/// letter, as an API's error text may have it) forms another cluster and is not found, so the secret went through.
/// Bytes have no such joins: every occurrence of a secret's bytes is replaced.
extension String {
    /// This text with every occurrence of each secret's UTF-8 bytes replaced by `marker`, longest secret first (so
    /// that a secret inside another is not left half-replaced). Empty secrets are ignored.
    public func redacting(_ secrets: [String], with marker: String = "<redacted>") -> String {
        let patterns = secrets.filter { !$0.isEmpty }.map { Array($0.utf8) }.sorted { $0.count > $1.count }
        guard !patterns.isEmpty else { return self }
        var bytes = Array(utf8)
        let replacement = Array(marker.utf8)
        for pattern in patterns where pattern.count <= bytes.count {
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count)
            var index = 0
            var changed = false
            while index < bytes.count {
                if index + pattern.count <= bytes.count, bytes[index] == pattern[0],
                    bytes[index..<(index + pattern.count)].elementsEqual(pattern)
                {
                    result += replacement
                    index += pattern.count
                    changed = true
                } else {
                    result.append(bytes[index])
                    index += 1
                }
            }
            if changed { bytes = result }
        }
        // UTF-8 is self-synchronising: a valid secret's bytes can only match on character boundaries, so the cuts
        // leave valid UTF-8.
        return String(decoding: bytes, as: UTF8.self)
    }
}
