import DatabaseRotation

/// A token of the SQL a MySQL-family server prints (`SHOW GRANTS`, `SHOW CREATE USER`), with its exact text, so
/// that parts of a statement the server wrote can be reused as written: its quoting is the server's own
/// (https://mariadb.com/kb/en/identifier-names/, https://dev.mysql.com/doc/refman/8.0/en/string-literals.html).
struct MySQLToken: Equatable {
    enum Kind: Equatable {
        /// A keyword, number or unquoted name (`GRANT`, `10`, `*.*`).
        case word
        /// A `` `quoted` `` identifier.
        case identifier
        /// A `'quoted'` or `"quoted"` string.
        case string
        /// `,`, `(`, `)` or `@`.
        case symbol
    }

    var kind: Kind
    /// The token as written, quotes included.
    var text: String
    /// The token's value: quotes and escapes removed.
    var value: String
    /// Where the token is in the statement (UTF-8 offsets), so that a run of tokens can be taken as written.
    var range: Range<Int>

    /// Whether this is the unquoted keyword `word` (any case).
    func isKeyword(_ word: String) -> Bool { kind == .word && text.uppercased() == word }
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
}

/// Splits a statement into tokens; `throws` for an unterminated quote, which no server output has.
enum MySQLLexer {
    static func tokens(_ statement: String) throws(DatabaseError) -> [MySQLToken] {
        let bytes = Array(statement.utf8)
        var tokens: [MySQLToken] = []
        var index = 0
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"):
                tokens.append(
                    MySQLToken(
                        kind: .symbol, text: text(index..<index + 1), value: text(index..<index + 1),
                        range: index..<index + 1))
                index += 1
            case UInt8(ascii: "`"), UInt8(ascii: "'"), UInt8(ascii: "\""):
                let start = index
                var value: [UInt8] = []
                index += 1
                var closed = false
                while index < bytes.count {
                    let next = bytes[index]
                    if next == byte {
                        // A doubled quote is one quote character.
                        if index + 1 < bytes.count && bytes[index + 1] == byte {
                            value.append(byte)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if next == UInt8(ascii: "\\") && byte != UInt8(ascii: "`") && index + 1 < bytes.count {
                        value.append(unescaped(bytes[index + 1]))
                        index += 2
                        continue
                    }
                    value.append(next)
                    index += 1
                }
                guard closed else {
                    throw DatabaseError(.unsupported, "the server printed a statement with an unterminated quote")
                }
                tokens.append(
                    MySQLToken(
                        kind: byte == UInt8(ascii: "`") ? .identifier : .string, text: text(start..<index),
                        value: String(decoding: value, as: UTF8.self), range: start..<index))
            default:
                let start = index
                while index < bytes.count, !separators.contains(bytes[index]) { index += 1 }
                tokens.append(
                    MySQLToken(
                        kind: .word, text: text(start..<index), value: text(start..<index), range: start..<index))
            }
        }
        return tokens
    }

    private static let separators = Set(" \t\n\r,()@`'\"".utf8)

    /// The character a backslash escape stands for (https://mariadb.com/kb/en/string-literals/).
    private static func unescaped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0"): 0
        case UInt8(ascii: "n"): UInt8(ascii: "\n")
        case UInt8(ascii: "r"): UInt8(ascii: "\r")
        case UInt8(ascii: "t"): UInt8(ascii: "\t")
        case UInt8(ascii: "Z"): 0x1A
        default: byte
        }
    }
}

/// A statement and its tokens: what the account code parses, and takes parts of as written.
struct MySQLStatementText {
    let text: String
    let tokens: [MySQLToken]

    init(_ text: String) throws(DatabaseError) {
        self.text = text
        tokens = try MySQLLexer.tokens(text)
    }

    /// The statement's text from the first to the last of `tokens`, exactly as the server wrote it.
    func source(_ tokens: ArraySlice<MySQLToken>) -> String {
        guard let first = tokens.first, let last = tokens.last else { return "" }
        let bytes = Array(text.utf8)[first.range.lowerBound..<last.range.upperBound]
        return String(decoding: bytes, as: UTF8.self)
    }
}
