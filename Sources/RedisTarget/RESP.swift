/// A reply in RESP2, the Redis serialization protocol (https://redis.io/docs/latest/develop/reference/protocol-spec/):
/// what this driver reads. It sends commands as arrays of bulk strings and never asks for RESP3.
package indirect enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    /// `nil`: the null bulk string (`$-1`).
    case bulk([UInt8]?)
    /// `nil`: the null array (`*-1`).
    case array([RESPValue]?)

    /// A bulk or simple string's text.
    package var text: String? {
        switch self {
        case .simple(let text): text
        case .bulk(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

/// A reply that is not RESP2: where it broke, never what it held (a reply may carry a password hash).
package struct RESPError: Error, Equatable, CustomStringConvertible {
    package let offset: Int
    package let reason: String
    package var description: String { "not a RESP reply at byte \(offset): \(reason)" }
}

package enum RESP {
    /// No reply this driver reads comes near these; a hostile server cannot make it allocate more.
    static let maximumBulkBytes = 8 << 20
    static let maximumElements = 100_000
    static let maximumDepth = 16

    /// A command as RESP: an array of bulk strings, so no argument is ever parsed as syntax.
    package static func encode(_ arguments: [String]) -> [UInt8] {
        var bytes = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let utf8 = Array(argument.utf8)
            bytes += Array("$\(utf8.count)\r\n".utf8) + utf8 + [13, 10]
        }
        return bytes
    }

    /// The first whole reply in `buffer` and how many bytes it took, or `nil` when more bytes are needed.
    /// - Throws: `RESPError` for bytes no RESP2 reply can start with or continue as.
    package static func parse(_ buffer: ArraySlice<UInt8>) throws(RESPError) -> (value: RESPValue, consumed: Int)? {
        var reader = Reader(bytes: buffer, position: buffer.startIndex)
        guard let value = try reader.value(depth: 0) else { return nil }
        return (value, reader.position - buffer.startIndex)
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        mutating func value(depth: Int) throws(RESPError) -> RESPValue? {
            guard depth <= RESP.maximumDepth else { throw failure("nested deeper than \(RESP.maximumDepth)") }
            guard position < bytes.endIndex else { return nil }
            let start = position
            let kind = bytes[position]
            position += 1
            guard let line = try line() else {
                position = start
                return nil
            }
            switch kind {
            case UInt8(ascii: "+"): return .simple(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: "-"): return .error(String(decoding: line, as: UTF8.self))
            case UInt8(ascii: ":"): return .integer(try integer(line))
            case UInt8(ascii: "$"):
                let length = try integer(line)
                if length == -1 { return .bulk(nil) }
                guard (0...Int64(RESP.maximumBulkBytes)).contains(length) else {
                    throw failure("bulk length \(length)")
                }
                let end = position + Int(length)
                guard end + 2 <= bytes.endIndex else {
                    position = start
                    return nil
                }
                guard bytes[end] == 13, bytes[end + 1] == 10 else { throw failure("bulk string not followed by CRLF") }
                let content = Array(bytes[position..<end])
                position = end + 2
                return .bulk(content)
            case UInt8(ascii: "*"):
                let count = try integer(line)
                if count == -1 { return .array(nil) }
                guard (0...Int64(RESP.maximumElements)).contains(count) else { throw failure("array length \(count)") }
                var elements: [RESPValue] = []
                for _ in 0..<count {
                    guard let element = try value(depth: depth + 1) else {
                        position = start
                        return nil
                    }
                    elements.append(element)
                }
                return .array(elements)
            default:
                throw failure("type byte \(kind)")
            }
        }

        /// The bytes up to the next CRLF (which is consumed), or `nil` when it has not arrived.
        private mutating func line() throws(RESPError) -> ArraySlice<UInt8>? {
            var index = position
            while index + 1 < bytes.endIndex {
                if bytes[index] == 13 {
                    guard bytes[index + 1] == 10 else { throw failure("CR without LF") }
                    let line = bytes[position..<index]
                    position = index + 2
                    return line
                }
                index += 1
                guard
                    index - position <= 64 || bytes[position - 1] == UInt8(ascii: "+")
                        || bytes[position - 1] == UInt8(ascii: "-")
                else { throw failure("header line too long") }
                guard index - position <= 65_536 else { throw failure("line too long") }
            }
            return nil
        }

        private func integer(_ line: ArraySlice<UInt8>) throws(RESPError) -> Int64 {
            guard let value = Int64(String(decoding: line, as: UTF8.self)) else { throw failure("not an integer") }
            return value
        }

        private func failure(_ reason: String) -> RESPError {
            RESPError(offset: position - bytes.startIndex, reason: reason)
        }
    }
}
