extension JSONValue {
    /// The compact serialisation: no whitespace, members in order, numbers as their literal text,
    /// non-ASCII characters as UTF-8 and control characters escaped.
    public var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    public var serializedBytes: [UInt8] { Array(serialized.utf8) }

    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): JSONValue.writeQuoted(value, to: &output)
        case .array(let elements):
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (position, member) in object.members.enumerated() {
                if position > 0 { output += "," }
                JSONValue.writeQuoted(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    /// Writes `text` as a JSON string literal. Runs of bytes that need no escape are appended whole: appending
    /// scalar by scalar cost 40 % of a warm invocation's instructions (every error report and log line is JSON).
    public static func writeQuoted(_ text: String, to output: inout String) {
        output += "\""
        let bytes = text.utf8
        var runStart = bytes.startIndex
        var index = runStart
        while index < bytes.endIndex {
            let byte = bytes[index]
            // Every byte that needs an escape is ASCII, so runs start and end on scalar boundaries (not always on
            // Character boundaries: `"` then a combining accent is one Character), hence the scalar-view slices.
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else {
                index = bytes.index(after: index)
                continue
            }
            output += Substring(text.unicodeScalars[runStart..<index])
            output += escape(byte)
            index = bytes.index(after: index)
            runStart = index
        }
        output += Substring(text.unicodeScalars[runStart..<bytes.endIndex])
        output += "\""
    }

    private static func escape(_ byte: UInt8) -> String {
        switch byte {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        default:
            let digits = Array("0123456789abcdef")
            return "\\u00" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var output = ""
        writeQuoted(text, to: &output)
        return output
    }
}

extension JSONObject {
    public var serialized: String { JSONValue.object(self).serialized }
}
