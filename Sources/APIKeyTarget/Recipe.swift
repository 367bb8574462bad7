import HTTPClient
import JSON

/// What is wrong with a recipe; the loader prefixes the recipe's name and the field.
package struct RecipeError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// How the previous key is retired once AWSCURRENT has moved to the new one.
package enum RetirePolicy: String, Sendable {
    /// Revoke the key AWSPREVIOUS now holds at the end of finishSecret: a leaked old key dies at once, and an
    /// application that still uses it fails at once.
    case immediately
    /// Keep the key AWSPREVIOUS holds through one rotation period and revoke it when the next rotation starts
    /// (a Lambda cannot wait: the next invocation is the next rotation).
    case nextRotation
    /// Revoke nothing: every key is minted with an expiry (`ttlSeconds`) and the API retires it.
    case expiry
}

/// One HTTP request of a recipe, with its placeholders parsed.
struct RecipeRequest: Sendable {
    var method: HTTPRequest.Method
    var path: Template
    var query: [(name: String, value: Template)]
    var headers: [(name: String, value: Template)]
    /// JSON whose string leaves are templates; a leaf that is exactly `{{ttlSeconds}}` becomes a number.
    var body: JSONValue?
    /// Statuses that mean success.
    var expect: [Int]
    /// Statuses that mean "already done" (a revoke of a key that is gone: 404).
    var alreadyDone: [Int]
    /// Sent with the rotation's token as value, where the API takes an idempotency key.
    var idempotencyHeader: String?
    var assertions: [Assertion]
    /// Statuses that mean "this key is not valid yet": the test is tried again, as for a 401 (some APIs answer 403
    /// until a new key has spread).
    var notYetValid: [Int] = []

    struct Assertion: Sendable {
        var pointer: JSONPointer
        var equals: Template?
        var contains: Template?
    }

    var variables: [Template.Variable] {
        var all = path.variables + query.flatMap(\.value.variables) + headers.flatMap(\.value.variables)
        all += assertions.flatMap { ($0.equals?.variables ?? []) + ($0.contains?.variables ?? []) }
        if let body { all += Self.templates(in: body).flatMap(\.variables) }
        return all
    }

    static func templates(in value: JSONValue) -> [Template] {
        switch value {
        case .string(let text): (try? Template(text)).map { [$0] } ?? []
        case .array(let items): items.flatMap(templates(in:))
        case .object(let object): object.members.flatMap { templates(in: $0.value) }
        default: []
        }
    }
}

/// A declarative rotation of a key issued by an HTTPS API: how to list, mint, test and revoke keys. It lives in
/// the function's configuration, never in the secret, so a secret's author cannot send its value to a new host.
package struct Recipe: Sendable {
    package var name: String
    /// `https://host[:port]`, fixed by the recipe (`http://` only for a loopback host, for tests).
    package var baseURL: String
    /// The secret's keys: the key's value, its id, and the id of the key it replaced.
    package var valueField: String
    package var idField: String
    package var previousIDField: String?
    /// Fields that are not secret and may appear in a URL (ids); the value field never may.
    var nonSecretFields: Set<String>
    var keyName: Template
    package var retire: RetirePolicy
    package var ttlSeconds: Int?
    var errorPointer: JSONPointer?

    var list: RecipeRequest
    /// How to ask for the list's next page; `nil` when it has one page.
    var listPaging: ListPaging?
    /// A boolean in the list's answer that says there is more than it holds: with no `listPaging`, the sweep fails
    /// rather than leave keys it did not see.
    var listTruncated: JSONPointer?
    /// A header of 429 answers that says when the limit resets (seconds to wait, or an epoch time), besides
    /// `Retry-After`.
    var rateLimitResetHeader: String?
    var listItems: JSONPointer
    var listName: JSONPointer
    var listID: JSONPointer
    var create: RecipeRequest
    var createdValue: JSONPointer
    var createdID: JSONPointer
    var test: RecipeRequest
    /// How often the test is tried before it counts as failed (new keys can take a moment to work).
    var testAttempts: Int
    var revoke: RecipeRequest

    /// The secret fields any request sends (scrubbed from error texts whatever their length) and the key itself.
    var sentFields: Set<String> {
        var fields: Set<String> = [valueField]
        for request in [list, create, test, revoke] {
            for variable in request.variables { if let field = variable.field { fields.insert(field) } }
        }
        return fields
    }

    /// Fields never scrubbed from error texts (unless a request sends them): the ids and the recipe's name.
    var notSecretFields: Set<String> { nonSecretFields.union([APIKeyTarget.recipeKey]) }

    /// Whether a request reads AWSPREVIOUS (only then is it read).
    var readsPrevious: Bool {
        [list, create, test, revoke].contains { request in
            request.variables.contains { if case .previous = $0 { return true } else { return false } }
        }
    }
}

/// How a list answer points at its next page (https://www.rfc-editor.org/rfc/rfc8288 and the APIs' own forms).
enum ListPaging: Sendable, Equatable {
    /// Page numbers in a query parameter, from the number the list's query starts with (else 1); the number of
    /// pages at `totalPages` in the answer when given, else until a page comes back empty.
    case pageNumbers(parameter: String, totalPages: JSONPointer?)
    /// An opaque cursor from the answer, sent back in a query parameter; no cursor (or an empty one) ends it.
    case cursor(parameter: String, next: JSONPointer)
    /// The next page's URL (or path) in the answer, on the recipe's own host; none ends it.
    case nextURL(JSONPointer)

    /// At most this many pages are read: an API that never says "last page" must not hold a rotation forever.
    static let maximumPages = 100
}

/// Which page of a list to ask for.
enum ListPage: Sendable, Equatable {
    case number(parameter: String, Int)
    case cursor(parameter: String, String)
    case url(String)
}

/// The recipes of one file: `{"recipes": {"name": {…}, …}}`.
package struct RecipeBook: Sendable {
    package var recipes: [String: Recipe]

    package init(recipes: [String: Recipe] = [:]) { self.recipes = recipes }

    /// - Throws: `RecipeError` naming the recipe and the field.
    package init(json text: String) throws(RecipeError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text, options: JSONParsingOptions(rejectsDuplicateKeys: true))
        } catch {
            throw RecipeError("is not valid JSON (\(error))")
        }
        guard let recipes = document["recipes"]?.objectValue, document.objectValue?.keys == ["recipes"] else {
            throw RecipeError("must be an object with one key, \"recipes\", mapping names to recipes")
        }
        var book: [String: Recipe] = [:]
        for member in recipes.members {
            guard !member.key.isEmpty, member.key.utf8.allSatisfy(RecipeReader.isNameByte) else {
                throw RecipeError("recipe name \"\(member.key)\" must be letters, digits, - and _")
            }
            guard let object = member.value.objectValue else {
                throw RecipeError("recipe \"\(member.key)\" must be a JSON object")
            }
            do {
                book[member.key] = try RecipeReader(name: member.key, object: object).recipe()
            } catch {
                throw RecipeError("recipe \"\(member.key)\", \(error.message)")
            }
        }
        self.recipes = book
    }
}
