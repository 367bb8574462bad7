import JSON

/// Everything secret a test created, so it can check that nothing a program printed contains any of it.
package final class LeakScanner: @unchecked Sendable {
    private let values = Locked<Set<String>>([])
    /// Shorter values are not scanned for: they would match ordinary text by chance.
    package static let minimumLength = 6

    package init() {}

    /// Registers a secret string and, for a JSON object, the string value of every key that names a credential
    /// (`password`, `api_key`, `token`, `secret`, … in any case), at any depth.
    package func watch(secretString: String) {
        watch(secretString)
        let options = JSONParsingOptions(allowsNonFiniteNumbers: true)
        if let document = try? JSONValue(parsing: secretString, options: options) { watchCredentials(in: document) }
    }

    package func watch(_ value: String) { values.withLock { _ = $0.insert(value) } }

    package func isWatching(_ value: String) -> Bool { values.withLock { $0.contains(value) } }

    /// One line per watched value found in `output` (its length, never the value): tests expect none.
    package func findings(in output: String) -> [String] {
        values.withLock { $0 }.filter { $0.count >= Self.minimumLength && output.contains($0) }
            .map { "the output contains a secret value (\($0.count) characters)" }
    }

    private func watchCredentials(in value: JSONValue) {
        switch value {
        case .object(let object):
            for member in object.members {
                if let text = member.value.stringValue, Self.namesCredential(member.key) { watch(text) }
                watchCredentials(in: member.value)
            }
        case .array(let elements):
            elements.forEach(watchCredentials(in:))
        default:
            break
        }
    }

    static func namesCredential(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "key", "token", "secret", "credential"].contains { lowered.contains($0) }
    }
}
