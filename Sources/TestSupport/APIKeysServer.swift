import Foundation
import HTTPClient
import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// A local API that issues, lists, tests and revokes keys (`scripts/api_keys_server.py`), shaped like SendGrid's
/// API keys and Cloudflare's user tokens: over HTTPS with the test CA's certificate (or plain HTTP on loopback,
/// for a proxy that must read the requests). Its `/_admin/` routes seed keys, report them, and inject faults.
public final class APIKeysServer: @unchecked Sendable {
    public let certificates: TestCertificates
    public let tls: Bool
    /// Set once in `init` (its launch closure needs `self`, so it cannot be a `let`).
    private var server: ServerProcess?
    private let logFile: URL

    /// One key as the server holds it.
    public struct Key: Sendable, Equatable {
        public var id: String
        public var family: String
        public var name: String
        public var value: String
        /// Active and not expired: the API accepts it.
        public var usable: Bool
        public var expiresOn: String?
    }

    public init(tls: Bool = true) throws {
        try TestLane.allowServer("the API-keys server")
        certificates = try TestCertificates.shared.get()
        self.tls = tls
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("api-keys-\(UUID().uuidString).log")
        server = ServerProcess(
            name: "API-keys server", stopping: .init(signal: SIGTERM, seconds: 5, hardSignal: SIGKILL),
            launch: { [unowned self] port in try launch(port: port) })
        try server?.start()
    }

    deinit {
        server?.stop()
        try? FileManager.default.removeItem(at: logFile)
    }

    public var port: Int { server?.port ?? 0 }
    /// What a recipe's `baseURL` is for this server.
    public var baseURL: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    public func stop() { server?.stop() }

    private func launch(port: Int) throws -> Process {
        let arguments =
            ["--port", String(port), "--watch-parent"]
            + (tls ? ["--cert", certificates.serverCertificateFile, "--key", certificates.serverKeyFile] : ["--plain"])
        let process = try PythonScript.start("api_keys_server.py", arguments, log: logFile)
        let giveUp = Date().addingTimeInterval(20)
        while Date() < giveUp {
            if FreePort.isAccepting(port: port) { return process }
            guard process.isRunning else {
                let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                throw ServerError("the API-keys server exited before listening on \(port): \(text.suffix(2_000))")
            }
            usleep(30_000)
        }
        process.terminate()
        throw ServerError("the API-keys server did not listen on port \(port) within 20 s")
    }

    // MARK: - Admin routes

    /// Makes a key by hand, as a user makes the first one in the service's console.
    public func seed(family: String, name: String, scopes: [String] = [], canMint: Bool = false) throws -> Key {
        var body = JSONObject(["family": .string(family), "name": .string(name)])
        if family == "sendgrid" { body["scopes"] = .array(scopes.map(JSONValue.string)) }
        if family == "cloudflare" { body["can_mint"] = .bool(canMint) }
        let answer = try admin(.post, "/_admin/keys", body)
        guard let id = answer["id"].flatMap(idText), let value = answer["value"]?.stringValue else {
            throw ServerError("the API-keys server did not return the seeded key")
        }
        return Key(id: id, family: family, name: name, value: value, usable: true, expiresOn: nil)
    }

    /// Every key, revoked ones too.
    public func keys() throws -> [Key] {
        let answer = try admin(.get, "/_admin/keys", nil)
        return (answer["keys"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"].flatMap(idText), let value = item["value"]?.stringValue else { return nil }
            return Key(
                id: id, family: item["family"]?.stringValue ?? "", name: item["name"]?.stringValue ?? "",
                value: value, usable: item["usable"]?.boolValue ?? false, expiresOn: item["expires_on"]?.stringValue)
        }
    }

    public func key(withValue value: String) throws -> Key? { try keys().first { $0.value == value } }

    /// The next `count` requests matching `method` and `pathPrefix` get `status`; with `after`, once the server
    /// has done what they asked (a lost response).
    /// `message` is the text of the family's error body; `rawBody` replaces the body (not JSON); `resetOnly` sends a
    /// 429 with the reset time and no `Retry-After`.
    public func fault(
        status: Int, count: Int = 1, method: String? = nil, pathPrefix: String? = nil, after: Bool = false,
        retryAfter: Int = 1, message: String? = nil, rawBody: String? = nil, resetOnly: Bool = false
    ) throws {
        var body = JSONObject([
            "status": .integer(status), "count": .integer(count), "after": .bool(after),
            "retry_after": .integer(retryAfter), "reset_only": .bool(resetOnly),
        ])
        if let method { body["method"] = .string(method) }
        if let pathPrefix { body["path_prefix"] = .string(pathPrefix) }
        if let message { body["message"] = .string(message) }
        if let rawBody { body["raw_body"] = .string(rawBody) }
        _ = try admin(.post, "/_admin/faults", body)
    }

    /// SIGKILLs `pid` at its `nth` API request from now: before the server acts on it, or after (the effect
    /// happened; the answer never leaves).
    public func kill(pid: Int32, nth: Int, after: Bool) throws {
        _ = try admin(
            .post, "/_admin/kill",
            JSONObject([
                "pid": .integer(Int(pid)), "nth": .integer(nth), "when": .string(after ? "after" : "before"),
            ]))
    }

    /// `METHOD /path` (no query) and the status of every API request so far (0: closed without an answer).
    public func requests() throws -> [(call: String, status: Int)] {
        let answer = try admin(.get, "/_admin/log", nil)
        return (answer["requests"]?.arrayValue ?? []).map { item in
            (
                "\(item["method"]?.stringValue ?? "?") \(item["path"]?.stringValue ?? "?")",
                item["status"]?.intValue ?? -1
            )
        }
    }

    /// Forgets the request log, faults and kill plans (keys stay).
    public func clearLog() throws { _ = try admin(.delete, "/_admin/log", nil) }

    private func idText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let literal): literal
        default: nil
        }
    }

    private func admin(_ method: HTTPRequest.Method, _ path: String, _ body: JSONObject?) throws -> JSONValue {
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(connectTimeoutMilliseconds: 3_000, caBundlePath: certificates.caFile)
        )
        var headers = HTTPHeaders()
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try client.send(
            HTTPRequest(
                method: method, url: baseURL + path, headers: headers,
                body: body.map { Array($0.serialized.utf8) } ?? [],
                timeoutMilliseconds: 10_000))
        guard (200...299).contains(response.status) else {
            throw ServerError("the API-keys server answered \(response.status) to \(method.rawValue) \(path)")
        }
        return response.body.isEmpty ? .null : try JSONValue(parsing: response.body)
    }
}
