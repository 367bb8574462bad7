/// The INI files of the AWS CLI and SDKs (`~/.aws/credentials`, `~/.aws/config`), read the way botocore's
/// configparser does: `[section]` headers, `key = value` lines, `#`/`;` comment lines, keys lowercased.
/// Indented lines continue a nested value (`s3 =` blocks) and are skipped: nothing here needs them.
struct SharedConfigFile: Sendable {
    private(set) var sections: [String: [String: String]] = [:]

    init(text: String) {
        var current: String?
        for rawLine in text.split(
            omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        {
            if let first = rawLine.first, first == " " || first == "\t" { continue }
            let line = Self.trimmed(rawLine)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = Self.trimmed(line.dropFirst().dropLast())
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                continue
            }
            let key = Self.trimmed(line[..<separator]).lowercased()
            let value = Self.trimmed(line[line.index(after: separator)...])
            sections[section]?[key] = value
        }
    }

    /// The keys of `profile` in a credentials file, where sections are bare profile names.
    func credentialsProfile(_ profile: String) -> [String: String]? {
        sections[profile]
    }

    /// The keys of `profile` in a config file, where sections read `[profile name]` (and `[default]`).
    func configProfile(_ profile: String) -> [String: String]? {
        if let section = sections["profile \(profile)"] { return section }
        return profile == "default" ? sections["default"] : nil
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(text[first...last])
    }
}
