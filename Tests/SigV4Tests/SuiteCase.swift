import Foundation
import JSON
import SigV4
import Testing

/// One case of the official SigV4 test suite, read from `../shared/sigv4/suite` (never copied into the repo).
struct SuiteCase: Sendable, CustomTestStringConvertible {
    enum Format: String, Sendable {
        /// `aws-sig-v4-test-suite`: `.req/.creq/.sts/.authz`; the request already carries X-Amz-Date.
        case classic
        /// `aws-signing-test-suite-v4`: `context.json/request.txt/header-*.txt`; the signer adds X-Amz-Date.
        case newer
    }

    var format: Format
    var name: String
    var request: SignableRequest
    var credentials: Credentials
    var date: SigningDate
    var region: String
    var service: String
    var expectedCanonicalRequest: String
    var expectedStringToSign: String
    var expectedSignature: String
    var expectedAuthorization: String

    var testDescription: String { "\(format.rawValue)/\(name)" }

    /// `<package root>/../shared/sigv4/suite`, found from this file's path so it works from any directory.
    static let suiteRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/sigv4/suite").standardizedFileURL

    static var suiteIsPresent: Bool {
        FileManager.default.fileExists(atPath: suiteRoot.appendingPathComponent("aws-sig-v4-test-suite").path)
            && FileManager.default.fileExists(
                atPath: suiteRoot.appendingPathComponent("aws-signing-test-suite-v4").path)
    }

    // The fixed parameters of both suites (the suite's own fixed date, region and service, as its cases state them).
    static let suiteAccessKey = "AKIDEXAMPLE"
    static let suiteSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    /// Every classic case: any folder holding `<folder>.req` (some sit one level down, in `normalize-path/`
    /// and `post-sts-token/`). Empty when the suite is missing.
    static let classicCases: [SuiteCase] = {
        let root = suiteRoot.appendingPathComponent("aws-sig-v4-test-suite")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var cases: [SuiteCase] = []
        for case let url as URL in walker where url.pathExtension == "req" {
            let name = url.deletingPathExtension().lastPathComponent
            if let loaded = try? classicCase(folder: url.deletingLastPathComponent(), name: name) {
                cases.append(loaded)
            }
        }
        return cases.sorted { $0.name < $1.name }
    }()

    /// Every newer-format case except the `normalize: false` ones: those seven `*-unnormalized` cases
    /// describe S3, which keeps `.`/`..`/`//` in the path; Secrets Manager (like every non-S3 service)
    /// normalises. The `query-*` files (presigned URLs) are skipped too: this signer only signs headers.
    static let newerCases: [SuiteCase] = {
        let root = suiteRoot.appendingPathComponent("aws-signing-test-suite-v4")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        return names.sorted().compactMap { name in
            try? newerCase(folder: root.appendingPathComponent(name), name: name)
        }
    }()

    private static func classicCase(folder: URL, name: String) throws -> SuiteCase {
        func read(_ ext: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent("\(name).\(ext)"), encoding: .utf8)
        }
        var request = try RawRequest(parsing: read("req")).signable
        let canonical = try read("creq")
        // The classic format has no credentials file: the token is the signed `x-amz-security-token` of the
        // .creq (get-vanilla-with-session-token), or the header of the .req (post-sts-header-before).
        var token = canonical.split(separator: "\n").first(where: { $0.hasPrefix("x-amz-security-token:") })
            .map { String($0.dropFirst("x-amz-security-token:".count)) }
        if token == nil, let header = request.header("X-Amz-Security-Token") { token = header }
        let amzDate = request.header("X-Amz-Date") ?? ""
        request.headers.removeAll { ["x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        let authorization = try read("authz").trimmingCharacters(in: .whitespacesAndNewlines)
        return SuiteCase(
            format: .classic, name: name, request: request,
            credentials: Credentials(accessKeyId: suiteAccessKey, secretAccessKey: suiteSecretKey, sessionToken: token),
            date: SigningDate(secondsSinceEpoch: try epochSeconds(amzDate: amzDate)), region: "us-east-1",
            service: "service", expectedCanonicalRequest: canonical, expectedStringToSign: try read("sts"),
            expectedSignature: String(authorization.split(separator: "Signature=").last ?? ""),
            expectedAuthorization: authorization)
    }

    private static func newerCase(folder: URL, name: String) throws -> SuiteCase? {
        func read(_ file: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }
        let context = try JSONValue(parsing: read("context.json"))
        guard context["normalize"]?.boolValue != false else { return nil }
        var request = try RawRequest(parsing: read("request.txt")).signable
        if context["sign_body"]?.boolValue == true {
            // What aws-c-auth's sign_body does: add and sign the payload hash header (S3 style).
            request.headers.append(("x-amz-content-sha256", Digest.sha256Hex(request.body)))
        }
        let credentials = context["credentials"]
        // omit_session_token: the token is added after signing, so it is not part of the signature.
        let token = context["omit_session_token"]?.boolValue == true ? nil : credentials?["token"]?.stringValue
        let signedRequest = try read("header-signed-request.txt")
        let authorization =
            signedRequest.split(separator: "\n")
            .first(where: { $0.lowercased().hasPrefix("authorization:") })
            .map { $0.dropFirst("authorization:".count).trimmingCharacters(in: .whitespaces) } ?? ""
        return SuiteCase(
            format: .newer, name: name, request: request,
            credentials: Credentials(
                accessKeyId: credentials?["access_key_id"]?.stringValue ?? "",
                secretAccessKey: credentials?["secret_access_key"]?.stringValue ?? "", sessionToken: token),
            date: SigningDate(secondsSinceEpoch: try epochSeconds(iso8601: context["timestamp"]?.stringValue ?? "")),
            region: context["region"]?.stringValue ?? "", service: context["service"]?.stringValue ?? "",
            expectedCanonicalRequest: try read("header-canonical-request.txt"),
            expectedStringToSign: try read("header-string-to-sign.txt"),
            expectedSignature: try read("header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines),
            expectedAuthorization: authorization)
    }

    /// Seconds since the epoch of `yyyyMMdd'T'HHmmss'Z'`, through Foundation: an independent path from
    /// the signer's own formatter.
    static func epochSeconds(amzDate: String) throws -> Int64 {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        guard let date = formatter.date(from: amzDate) else { throw SuiteError("bad X-Amz-Date \(amzDate)") }
        return Int64(date.timeIntervalSince1970)
    }

    static func epochSeconds(iso8601: String) throws -> Int64 {
        guard let date = ISO8601DateFormatter().date(from: iso8601) else {
            throw SuiteError("bad timestamp \(iso8601)")
        }
        return Int64(date.timeIntervalSince1970)
    }
}

struct SuiteError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
