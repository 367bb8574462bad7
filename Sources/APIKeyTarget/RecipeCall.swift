import HTTPClient
import JSON
import Redaction
import Rotation
import Timekeeping

/// The values a request's placeholders are filled from. Secret values among them are also what every error
/// text is scrubbed of: an API that echoes a key in its error message must not put it in the log.
struct Bindings {
    var current: SecretValue? = nil
    var pending: SecretValue? = nil
    var previous: SecretValue? = nil
    var token: String
    var keyName: String
    var targetID: String? = nil
    var expiresAtSeconds: Int? = nil
    var ttlSeconds: Int? = nil

    /// - Throws: `RotationError.invalidSecret` naming the field (never its value) when the secret lacks it.
    func value(of variable: Template.Variable, secretId: String) throws(RotationError) -> String {
        func field(_ value: SecretValue?, _ stage: String, _ name: String) throws(RotationError) -> String {
            guard let value else {
                throw .invalidSecret(
                    "Secret \(secretId) has no \(stage) version, which the recipe reads ({{\(variable.name)}}).")
            }
            switch value.object?[name] {
            case .string(let text): return text
            case .number(let literal): return literal
            default:
                throw .invalidSecret(
                    "The \(stage) version of secret \(secretId) has no string \"\(name)\", which the recipe reads.")
            }
        }
        switch variable {
        case .current(let name): return try field(current, "AWSCURRENT", name)
        case .pending(let name): return try field(pending, "AWSPENDING", name)
        case .previous(let name): return try field(previous, "AWSPREVIOUS", name)
        case .token: return token
        case .keyName: return keyName
        case .targetID:
            guard let targetID, !targetID.isEmpty else {
                throw .invalidSecret("Secret \(secretId): the recipe's revoke has no key id to act on.")
            }
            return targetID
        case .expiresAt: return RFC3339.format(seconds: expiresAtSeconds ?? 0, milliseconds: 0).replacingMilliseconds
        case .expiresAtDate: return String(RFC3339.format(seconds: expiresAtSeconds ?? 0, milliseconds: 0).prefix(10))
        case .ttlSeconds: return String(ttlSeconds ?? 0)
        }
    }

    /// `template` filled in, each value passed through `encode` (URL parts are percent-encoded).
    func fill(_ template: Template, secretId: String, encode: (String) -> String = { $0 }) throws(RotationError)
        -> String
    {
        var text = ""
        for part in template.parts {
            switch part {
            case .literal(let literal): text += literal
            case .variable(let variable): text += encode(try value(of: variable, secretId: secretId))
            }
        }
        return text
    }

    /// Every secret string a request may carry, longest first (so that a secret inside another is not left
    /// half-replaced): the fields `alwaysSecret` names whatever their length, and every other string of the
    /// versions of 8 bytes or more, except the fields `never` names (ids, the recipe's name: not secret, and
    /// scrubbing them would garble messages, such as a host name that contains the recipe's name).
    func secrets(alwaysSecret: Set<String>, never: Set<String>) -> [String] {
        let values = [current, pending, previous].compactMap { $0?.object }.flatMap { object in
            object.members.compactMap { member -> String? in
                guard let text = member.value.stringValue, !text.isEmpty else { return nil }
                if alwaysSecret.contains(member.key) { return text }
                return !never.contains(member.key) && text.utf8.count >= 8 ? text : nil
            }
        }
        return Set(values).sorted { $0.utf8.count > $1.utf8.count }
    }
}

extension String {
    /// `2027-03-01T09:00:00.000Z` → `2027-03-01T09:00:00Z`: APIs take RFC 3339 without fractions.
    fileprivate var replacingMilliseconds: String {
        hasSuffix(".000Z") ? String(dropLast(5)) + "Z" : self
    }
}

/// The outcome of one recipe request that the API answered as the recipe expects.
struct RecipeAnswer {
    var status: Int
    var body: JSONValue
    /// The status is one of `alreadyDone` (a revoke of a key that is gone).
    var alreadyDone: Bool
}

/// Sends recipe requests: rendered from bindings, bounded by the Lambda deadline, retried on 429 and 5xx, with
/// errors that say what failed and never carry a secret.
struct RecipeCaller {
    let recipe: Recipe
    let client: HTTPClient
    let context: RotationContext
    static let maximumAttempts = 4
    /// Time kept back from the deadline to report a failure.
    static let deadlineMarginMilliseconds: Int64 = 1_000
    /// Longest single request: an API that hangs is given up on while the deadline still allows a retry.
    static let attemptTimeoutMilliseconds: Int64 = 15_000

    /// Sends one request of the recipe. Transport failures are retried a few times; 429 and 5xx answers are retried
    /// for as long as the deadline allows, after `Retry-After` or the recipe's reset header when the API sends one.
    /// - Parameters:
    ///   - step: the recipe step's name for messages (`create`, `test`…).
    ///   - page: for the list, which page to ask for (`nil`: the first, as the recipe writes it).
    func send(_ request: RecipeRequest, step: String, bindings: Bindings, page: ListPage? = nil) throws(RotationError)
        -> RecipeAnswer
    {
        let built = try build(request, bindings: bindings, page: page, step: step)
        let retry = DeadlineBoundedRetry(
            deadline: context.deadline, reserveMilliseconds: Self.deadlineMarginMilliseconds,
            attemptTimeoutMilliseconds: Self.attemptTimeoutMilliseconds)
        return try retry.run { attempt -> DeadlineBoundedRetry.Outcome<RecipeAnswer, RotationError> in
            var timed = built
            timed.timeoutMilliseconds = Int(attempt.timeoutMilliseconds)
            let response: HTTPResponse
            do throws(HTTPClientError) {
                response = try client.send(timed)
            } catch {
                let failure = transportFailure(error, step: step, request: request, bindings: bindings)
                guard error.isTransient, attempt.number < Self.maximumAttempts else { return .fail(failure) }
                return .retry(failure, afterMilliseconds: Self.backoffMilliseconds(attempt: attempt.number))
            }
            if request.expect.contains(response.status) || request.alreadyDone.contains(response.status) {
                let body = (try? JSONValue(parsing: response.body)) ?? .null
                do throws(RotationError) {
                    try check(request.assertions, in: body, step: step, request: request, bindings: bindings)
                } catch {
                    return .fail(error)
                }
                return .done(
                    RecipeAnswer(
                        status: response.status, body: body, alreadyDone: !request.expect.contains(response.status)))
            }
            let failure = statusFailure(
                response, step: step, request: request, bindings: bindings, attempts: attempt.number)
            // 429 and 5xx are retried for as long as the deadline allows; the transport's attempt limit is not theirs.
            guard response.status == 429 || (500...599).contains(response.status) else { return .fail(failure) }
            return .retry(failure, afterMilliseconds: retryDelayMilliseconds(response, attempt: attempt.number))
        } outOfTime: { stop in
            switch stop {
            case .beforeAttempt:
                .target(.timeout, message: "\(what(step, request)): no time left before the Lambda deadline.")
            case .beforeRetry(_, _, let failure): failure
            }
        }
    }

    private func build(_ request: RecipeRequest, bindings: Bindings, page: ListPage?, step: String)
        throws(RotationError) -> HTTPRequest
    {
        let secretId = context.secretId
        var url = recipe.baseURL + (try fillURL(request.path, bindings))
        var pairs: [String] = []
        var paged: (name: String, value: String)?
        switch page {
        case .number(let parameter, let number)?: paged = (parameter, String(number))
        case .cursor(let parameter, let cursor)?: paged = (parameter, cursor)
        case .url(let next)?:
            // The API's own next-page link, on the recipe's host only: an answer must not send a key elsewhere.
            let absolute = next.hasPrefix("/") ? recipe.baseURL + next : next
            guard absolute.hasPrefix(recipe.baseURL + "/"), !RecipeReader.hasControlBytes(absolute),
                !absolute.contains(" ")
            else {
                throw .target(
                    TargetErrorCode("APIError"),
                    message: "\(what(step, request)): the next page is not on \(recipe.baseURL); not followed.")
            }
            url = absolute
        case nil: break
        }
        if case .url? = page {
        } else {
            for (name, value) in request.query where name != paged?.name {
                pairs.append(Self.percentEncoded(name) + "=" + (try fillURL(value, bindings)))
            }
            if let paged { pairs.append(Self.percentEncoded(paged.name) + "=" + Self.percentEncoded(paged.value)) }
            if !pairs.isEmpty { url += "?" + pairs.joined(separator: "&") }
        }
        var headers = HTTPHeaders()
        for (name, value) in request.headers {
            let text = try bindings.fill(value, secretId: secretId)
            guard !RecipeReader.hasControlBytes(text) else {
                throw .invalidSecret(
                    "The value the recipe puts in header \(name) for secret \(secretId) has a control character.")
            }
            headers.add(name: name, value: text)
        }
        if let idempotencyHeader = request.idempotencyHeader {
            headers.add(name: idempotencyHeader, value: bindings.token)
        }
        var body: [UInt8] = []
        if let template = request.body {
            body = try render(template, bindings: bindings).serializedBytes
            if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.add(name: "Content-Type", value: "application/json")
            }
        }
        return HTTPRequest(method: request.method, url: url, headers: headers, body: body)
    }

    /// A URL part filled in, each value percent-encoded; a value that is empty, `.` or `..` is refused (it would
    /// name another path, and libcurl removes dot segments).
    private func fillURL(_ template: Template, _ bindings: Bindings) throws(RotationError) -> String {
        for variable in template.variables {
            let value = try bindings.value(of: variable, secretId: context.secretId)
            if value.isEmpty || value == "." || value == ".." {
                throw .invalidSecret(
                    "Secret \(context.secretId): {{\(variable.name)}} is empty or a dot segment, so it cannot go into a URL."
                )
            }
        }
        return try bindings.fill(template, secretId: context.secretId, encode: Self.percentEncoded)
    }

    /// The body with each string leaf filled in; a leaf that is exactly `{{ttlSeconds}}` becomes a number.
    private func render(_ value: JSONValue, bindings: Bindings) throws(RotationError) -> JSONValue {
        switch value {
        case .string(let text):
            guard let template = try? Template(text) else { return value }
            let filled = try bindings.fill(template, secretId: context.secretId)
            return template.soleVariable == .ttlSeconds ? .number(filled) : .string(filled)
        case .array(let items):
            var rendered: [JSONValue] = []
            for item in items { rendered.append(try render(item, bindings: bindings)) }
            return .array(rendered)
        case .object(let object):
            var rendered = JSONObject()
            for member in object.members { rendered[member.key] = try render(member.value, bindings: bindings) }
            return .object(rendered)
        default:
            return value
        }
    }

    private func check(
        _ assertions: [RecipeRequest.Assertion], in body: JSONValue, step: String, request: RecipeRequest,
        bindings: Bindings
    ) throws(RotationError) {
        for assertion in assertions {
            let found = assertion.pointer.resolve(in: body)
            let holds: Bool
            if let equals = assertion.equals {
                let expected = try bindings.fill(equals, secretId: context.secretId)
                holds =
                    found?.stringValue == expected || found.map { Self.literal($0) } == expected
            } else if let contains = assertion.contains {
                let expected = try bindings.fill(contains, secretId: context.secretId)
                holds =
                    found?.arrayValue?.contains { $0.stringValue == expected } ?? found?.stringValue?.contains(expected)
                    ?? false
            } else {
                holds = true
            }
            guard holds else {
                throw .target(
                    .loginFailed,
                    message: "\(what(step, request)) answered, but \(assertion.pointer) is not what the recipe expects."
                )
            }
        }
    }

    private static func literal(_ value: JSONValue) -> String {
        switch value {
        case .bool(let flag): flag ? "true" : "false"
        case .number(let literal): literal
        case .null: "null"
        default: value.serialized
        }
    }

    /// How long to wait before trying a 429 or 5xx again: `Retry-After` (seconds or an HTTP date:
    /// https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3), else the recipe's reset header (seconds to wait, or
    /// an epoch time in seconds) for a 429, else backoff from 0.5 s doubling to 8 s; never more than 60 s.
    func retryDelayMilliseconds(_ response: HTTPResponse, attempt: Int) -> Int64 {
        let now = Deadline.now().epochMilliseconds / 1_000
        if let seconds = response.headers["Retry-After"].flatMap({ Self.seconds(in: $0, now: now) }) {
            return min(seconds, 60) * 1_000
        }
        // A rate limit's reset time says nothing about a server error: only a 429 waits for it (APIs send the
        // header with every answer).
        if response.status == 429, let header = recipe.rateLimitResetHeader,
            let seconds = response.headers[header].flatMap({ Self.seconds(in: $0, now: now) })
        {
            return min(seconds, 60) * 1_000
        }
        return Self.backoffMilliseconds(attempt: min(attempt, 5))
    }

    /// Seconds to wait from a header: a count of seconds, an epoch time (anything past 10⁹), or an HTTP date.
    static func seconds(in text: String, now: Int64) -> Int64? {
        let compact = text.filter { $0 != " " }
        if let number = Int64(compact), number >= 0 { return number > 1_000_000_000 ? max(number - now, 0) : number }
        if let date = httpDateEpochSeconds(text) { return max(date - now, 0) }
        return nil
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as epoch seconds, by way of RFC 3339.
    static func httpDateEpochSeconds(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", parts[1].count == 2, parts[3].count == 4, parts[4].count == 8,
            let month = months.firstIndex(of: String(parts[2]))
        else { return nil }
        let rfc3339 = "\(parts[3])-\(month < 9 ? "0" : "")\(month + 1)-\(parts[1])T\(parts[4])Z"
        return RFC3339.parse(rfc3339).map { Int64($0) }
    }

    /// 0.5 s, 1 s, 2 s … for attempts 1, 2, 3 …
    static func backoffMilliseconds(attempt: Int) -> Int64 { 250 << Int64(attempt) }

    private func what(_ step: String, _ request: RecipeRequest) -> String {
        "Recipe \"\(recipe.name)\" \(step) (\(request.method.rawValue) \(recipe.baseURL)\(Self.pathShape(request.path)))"
    }

    /// The path as written in the recipe, placeholders and all: the filled-in one may hold ids of the user's.
    private static func pathShape(_ path: Template) -> String {
        path.parts.map { part in
            switch part {
            case .literal(let text): text
            case .variable(let variable): "{{\(variable.name)}}"
            }
        }.joined()
    }

    private func transportFailure(_ error: HTTPClientError, step: String, request: RecipeRequest, bindings: Bindings)
        -> RotationError
    {
        let message = "\(what(step, request)) failed: \(scrub(error.message, bindings))"
        switch error.kind {
        case .tls:
            return .target(
                .tls, message: message + ". Set ROTATOR_API_CA_FILE to a bundle that trusts the API's certificate.")
        case .timeout: return .target(.timeout, message: message)
        case .responseTooLarge: return .target(TargetErrorCode("APIError"), message: message)
        default: return .target(.network, message: message)
        }
    }

    private func statusFailure(
        _ response: HTTPResponse, step: String, request: RecipeRequest, bindings: Bindings, attempts: Int
    ) -> RotationError {
        var detail = ""
        if let pointer = recipe.errorPointer, let body = try? JSONValue(parsing: response.body),
            let text = pointer.resolve(in: body)?.stringValue
        {
            detail = ": " + String(scrub(text, bindings).prefix(200))
        }
        let message = "\(what(step, request)) answered HTTP \(response.status)\(detail)."
        let tries = attempts > 1 ? " Tried \(attempts) times, until the Lambda deadline was near." : ""
        if request.notYetValid.contains(response.status) {
            return .target(.loginFailed, message: message + " The recipe reads this as a key that is not valid yet.")
        }
        switch response.status {
        case 401: return .target(.loginFailed, message: message + " The API refused the key it was sent.")
        case 403: return .target(.permission, message: message + " The key lacks a permission this step needs.")
        case 429: return .target(TargetErrorCode("RateLimited"), message: message + " Rate limited." + tries)
        case 500...599:
            return .target(TargetErrorCode("APIUnavailable"), message: message + " The API failed." + tries)
        default: return .target(TargetErrorCode("APIError"), message: message)
        }
    }

    private func scrub(_ text: String, _ bindings: Bindings) -> String {
        text.redacting(
            bindings.secrets(alwaysSecret: recipe.sentFields, never: recipe.notSecretFields), with: "[redacted]")
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (so an id cannot add a path segment).
    static func percentEncoded(_ text: String) -> String { URIEncoding.encode(text) }
}
