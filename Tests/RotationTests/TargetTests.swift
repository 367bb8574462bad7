import HTTPClient
import JSON
import Logging
import Rotation
import Testing

@Suite("Targets and secret values")
struct TargetTests {
    private func context(_ versions: [String: String] = [:]) -> RotationContext {
        RotationContext(secretId: "s", token: "t", deadline: .distantFuture, logger: Logger(label: "test")) { _, stage, _ in
            versions[stage].map(SecretValue.init(secretString:))
        }
    }

    @Test("a JSON secret keeps every key, value, type and position; only the password changes")
    func jsonPendingSecret() throws {
        let current = SecretValue(secretString: #"{"engine":"x","port":"5432","n":1.50,"password":"old","ssl":true,"extra":{"a":[1]}}"#)
        let pending = try GenericTarget().makePendingSecret(current: current, newPassword: "new-pw", context: context())
        #expect(pending.secretString == #"{"engine":"x","port":"5432","n":1.50,"password":"new-pw","ssl":true,"extra":{"a":[1]}}"#)
    }

    @Test("a plain secret is replaced by the bare new password")
    func plainPendingSecret() throws {
        for text in ["hunter2", "[1,2]", "\"quoted\""] {
            let pending = try GenericTarget().makePendingSecret(current: SecretValue(secretString: text), newPassword: "pw", context: context())
            #expect(pending.secretString == "pw")
        }
    }

    @Test("a secret value's description never shows the value")
    func redactedDescription() {
        let json = SecretValue(secretString: #"{"username":"u","password":"s3cr3t"}"#)
        let plain = SecretValue(secretString: "s3cr3t")
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
