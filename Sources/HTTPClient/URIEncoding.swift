/// RFC 3986 percent-encoding with exactly the unreserved set (`A-Z a-z 0-9 - _ . ~`), on UTF-8 bytes: the one
/// encoder of the project (SigV4's canonical request, the Runtime API's request ids in a path, API-key recipes' URL
/// values).
///
/// Foundation's character sets keep `+ / : @ ! $ ' ( ) * , ; = &` unencoded, which breaks signatures
/// (AWS SigV4, "URI encode": https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) and would
/// let a value add a path segment or a query.
public enum URIEncoding {
    /// Percent-encodes every byte of `text` except the unreserved set, and `/` when `keepingSlashes`.
    public static func encode(_ text: some StringProtocol, keepingSlashes: Bool = false) -> String {
        encode(bytes: text.utf8, keepingSlashes: keepingSlashes)
    }

    /// Percent-encodes `bytes` as `encode(_:keepingSlashes:)` does.
    public static func encode(bytes: some Sequence<UInt8>, keepingSlashes: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(upperHexDigits[Int(byte >> 4)])
                output.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `%XX` escapes to bytes. A `%` not followed by two hex digits stays as it is, and `+` stays
    /// `+` (it is not a space in SigV4). Works on bytes, so an escape that is not UTF-8 survives a round trip.
    public static func decode(_ text: some StringProtocol) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
