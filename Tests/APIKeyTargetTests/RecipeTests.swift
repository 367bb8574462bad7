import Foundation
import HTTPClient
import JSON
import Rotation
import Testing

@testable import APIKeyTarget

/// Recipes are checked once, at start-up: the shipped ones load, and every rule that keeps a secret where it
/// belongs is a `Runtime.ConfigInvalid` naming the recipe and the field.
@Suite("API-key recipes: loading and checking (no server)")
struct RecipeTests {
    static let minimal = #"""
        {"recipes": {"mine": {
          "baseURL": "https://api.example.com",
          "fields": {"value": "key", "id": "key_id", "previousId": "old_key_id"},
          "list": {"method": "GET", "path": "/keys", "headers": {"Authorization": "Bearer {{current.key}}"},
                   "expect": [200], "items": "/keys", "name": "/name", "id": "/id"},
          "create": {"method": "POST", "path": "/keys", "headers": {"Authorization": "Bearer {{current.key}}"},
                     "body": {"name": "{{keyName}}"}, "expect": [201], "value": "/key", "id": "/id"},
          "test": {"method": "GET", "path": "/me", "headers": {"Authorization": "Bearer {{pending.key}}"},
                   "expect": [200]},
          "revoke": {"method": "DELETE", "path": "/keys/{{target.id}}",
                     "headers": {"Authorization": "Bearer {{current.key}}"}, "expect": [204], "alreadyDone": [404]}
        }}}
        """#

    func loadError(_ edit: (String) -> String) -> String? {
        do {
            _ = try RecipeBook(json: edit(Self.minimal))
            return nil
        } catch {
            return error.message
        }
    }

    @Test("the shipped recipes load", arguments: ["sendgrid", "cloudflare"])
    func shipped(name: String) throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recipes/\(name).json")
        let book = try RecipeBook(json: String(contentsOf: file, encoding: .utf8))
        let recipe = try #require(book.recipes[name])
        #expect(recipe.baseURL.hasPrefix("https://api."))
        #expect(recipe.retire == .nextRotation)
    }

    @Test("a minimal recipe loads, with the defaults")
    func minimal() throws {
        let recipe = try #require(try RecipeBook(json: Self.minimal).recipes["mine"])
        #expect(recipe.retire == .nextRotation && recipe.testAttempts == 3)
        #expect(recipe.keyName.variables == [.token])
    }

    @Test(
        "each unsafe or broken recipe is refused, naming the recipe and the field",
        arguments: [
            (
                #""path": "/keys/{{target.id}}""#, #""path": "/keys/{{current.key}}""#,
                #"recipe "mine", revoke.path puts {{current.key}} in a URL"#
            ),
            (
                #""path": "/me""#, #""path": "/me", "query": {"k": "{{pending.key}}"}"#,
                "test.query puts {{pending.key}} in a URL"
            ),
            ("https://api.example.com", "http://api.example.com", "is plain http"),
            ("https://api.example.com", "https://user@api.example.com/v1", "must be only https:// and a host"),
            (#""expect": [201]"#, #""expect": [302]"#, "redirects are never followed"),
            (#""method": "POST""#, #""method": "TRACE""#, "create.method is \"TRACE\""),
            (
                #""previousId": "old_key_id""#, #""previousIdd": "old_key_id""#,
                "fields.previousIdd is not a recipe field"
            ),
            (#""baseURL""#, #""keyName": "fixed-name", "baseURL""#, "keyName must contain {{token}}"),
            (#""baseURL""#, #""retire": "expiry", "baseURL""#, "ttlSeconds (how long a minted key lives) is required"),
            (#""baseURL""#, #""nonSecretFields": ["key"], "baseURL""#, "nonSecretFields: \"key\" holds the key itself"),
            (#""/keys/{{target.id}}""#, #""/keys/{{target.idd}}""#, "uses {{target.idd}}"),
            (#""Bearer {{pending.key}}""#, #""Bearer {{pending.key}""#, "without a closing"),
            (#""Bearer {{pending.key}}""#, #""}} {{pending.key}}""#, "without an opening"),
            (
                #""headers": {"Authorization": "Bearer {{pending.key}}"}"#,
                #""headers": {"Authorization": "Bearer {{pending.key}}", "Host": "evil.example"}"#,
                "test.headers: Host is set by the HTTP client"
            ),
            (
                #""headers": {"Authorization": "Bearer {{pending.key}}"}"#,
                #""headers": {"Authorization": "Bearer {{pending.key}}\u0001"}"#, "no control characters"
            ),
            (
                #""headers": {"Authorization": "Bearer {{pending.key}}"}"#,
                #""headers": {"X-Other": "{{pending.key_id}}"}"#,
                "test must send the key under test ({{pending.key}})"
            ),
            (#""path": "/me""#, #""path": "/me/{{target.id}}""#, "test.path cannot use {{target.id}}"),
            (#""expect": [201]"#, #""expect": [201], "idempotencyHeader": "Bad Name""#, "is not a header name"),
            (#""previousId": "old_key_id""#, #""previousId": "key_id""#, "must be different keys"),
            (#""baseURL""#, #""ttlSeconds": 999999999999, "baseURL""#, "ttlSeconds must be a whole number"),
            ("https://api.example.com", "https://api.example.com:99999", "with an optional port"),
            ("https://api.example.com", "https://api%2eexample.com", "must be https:// and a host name"),
        ])
    func refused(original: String, replacement: String, expected: String) {
        let message = loadError { $0.replacingOccurrences(of: original, with: replacement) }
        #expect(message?.contains(expected) == true, "\(message ?? "loaded")")
    }

    @Test("start-up: a bad file or an unknown ROTATOR_RECIPE is Runtime.ConfigInvalid naming the file")
    func startUp() throws {
        let files = LocalFiles(
            read: { $0 == "/r.json" ? Self.minimal : ($0 == "/bad.json" ? "{" : nil) },
            exists: { ["/r.json", "/bad.json", "/ca.pem"].contains($0) })
        #expect(
            try APIKeyTarget(environment: ["ROTATOR_RECIPES_FILE": "/r.json"], files: files).book.recipes.count == 1)
        #expect(throws: ConfigurationError.self) {
            try APIKeyTarget(environment: ["ROTATOR_RECIPES_FILE": "/bad.json"], files: files)
        }
        do throws(ConfigurationError) {
            _ = try APIKeyTarget(
                environment: ["ROTATOR_RECIPES_FILE": "/r.json", "ROTATOR_RECIPE": "theirs"], files: files)
            Issue.record("an unknown recipe was accepted")
        } catch {
            #expect(
                error.errorMessage.contains(
                    "ROTATOR_RECIPE is \"theirs\", which the recipes file /r.json does not define"))
        }
        // No file at all is fine until a secret names a recipe.
        #expect(try APIKeyTarget(environment: [:], files: files).book.recipes.isEmpty)
    }

    @Test(
        "error texts are scrubbed of every secret, longest first, and of the fields sent whatever their length; never of ids or the recipe's name"
    )
    func scrubbing() throws {
        let current = try SecretValue(
            secretString:
                #"{"key":"abc","admin":"abc-longer-secret","note":"short","rotator_recipe":"sendgrid","key_id":"id-1234567890"}"#
        )
        let bindings = Bindings(current: current, token: "t", keyName: "rotator-t")
        #expect(
            bindings.secrets(alwaysSecret: ["key"], never: ["rotator_recipe", "key_id"]) == [
                "abc-longer-secret", "abc",
            ])
    }

    @Test("wait times from Retry-After (seconds or an HTTP date) and from reset headers (seconds or an epoch time)")
    func retryHeaders() {
        let now: Int64 = 1_800_000_000
        #expect(RecipeCaller.seconds(in: "7", now: now) == 7)
        #expect(RecipeCaller.seconds(in: " 1800000012 ", now: now) == 12, "an epoch time")
        #expect(RecipeCaller.seconds(in: "1799999000", now: now) == 0, "a reset in the past")
        let epoch = RecipeCaller.httpDateEpochSeconds("Fri, 15 Jan 2027 08:00:00 GMT")
        #expect(epoch == Int64(1_800_000_000), "\(String(describing: epoch))")
        #expect(RecipeCaller.seconds(in: "Fri, 15 Jan 2027 08:00:30 GMT", now: 1_800_000_000) == 30)
        #expect(RecipeCaller.seconds(in: "soon", now: now) == nil)
    }

    @Test("list paging: page numbers to totalPages or an empty page, cursors and next links until none or repeated")
    func paging() throws {
        let list = RecipeRequest(
            method: .get, path: try Template("/k"), query: [("page", try Template("1"))], headers: [], body: nil,
            expect: [200], alreadyDone: [], idempotencyHeader: nil, assertions: [])
        let total = try JSONPointer("/info/total")
        let numbered = ListPaging.pageNumbers(parameter: "page", totalPages: total)
        let body = try JSONValue(parsing: #"{"info":{"total":2}}"#)
        let second = APIKeyTarget.nextPage(after: nil, number: 1, paging: numbered, list: list, body: body, count: 5)
        #expect(second == .number(parameter: "page", 2))
        #expect(
            APIKeyTarget.nextPage(after: second, number: 2, paging: numbered, list: list, body: body, count: 5) == nil)
        let open = ListPaging.pageNumbers(parameter: "page", totalPages: nil)
        #expect(APIKeyTarget.nextPage(after: nil, number: 1, paging: open, list: list, body: .null, count: 0) == nil)
        let cursor = ListPaging.cursor(parameter: "c", next: try JSONPointer("/next"))
        let withCursor = try JSONValue(parsing: #"{"next":"abc"}"#)
        #expect(
            APIKeyTarget.nextPage(after: nil, number: 1, paging: cursor, list: list, body: withCursor, count: 1)
                == .cursor(parameter: "c", "abc"))
        #expect(
            APIKeyTarget.nextPage(
                after: .cursor(parameter: "c", "abc"), number: 2, paging: cursor, list: list, body: withCursor, count: 1
            )
                == nil, "a cursor that repeats ends the list")
        let link = ListPaging.nextURL(try JSONPointer("/next"))
        #expect(
            APIKeyTarget.nextPage(after: nil, number: 1, paging: link, list: list, body: withCursor, count: 1)
                == .url("abc"))
    }

    @Test("recipe paging, truncated, notYetValid and rateLimitReset are read and checked")
    func recipeExtensions() throws {
        let base = try String(
            contentsOf: ShippedRecipe.cloudflare.file, encoding: .utf8)
        let book = try RecipeBook(json: base)
        #expect(
            book.recipes["cloudflare"]?.listPaging
                == .pageNumbers(parameter: "page", totalPages: try JSONPointer("/result_info/total_pages")))
        let sendgrid = try RecipeBook(json: try String(contentsOf: ShippedRecipe.sendgrid.file, encoding: .utf8))
        #expect(sendgrid.recipes["sendgrid"]?.rateLimitResetHeader == "X-RateLimit-Reset")
        let bad = base.replacingOccurrences(of: #""paging": { "page": "page","#, with: #""paging": { "pages": "page","#)
        #expect(throws: RecipeError.self) { try RecipeBook(json: bad) }
    }

    @Test("ids in URLs are percent-encoded: an id cannot add a path segment or a query")
    func percentEncoding() {
        #expect(RecipeCaller.percentEncoded("a/b?c=d&e f") == "a%2Fb%3Fc%3Dd%26e%20f")
        #expect(RecipeCaller.percentEncoded("SG.x-y_z~1") == "SG.x-y_z~1")
    }
}
