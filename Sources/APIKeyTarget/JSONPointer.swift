import JSON

/// An RFC 6901 JSON Pointer (`/result/0/id`; `~1` is `/`, `~0` is `~`): where a recipe finds a value in a
/// response (https://www.rfc-editor.org/rfc/rfc6901).
struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    let tokens: [String]
    let description: String

    /// - Throws: when `text` is neither empty (the whole document) nor starts with `/`, or has a bad `~` escape.
    init(_ text: String) throws(RecipeError) {
        description = text
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else { throw RecipeError("\"\(text)\" is not a JSON Pointer (it must start with /)") }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var escaped = false
            for character in raw {
                if escaped {
                    switch character {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw RecipeError("\"\(text)\" has ~\(character); only ~0 and ~1 are escapes")
                    }
                    escaped = false
                } else if character == "~" {
                    escaped = true
                } else {
                    token.append(character)
                }
            }
            if escaped { throw RecipeError("\"\(text)\" ends with a lone ~") }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    /// The value it points at, or `nil`.
    func resolve(in document: JSONValue) -> JSONValue? {
        var value = document
        for token in tokens {
            switch value {
            case .object(let object):
                guard let next = object[token] else { return nil }
                value = next
            case .array(let array):
                // RFC 6901 §4: a decimal index without leading zeros.
                guard let index = Int(token), String(index) == token, array.indices.contains(index) else { return nil }
                value = array[index]
            default:
                return nil
            }
        }
        return value
    }
}
