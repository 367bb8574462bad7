import Foundation
import SigV4

/// A raw HTTP request from the suite files. Handles their traps: a request target with a raw space or raw
/// UTF-8, obs-fold continuation lines, LF line ends and a missing final newline.
struct RawRequest {
    var method: String
    var path: String
    var query: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    init(parsing text: String) throws {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n")
        let head: Substring
        if let separator = normalised.range(of: "\n\n") {
            head = normalised[..<separator.lowerBound]
            body = Array(normalised[separator.upperBound...].utf8)
        } else {
            head = Substring(normalised)
            body = []
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw SuiteError("empty request") }
        let requestLine = lines.removeFirst()
        guard let firstSpace = requestLine.firstIndex(of: " "),
            let versionRange = requestLine.range(of: " HTTP/", options: .backwards)
        else { throw SuiteError("bad request line \(requestLine)") }
        method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<versionRange.lowerBound]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = String(target)
            query = ""
        }
        headers = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                // obs-fold: the line continues the previous header's value.
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw SuiteError("bad header line \(line)") }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
    }

    var signable: SignableRequest {
        SignableRequest(method: method, path: path, query: query, headers: headers, body: body)
    }
}
