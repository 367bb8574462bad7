import HTTPClient
import JSON

extension SecretsManagerError {
    /// Longest service message kept; anything longer is cut so an odd response cannot flood a log.
    static let maximumMessageLength = 1_000

    /// Decodes an error response the way botocore does, and still gives a useful error for bodies that are
    /// not JSON: moto's XML 403s (`<Code>SignatureDoesNotMatch</Code>`) and HTML error pages.
    init(response: HTTPResponse) {
        let status = response.status
        let requestId = response.headers["x-amzn-RequestId"] ?? response.headers["x-amz-request-id"]
        if let json = try? JSONValue(parsing: response.body), let object = json.objectValue {
            let type =
                object["__type"]?.stringValue ?? object["code"]?.stringValue ?? response.headers["x-amzn-ErrorType"]
            let message = object["message"]?.stringValue ?? object["Message"]?.stringValue ?? ""
            self.init(
                code: Code(type.map(Self.normalisedCode) ?? "HTTP\(status)"), message: Self.clipped(message),
                httpStatus: status)
        } else if let code = Self.xmlElement("Code", in: response.body) {
            let message = Self.xmlElement("Message", in: response.body) ?? ""
            self.init(code: Code(Self.normalisedCode(code)), message: Self.clipped(message), httpStatus: status)
        } else {
            // An HTML page or an empty body: a proxy, a load balancer or a crashed emulator answered.
            let title = Self.htmlTitle(in: response.body).map { ": \($0)" } ?? ""
            let kind = response.headers["Content-Type"].map { " (\($0))" } ?? ""
            self.init(
                code: Code("HTTP\(status)"),
                message: Self.clipped(
                    "HTTP \(status) with a body that is neither JSON nor an AWS XML error\(kind)\(title)"),
                httpStatus: status)
        }
        if let requestId, !requestId.isEmpty { self.requestId = requestId }
    }

    /// `aws.protocols#Code:http://…` → `Code`: the part before the first `:`, then after the last `#`.
    static func normalisedCode(_ raw: String) -> String {
        var code = Substring(raw)
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        return String(code).trimmingSpaces()
    }

    /// The message as safe to log: AWS's signature errors append the canonical request and string to sign they
    /// expected, and the canonical request holds every signed header, `x-amz-security-token` included. That part
    /// is cut off; then line breaks are flattened and the length is capped.
    static func clipped(_ message: String) -> String {
        var message = message
        for marker in ["The Canonical String", "The String-to-Sign", "The canonical string", "The string-to-sign"] {
            if let range = message.firstRange(of: marker) {
                message =
                    String(message[..<range.lowerBound]).trimmingSpaces()
                    + " (the service's expected canonical request is left out: it contains the signed headers)"
            }
        }
        let flattened = String(message.map { $0.isNewline ? " " : $0 })  // isNewline: "\r\n" is one Character
        guard flattened.count > maximumMessageLength else { return flattened }
        return String(flattened.prefix(maximumMessageLength)) + "…"
    }

    /// The text of the first `<name>…</name>` element, entity-decoded; enough for AWS's flat XML errors.
    static func xmlElement(_ name: String, in body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(65_536), as: UTF8.self)
        guard let open = text.firstRange(of: "<\(name)>"),
            let close = text[open.upperBound...].firstRange(of: "</\(name)>")
        else { return nil }
        return decodeEntities(String(text[open.upperBound..<close.lowerBound])).trimmingSpaces()
    }

    private static func htmlTitle(in body: [UInt8]) -> String? {
        guard let title = xmlElement("title", in: body), !title.isEmpty else { return nil }
        return String(title.prefix(200))
    }

    private static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
            .replacing("&apos;", with: "'").replacing("&amp;", with: "&")
    }
}

extension StringProtocol {
    /// Self without leading or trailing spaces, tabs and line breaks.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
