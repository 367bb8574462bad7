import HTTPClient
import JSON

/// Reads and checks one recipe. Every rule that keeps a secret where it belongs is checked here, once, at
/// start-up: a recipe that breaks one never runs.
struct RecipeReader {
    let name: String
    let object: JSONObject

    static func isHexByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "_")
    }

    private static let recipeKeys: Set<String> = [
        "baseURL", "fields", "nonSecretFields", "keyName", "retire", "ttlSeconds", "errorPointer", "list", "create",
        "test", "revoke", "description", "rateLimitReset",
    ]

    func recipe() throws(RecipeError) -> Recipe {
        try onlyKnownKeys(object, Self.recipeKeys, at: "")
        let baseURL = try Self.baseURL(try string("baseURL", in: object))
        let fields = try objectAt("fields", in: object)
        try onlyKnownKeys(fields, ["value", "id", "previousId"], at: "fields.")
        let valueField = try string("value", in: fields, at: "fields.value")
        let idField = try string("id", in: fields, at: "fields.id")
        let previousIDField = try optionalString("previousId", in: fields, at: "fields.previousId")
        let named = [valueField, idField] + (previousIDField.map { [$0] } ?? [])
        guard Set(named).count == named.count, !named.contains(APIKeyTarget.recipeKey) else {
            throw RecipeError(
                "fields.value, fields.id and fields.previousId must be different keys, none of them "
                    + "\(APIKeyTarget.recipeKey)")
        }
        var nonSecret: Set<String> = [idField]
        if let previousIDField { nonSecret.insert(previousIDField) }
        for field in object["nonSecretFields"]?.arrayValue ?? [] {
            guard let field = field.stringValue else { throw RecipeError("nonSecretFields must hold strings") }
            nonSecret.insert(field)
        }
        guard !nonSecret.contains(valueField) else {
            throw RecipeError("nonSecretFields: \"\(valueField)\" holds the key itself, which never goes into a URL")
        }
        let retireText = try optionalString("retire", in: object, at: "retire") ?? "nextRotation"
        guard let retire = RetirePolicy(rawValue: retireText) else {
            throw RecipeError("retire is \"\(retireText)\"; it must be immediately, nextRotation or expiry")
        }
        var ttlSeconds: Int?
        if let ttl = object["ttlSeconds"] {
            guard let seconds = ttl.intValue, (60...315_360_000).contains(seconds) else {
                throw RecipeError("ttlSeconds must be a whole number of seconds from 60 to 315360000 (ten years)")
            }
            ttlSeconds = seconds
        }
        if retire == .expiry && ttlSeconds == nil {
            throw RecipeError("retire is expiry, so ttlSeconds (how long a minted key lives) is required")
        }
        if retire != .expiry && previousIDField == nil {
            throw RecipeError(
                "retire is \(retire.rawValue), so fields.previousId (where the replaced key's id is kept) is required")
        }
        let keyName = try template(
            try optionalString("keyName", in: object, at: "keyName") ?? "rotator-{{token}}", at: "keyName")
        guard keyName.variables.contains(.token) else {
            throw RecipeError("keyName must contain {{token}}: it is how a key minted by a crashed attempt is found")
        }
        try checkURLVariables(keyName.variables, nonSecret: nonSecret, at: "keyName", allowTarget: false)

        let list = try objectAt("list", in: object)
        let create = try objectAt("create", in: object)
        var recipe = Recipe(
            name: name, baseURL: baseURL, valueField: valueField, idField: idField, previousIDField: previousIDField,
            nonSecretFields: nonSecret, keyName: keyName, retire: retire, ttlSeconds: ttlSeconds,
            errorPointer: try optionalString("errorPointer", in: object, at: "errorPointer").map {
                text throws(RecipeError) in
                try pointer(text, at: "errorPointer")
            },
            list: try request(
                list, at: "list", nonSecret: nonSecret, extraKeys: ["items", "name", "id", "paging", "truncated"]),
            listItems: try pointer(try string("items", in: list, at: "list.items"), at: "list.items"),
            listName: try pointer(try string("name", in: list, at: "list.name"), at: "list.name"),
            listID: try pointer(try string("id", in: list, at: "list.id"), at: "list.id"),
            create: try request(create, at: "create", nonSecret: nonSecret, extraKeys: ["value", "id"]),
            createdValue: try pointer(try string("value", in: create, at: "create.value"), at: "create.value"),
            createdID: try pointer(try string("id", in: create, at: "create.id"), at: "create.id"),
            test: try request(
                try objectAt("test", in: object), at: "test", nonSecret: nonSecret,
                extraKeys: ["attempts", "notYetValid"]),
            testAttempts: 3,
            revoke: try request(try objectAt("revoke", in: object), at: "revoke", nonSecret: nonSecret, extraKeys: []))
        if let attempts = try objectAt("test", in: object)["attempts"] {
            guard let count = attempts.intValue, (1...10).contains(count) else {
                throw RecipeError("test.attempts must be a whole number from 1 to 10")
            }
            recipe.testAttempts = count
        }
        recipe.test.notYetValid = try statuses(
            "notYetValid", in: try objectAt("test", in: object), at: "test", required: false)
        recipe.listPaging = try paging(list["paging"])
        recipe.listTruncated = try optionalString("truncated", in: list, at: "list.truncated").map {
            text throws(RecipeError) in try pointer(text, at: "list.truncated")
        }
        if let header = try optionalString("rateLimitReset", in: object, at: "rateLimitReset") {
            try Self.checkHeaderName(header, at: "rateLimitReset")
            recipe.rateLimitResetHeader = header
        }
        guard recipe.test.variables.contains(.pending(valueField)) else {
            throw RecipeError("test must send the key under test ({{pending.\(valueField)}}), or it proves nothing")
        }
        guard recipe.revoke.variables.contains(.targetID) else {
            throw RecipeError("revoke must name the key it revokes with {{target.id}} (in its path or body)")
        }
        let timed: Set<Template.Variable> = [.expiresAt, .expiresAtDate, .ttlSeconds]
        if ttlSeconds == nil,
            [recipe.list, recipe.create, recipe.test, recipe.revoke].contains(where: {
                !timed.isDisjoint(with: $0.variables)
            })
        {
            throw RecipeError("uses {{expiresAt}}, {{expiresAtDate}} or {{ttlSeconds}} without ttlSeconds")
        }
        return recipe
    }

    /// `list.paging`: `{"page": PARAM, "totalPages": POINTER?}`, `{"cursor": PARAM, "next": POINTER}` or
    /// `{"nextURL": POINTER}`.
    private func paging(_ value: JSONValue?) throws(RecipeError) -> ListPaging? {
        guard let value else { return nil }
        guard let object = value.objectValue else { throw RecipeError("list.paging must be an object") }
        let at = "list.paging"
        if let parameter = try optionalString("page", in: object, at: "\(at).page") {
            try onlyKnownKeys(object, ["page", "totalPages"], at: at + ".")
            return .pageNumbers(
                parameter: parameter,
                totalPages: try optionalString("totalPages", in: object, at: "\(at).totalPages").map {
                    text throws(RecipeError) in try pointer(text, at: "\(at).totalPages")
                })
        }
        if let parameter = try optionalString("cursor", in: object, at: "\(at).cursor") {
            try onlyKnownKeys(object, ["cursor", "next"], at: at + ".")
            return .cursor(
                parameter: parameter,
                next: try pointer(try string("next", in: object, at: "\(at).next"), at: "\(at).next"))
        }
        if let next = try optionalString("nextURL", in: object, at: "\(at).nextURL") {
            try onlyKnownKeys(object, ["nextURL"], at: at + ".")
            return .nextURL(try pointer(next, at: "\(at).nextURL"))
        }
        throw RecipeError("list.paging needs one of page, cursor or nextURL")
    }

    /// `https://host[:port]`, no path, user or query; plain `http://` only for this machine.
    static func baseURL(_ text: String) throws(RecipeError) -> String {
        let lower = text.lowercased()
        let scheme = lower.hasPrefix("https://") ? "https://" : (lower.hasPrefix("http://") ? "http://" : "")
        guard !scheme.isEmpty else { throw RecipeError("baseURL \"\(text)\" must start with https://") }
        let authority = String(text.dropFirst(scheme.count))
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ \\".contains($0) }) else {
            throw RecipeError(
                "baseURL \"\(text)\" must be only https:// and a host (and a port): no path, user or query")
        }
        let host =
            authority.hasPrefix("[")
            ? String(authority.prefix(while: { $0 != "]" }).dropFirst())
            : String(authority.prefix(while: { $0 != ":" }))
        let rest = authority.dropFirst(authority.hasPrefix("[") ? host.count + 2 : host.count)
        let hostBytes: (UInt8) -> Bool =
            authority.hasPrefix("[")
            ? { byte in isHexByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") }
            : { byte in isNameByte(byte) && byte != UInt8(ascii: "_") || byte == UInt8(ascii: ".") }
        let port = rest.hasPrefix(":") ? Int(rest.dropFirst()) : (rest.isEmpty ? 443 : nil)
        guard !host.isEmpty, host.utf8.allSatisfy(hostBytes), let port, (1...65_535).contains(port) else {
            throw RecipeError("baseURL \"\(text)\" must be https:// and a host name or address, with an optional port")
        }
        if scheme == "http://" && !["127.0.0.1", "localhost", "::1"].contains(host.lowercased()) {
            throw RecipeError("baseURL \"\(text)\" is plain http: only https:// is allowed (http only for 127.0.0.1)")
        }
        return scheme + authority
    }

    private func request(_ object: JSONObject, at field: String, nonSecret: Set<String>, extraKeys: Set<String>)
        throws(RecipeError) -> RecipeRequest
    {
        // Only a revoke acts on a key of its own; anywhere else {{target.id}} would be empty.
        let allowTarget = field == "revoke"
        let known: Set<String> = [
            "method", "path", "query", "headers", "body", "expect", "alreadyDone", "idempotencyHeader", "assert",
        ]
        try onlyKnownKeys(object, known.union(extraKeys), at: field + ".")
        let methodText = try string("method", in: object, at: "\(field).method").uppercased()
        guard let method = HTTPRequest.Method(rawValue: methodText) else {
            throw RecipeError("\(field).method is \"\(methodText)\"; it must be GET, POST, PUT, PATCH or DELETE")
        }
        let pathText = try string("path", in: object, at: "\(field).path")
        guard pathText.hasPrefix("/"), !pathText.contains(where: { "?# ".contains($0) }) else {
            throw RecipeError("\(field).path must start with / and hold no ?, # or space (put parameters in query)")
        }
        let path = try template(pathText, at: "\(field).path")
        try checkURLVariables(path.variables, nonSecret: nonSecret, at: "\(field).path", allowTarget: allowTarget)
        var query: [(String, Template)] = []
        for member in try objectAt("query", in: object, optional: true).members {
            guard let text = member.value.stringValue else {
                throw RecipeError("\(field).query.\(member.key) must be a string")
            }
            let value = try template(text, at: "\(field).query.\(member.key)")
            try checkURLVariables(value.variables, nonSecret: nonSecret, at: "\(field).query", allowTarget: allowTarget)
            query.append((member.key, value))
        }
        var headers: [(String, Template)] = []
        for member in try objectAt("headers", in: object, optional: true).members {
            try Self.checkHeaderName(member.key, at: "\(field).headers")
            guard let text = member.value.stringValue, !Self.hasControlBytes(text) else {
                throw RecipeError("\(field).headers.\(member.key) must be a string on one line (no control characters)")
            }
            headers.append((member.key, try template(text, at: "\(field).headers.\(member.key)")))
        }
        let body = object["body"]
        if let body {
            for text in Self.strings(in: body) { _ = try template(text, at: "\(field).body") }
        }
        var assertions: [RecipeRequest.Assertion] = []
        for (index, item) in (object["assert"]?.arrayValue ?? []).enumerated() {
            let at = "\(field).assert[\(index)]"
            guard let assertion = item.objectValue else { throw RecipeError("\(at) must be an object") }
            try onlyKnownKeys(assertion, ["pointer", "equals", "contains"], at: at + ".")
            let equals = try optionalString("equals", in: assertion, at: "\(at).equals")
            let contains = try optionalString("contains", in: assertion, at: "\(at).contains")
            guard (equals == nil) != (contains == nil) else {
                throw RecipeError("\(at) needs exactly one of equals and contains")
            }
            assertions.append(
                .init(
                    pointer: try pointer(
                        try string("pointer", in: assertion, at: "\(at).pointer"), at: "\(at).pointer"),
                    equals: try equals.map { text throws(RecipeError) in try template(text, at: "\(at).equals") },
                    contains: try contains.map { text throws(RecipeError) in try template(text, at: "\(at).contains") })
            )
        }
        return RecipeRequest(
            method: method, path: path, query: query, headers: headers, body: body,
            expect: try statuses("expect", in: object, at: field, required: true),
            alreadyDone: try statuses("alreadyDone", in: object, at: field, required: false),
            idempotencyHeader: try optionalString("idempotencyHeader", in: object, at: "\(field).idempotencyHeader").map
            {
                name throws(RecipeError) in
                try Self.checkHeaderName(name, at: "\(field).idempotencyHeader")
                return name
            },
            assertions: assertions)
    }

    /// A URL may carry the token, the key name, a key id and fields listed as not secret; never a secret.
    private func checkURLVariables(
        _ variables: [Template.Variable], nonSecret: Set<String>, at field: String, allowTarget: Bool
    ) throws(RecipeError) {
        for variable in variables {
            switch variable {
            case .token, .keyName, .expiresAt, .expiresAtDate, .ttlSeconds: continue
            case .targetID where allowTarget: continue
            case .targetID: throw RecipeError("\(field) cannot use {{target.id}}")
            case .current(let name), .pending(let name), .previous(let name):
                guard nonSecret.contains(name) else {
                    throw RecipeError(
                        "\(field) puts {{\(variable.name)}} in a URL; secret values go only into headers and bodies "
                            + "(list the field in nonSecretFields if it is an id)")
                }
            }
        }
    }

    private func statuses(_ key: String, in object: JSONObject, at field: String, required: Bool)
        throws(RecipeError) -> [Int]
    {
        guard let value = object[key] else {
            if required { throw RecipeError("\(field).\(key) (the statuses that mean success) is missing") }
            return []
        }
        guard let items = value.arrayValue, !items.isEmpty || !required else {
            throw RecipeError("\(field).\(key) must be a list of HTTP statuses")
        }
        var statuses: [Int] = []
        for item in items {
            guard let status = item.intValue, (100...599).contains(status) else {
                throw RecipeError("\(field).\(key) must hold HTTP statuses (100–599)")
            }
            statuses.append(status)
        }
        if statuses.contains(where: { (300...399).contains($0) }) {
            throw RecipeError("\(field).\(key): redirects are never followed, so a 3xx cannot mean success")
        }
        return statuses
    }

    /// Headers that route or frame the request are the client's to set, never a recipe's.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "expect", "te", "upgrade", "trailer",
    ]

    static func checkHeaderName(_ name: String, at field: String) throws(RecipeError) {
        guard !name.isEmpty, name.utf8.allSatisfy(isNameByte) else {
            throw RecipeError("\(field): \"\(name)\" is not a header name")
        }
        let lower = name.lowercased()
        guard !reservedHeaders.contains(lower), !lower.hasPrefix("proxy-") else {
            throw RecipeError("\(field): \(name) is set by the HTTP client, not by a recipe")
        }
    }

    /// CR, LF and every other control byte (checked on bytes: "\r\n" is one Swift Character).
    static func hasControlBytes(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    private static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let items): items.flatMap(strings(in:))
        case .object(let object): object.members.flatMap { [$0.key] + strings(in: $0.value) }
        default: []
        }
    }

    private func template(_ text: String, at field: String) throws(RecipeError) -> Template {
        do { return try Template(text) } catch { throw RecipeError("\(field) \(error.message)") }
    }

    private func pointer(_ text: String, at field: String) throws(RecipeError) -> JSONPointer {
        do { return try JSONPointer(text) } catch { throw RecipeError("\(field): \(error.message)") }
    }

    private func onlyKnownKeys(_ object: JSONObject, _ known: Set<String>, at prefix: String) throws(RecipeError) {
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw RecipeError(
                "\(prefix)\(unknown) is not a recipe field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func objectAt(_ key: String, in object: JSONObject, optional: Bool = false) throws(RecipeError)
        -> JSONObject
    {
        guard let value = object[key] else {
            if optional { return JSONObject() }
            throw RecipeError("\(key) is missing")
        }
        guard let found = value.objectValue else { throw RecipeError("\(key) must be a JSON object") }
        return found
    }

    private func string(_ key: String, in object: JSONObject, at field: String? = nil) throws(RecipeError) -> String {
        guard let value = try optionalString(key, in: object, at: field ?? key) else {
            throw RecipeError("\(field ?? key) is missing")
        }
        return value
    }

    private func optionalString(_ key: String, in object: JSONObject, at field: String) throws(RecipeError)
        -> String?
    {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue, !text.isEmpty else {
            throw RecipeError("\(field) must be a non-empty string")
        }
        return text
    }
}
