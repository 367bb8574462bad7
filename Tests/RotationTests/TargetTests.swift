import JSON
import Logging
import Rotation
import Testing

@Suite("Targets and secret values")
struct TargetTests {
    private func context(_ versions: [String: String] = [:]) -> RotationContext {
        RotationContext(secretId: "s", token: "t", deadline: .distantFuture, logger: Logger(label: "test")) {
            _, stage, _ in
            try versions[stage].map { try SecretValue(secretString: $0) }
        }
    }

    @Test("a JSON secret keeps every key, value, type and position; only the password changes")
    func jsonPendingSecret() throws {
        let current = try SecretValue(
            secretString:
                #"{"port":"5432","n":1.50,"password":"old","ssl":true,"extra":{"a":[1]},"r":NaN,"i":-Infinity}"#)
        let pending = try GenericTarget().makePendingSecret(current: current, newPassword: "new-pw", context: context())
        #expect(
            pending.secretString
                == #"{"port":"5432","n":1.50,"password":"new-pw","ssl":true,"extra":{"a":[1]},"r":NaN,"i":-Infinity}"#)
    }

    @Test("a plain secret is replaced by the bare new password; text that does not start with { or [ is plain")
    func plainPendingSecret() throws {
        for text in ["hunter2", "\"quoted\"", "42", "x{\"a\":1}"] {
            let value = try SecretValue(secretString: text)
            #expect(value == .plain(text))
            #expect(
                try GenericTarget().makePendingSecret(current: value, newPassword: "pw", context: context())
                    .secretString == "pw")
        }
    }

    @Test(
        "text that looks like JSON but is not a JSON object Python reads the same way is refused",
        arguments: [
            (#"{"username":"u","password":"p""#, "not valid JSON (invalid JSON at byte 30"),
            ("\u{FEFF}{\"password\":\"p\"}", "byte-order mark"),
            (#"{"password":"a","password":"b"}"#, #"duplicate key "password""#),
            (#"  [{"password":"p"}]"#, "is a JSON array, not an object"),
            (#"{"a":{"k":1,"k":2},"password":"p"}"#, #"duplicate key "k""#),
            (#"{"password":"p","x":nan}"#, "not valid JSON"),
        ])
    func refusedShapes(text: String, reason: String) {
        #expect {
            _ = try SecretValue(secretString: text)
        } throws: { error in
            guard let error = error as? SecretFormatError else { return false }
            return error.description.contains(reason) && !error.description.contains("\"p\"")
        }
    }

    @Test("NaN, Infinity and -Infinity are read as Python reads them and written back as written")
    func nonFiniteNumbers() throws {
        let text = #"{"a":NaN,"b":Infinity,"c":-Infinity,"d":-1.5e3}"#
        #expect(try SecretValue(secretString: text).secretString == text)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "NaN") }  // Not in API responses.
    }

    @Test("the generic target refuses a database-looking secret, whatever selected it")
    func genericRefusesDatabaseSecrets() {
        for text in [
            #"{"engine":"postgres","host":"db","password":"p"}"#, #"{"host":"db","password":"p"}"#,
            #"{"engine":"none","password":"p"}"#,
        ] {
            #expect(throws: RotationError.self) {
                try GenericTarget().checkCurrent(try SecretValue(secretString: text), context: context())
            }
        }
    }

    @Test("the generic target refuses a secret that names an API-key recipe, even when it has the key to rotate")
    func genericRefusesRecipeSecrets() throws {
        let target = try GenericTarget(environment: ["ROTATOR_PASSWORD_KEY": "api_key"])
        let secret = try SecretValue(secretString: #"{"api_key":"SG.x","api_key_id":"i","rotator_recipe":"sendgrid"}"#)
        #expect(throws: RotationError.self) { try target.checkCurrent(secret, context: context()) }
    }

    @Test("the generic target rotates ROTATOR_PASSWORD_KEY and refuses a secret without it")
    func passwordKey() throws {
        let apiKey = try SecretValue(secretString: #"{"api_key":"old","note":"n"}"#)
        #expect(throws: RotationError.self) { try GenericTarget().checkCurrent(apiKey, context: context()) }
        let target = try GenericTarget(environment: ["ROTATOR_PASSWORD_KEY": "api_key"])
        try target.checkCurrent(apiKey, context: context())
        #expect(
            try target.makePendingSecret(current: apiKey, newPassword: "new", context: context()).secretString
                == #"{"api_key":"new","note":"n"}"#)
        #expect(throws: ConfigurationError.self) { try GenericTarget(environment: ["ROTATOR_PASSWORD_KEY": ""]) }
        let notString = try SecretValue(secretString: #"{"password":12}"#)
        #expect(throws: RotationError.self) { try GenericTarget().checkCurrent(notString, context: context()) }
    }

    @Test("a secret value's description never shows the value")
    func redactedDescription() throws {
        let json = try SecretValue(secretString: #"{"username":"u","password":"s3cr3t"}"#)
        let plain = try SecretValue(secretString: "s3cr3t")
        for value in [json, plain] {
            #expect(!"\(value)".contains("s3cr3t"))
            #expect(!String(reflecting: value).contains("s3cr3t"))
        }
    }

    @Test("the context reads current, pending and previous, and fails clearly when one is missing")
    func contextReads() throws {
        let context = context(["AWSCURRENT": "c"])
        #expect(try context.current() == .plain("c"))
        #expect(try context.previous() == nil)
        #expect(throws: RotationError.missingVersion(stage: "AWSPENDING", secretId: "s")) { try context.pending() }
    }
}
