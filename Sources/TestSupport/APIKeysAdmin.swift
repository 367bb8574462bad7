import HTTPClient
import JSON

/// The local API-keys server's `/_admin/` routes (`scripts/api_keys_server.py`): seed keys, report them, inject
/// faults. `APIKeysServer` (a server the tests start) and `APIKeysAdmin` (one started by a script) both have them.
package protocol APIKeysAdministration {
    /// What a recipe's `baseURL` is for this server.
    var baseURL: String { get }
    /// The CA that signed the server's certificate (`nil` for plain HTTP or the system's CAs).
    var caFile: String? { get }
}

/// The admin routes of an API-keys server this process did not start.
package struct APIKeysAdmin: APIKeysAdministration {
    /// One key as the server holds it.
    package struct Key: Sendable, Equatable {
        package var id: String
        package var family: String
        package var name: String
        package var value: String
        /// Active and not expired: the API accepts it.
        package var usable: Bool
        package var expiresOn: String?
    }

    package let baseURL: String
    package let caFile: String?

    package init(baseURL: String, caFile: String?) {
        self.baseURL = baseURL
        self.caFile = caFile
    }
}

extension APIKeysAdministration {
    /// Makes a key by hand, as a user makes the first one in the service's console.
    package func seed(family: String, name: String, scopes: [String] = [], canMint: Bool = false) throws
        -> APIKeysAdmin.Key
    {
        var body = JSONObject(["family": .string(family), "name": .string(name)])
        if family == "sendgrid" { body["scopes"] = .array(scopes.map(JSONValue.string)) }
        if family == "cloudflare" { body["can_mint"] = .bool(canMint) }
        let answer = try admin(.post, "/_admin/keys", body)
        guard let id = answer["id"].flatMap(idText), let value = answer["value"]?.stringValue else {
            throw ServerError("the API-keys server did not return the seeded key")
        }
        return APIKeysAdmin.Key(id: id, family: family, name: name, value: value, usable: true, expiresOn: nil)
    }

    /// Every key, revoked ones too.
    package func keys() throws -> [APIKeysAdmin.Key] {
        let answer = try admin(.get, "/_admin/keys", nil)
        return (answer["keys"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"].flatMap(idText), let value = item["value"]?.stringValue else { return nil }
            return APIKeysAdmin.Key(
                id: id, family: item["family"]?.stringValue ?? "", name: item["name"]?.stringValue ?? "",
                value: value, usable: item["usable"]?.boolValue ?? false, expiresOn: item["expires_on"]?.stringValue)
        }
    }

    package func key(withValue value: String) throws -> APIKeysAdmin.Key? { try keys().first { $0.value == value } }

    /// The next `count` requests matching `method` and `pathPrefix` get `status`; with `after`, once the server
    /// has done what they asked (a lost response).
    /// `message` is the text of the family's error body; `rawBody` replaces the body (not JSON); `resetOnly` sends a
    /// 429 with the reset time and no `Retry-After`.
    package func fault(
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
    package func kill(pid: Int32, nth: Int, after: Bool) throws {
        _ = try admin(
            .post, "/_admin/kill",
            JSONObject([
                "pid": .integer(Int(pid)), "nth": .integer(nth), "when": .string(after ? "after" : "before"),
            ]))
    }

    /// `METHOD /path` (no query) and the status of every API request so far (0: closed without an answer).
    package func requests() throws -> [(call: String, status: Int)] {
        let answer = try admin(.get, "/_admin/log", nil)
        return (answer["requests"]?.arrayValue ?? []).map { item in
            (
                "\(item["method"]?.stringValue ?? "?") \(item["path"]?.stringValue ?? "?")",
                item["status"]?.intValue ?? -1
            )
        }
    }

    /// Forgets the request log, faults and kill plans (keys stay).
    package func clearLog() throws { _ = try admin(.delete, "/_admin/log", nil) }

    private func idText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let literal): literal
        default: nil
        }
    }

    private func admin(_ method: HTTPRequest.Method, _ path: String, _ body: JSONObject?) throws -> JSONValue {
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(connectTimeoutMilliseconds: 3_000, caBundlePath: caFile)
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
