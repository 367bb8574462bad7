import HTTPClient

/// The SigV4 canonical request of a non-S3 service, built stage by stage so each stage can be tested on its own
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request).
public struct CanonicalRequest: Sendable, Equatable {
    /// The full canonical request text, the input of the string to sign.
    public let text: String
    /// The signed header names, lowercase, sorted and joined with `;`.
    public let signedHeaders: String

    /// Builds the canonical request of `request`, signing every header it carries.
    /// - Parameter payloadHash: lowercase hex SHA-256 of the body; computed from `request.body` when `nil`.
    public init(_ request: SignableRequest, payloadHash: String? = nil) {
        let headers = Self.canonicalHeaders(request.headers)
        self.signedHeaders = headers.signedHeaders
        self.text = [
            request.method.uppercased(),
            Self.canonicalURI(path: request.path),
            Self.canonicalQuery(request.query),
            headers.canonical,
            headers.signedHeaders,
            payloadHash ?? Digest.sha256Hex(request.body),
        ].joined(separator: "\n")
    }

    /// The canonical URI: the wire path normalised (`.` and `..` resolved, empty segments dropped, a
    /// trailing `/` kept), then URI-encoded once more. Encoding the already-encoded path again is what
    /// every AWS service except S3 expects: `/a%20b` is canonicalised as `/a%2520b`.
    public static func canonicalURI(path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        guard !segments.isEmpty else { return "/" }
        var result = ""
        for segment in segments {
            result += "/"
            result += URIEncoding.encode(segment)
        }
        return path.hasSuffix("/") ? result + "/" : result
    }

    /// The canonical query: each name and value percent-decoded, re-encoded with the RFC 3986 unreserved
    /// set, and the pairs sorted by name then value, comparing the encoded bytes.
    public static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                name = piece
                value = ""
            }
            pairs.append(
                (
                    URIEncoding.encode(bytes: URIEncoding.decode(name)),
                    URIEncoding.encode(bytes: URIEncoding.decode(value))
                ))
        }
        // Sort pairs, not joined "k=v" strings ("a-b" sorts before "a"+"=" otherwise), and compare bytes:
        // String comparison applies Unicode equivalence, which is not what the server does.
        pairs.sort { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
        }
        return pairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// The canonical header lines (each `name:value\n`) and the signed-header list for `headers`.
    ///
    /// Names are lowercased; values trimmed with inner whitespace runs collapsed to one space (inside quotes
    /// too, as botocore does); repeated names joined with `,` in sending order; lines sorted by name.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (
        canonical: String, signedHeaders: String
    ) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(collapsingWhitespace(header.value))
        }
        order.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var canonical = ""
        for name in order {
            canonical += name + ":" + (values[name] ?? []).joined(separator: ",") + "\n"
        }
        return (canonical, order.joined(separator: ";"))
    }

    /// `value` with leading and trailing whitespace removed and each inner run of spaces, tabs and line
    /// breaks (an obs-folded header) replaced by a single space.
    static func collapsingWhitespace(_ value: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), 0x0B, 0x0C:
                pendingSpace = !output.isEmpty
            default:
                if pendingSpace {
                    output.append(UInt8(ascii: " "))
                    pendingSpace = false
                }
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
