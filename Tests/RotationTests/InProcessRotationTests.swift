import JSON
import Rotation
import SecretsManager
import TestSupport
import TestTags
import Testing

/// The handler's steps against the in-memory Secrets Manager (held to moto by the contract suite): whole
/// rotations, idempotent steps, a lost answer and the preamble's refusals, in milliseconds and without a server.
@Suite("Rotation in process, on the in-memory Secrets Manager")
struct InProcessRotationTests {
    let memory = InMemorySecretsManager()
    let logs = LogRecorder()
    let handler: RotationHandler

    init() throws {
        handler = try RotationLambda.makeHandler(
            environment: ["ROTATOR_TARGET": "generic", "EXCLUDE_CHARACTERS": ""], targets: [], client: memory)
    }

    func step(_ step: RotationStep, _ arn: String, _ token: String) throws {
        try handler.run(
            RotationEvent(step: step, secretId: arn, clientRequestToken: token), deadline: .after(milliseconds: 10_000),
            logger: logs.logger)
    }

    func rotate(_ arn: String, _ token: String) throws {
        for step in RotationStep.allCases { try self.step(step, arn, token) }
    }

    @Test("a whole rotation: AWSCURRENT on the token, AWSPREVIOUS on the old version, every other key kept")
    func wholeRotation() throws {
        let arn = memory.createSecret(name: "app", secretString: #"{"username":"app","password":"old-Pw1!","n":1.50}"#)
        let first = try #require(try memory.stages(secretId: arn).first?.key)
        let token = try memory.startRotation(secretId: arn)
        try rotate(arn, token)
        let stages = try memory.stages(secretId: arn)
        #expect(stages[token] == ["AWSPENDING", "AWSCURRENT"] || stages[token] == ["AWSCURRENT", "AWSPENDING"])
        #expect(stages[first] == ["AWSPREVIOUS"])
        let current = try #require(try memory.secretString(secretId: arn, stage: "AWSCURRENT"))
        let object = try #require(try JSONValue(parsing: current).objectValue)
        #expect(object.keys == ["username", "password", "n"] && object["n"] == .number("1.50"))
        #expect(object["password"]?.stringValue != "old-Pw1!")
        // The templates' calls: DescribeSecret each step, one PutSecretValue, one label move.
        #expect(memory.calls.filter { $0 == "DescribeSecret" }.count == 4)
        #expect(memory.calls.filter { $0 == "PutSecretValue" }.count == 1)
        #expect(memory.calls.filter { $0 == "UpdateSecretVersionStage" }.count == 1)
        expectNoSecrets([current, "old-Pw1!"], in: logs.allText, "the handler's log")
    }

    @Test("createSecret twice stores one value: the second finds it and puts nothing")
    func createSecretIdempotent() throws {
        let arn = memory.createSecret(name: "app", secretString: #"{"password":"old"}"#)
        let token = try memory.startRotation(secretId: arn)
        try step(.createSecret, arn, token)
        let pending = try memory.secretString(secretId: arn, stage: "AWSPENDING")
        try step(.createSecret, arn, token)
        #expect(try memory.secretString(secretId: arn, stage: "AWSPENDING") == pending)
        #expect(memory.calls.filter { $0 == "PutSecretValue" }.count == 1)
    }

    @Test("finishSecret's answer lost after the label moved: the labels are read again, and it counts as done")
    func lostFinishAnswer() throws {
        let arn = memory.createSecret(name: "app", secretString: #"{"password":"old"}"#)
        let token = try memory.startRotation(secretId: arn)
        for step in [RotationStep.createSecret, .setSecret, .testSecret] { try self.step(step, arn, token) }
        let lost = Locked(false)
        memory.loseAnswer.withLock {
            $0 = { operation in
                operation == "UpdateSecretVersionStage"
                    && lost.withLock { done in
                        !done
                            && {
                                done = true
                                return true
                            }()
                    }
            }
        }
        try step(.finishSecret, arn, token)
        #expect(lost.withLock { $0 })
        #expect(try memory.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
        #expect(logs.allText.contains("an earlier attempt's response was lost"))
    }

    @Test("rotation off: every step refused with the templates' text, nothing written")
    func rotationOff() throws {
        let arn = memory.createSecret(name: "app", secretString: #"{"password":"old"}"#)
        let token = try memory.startRotation(secretId: arn)
        try memory.disableRotation(secretId: arn)
        for step in RotationStep.allCases {
            #expect(throws: RotationError.notEnabled(secretId: arn)) { try self.step(step, arn, token) }
        }
        #expect(!memory.calls.contains("PutSecretValue") && !memory.calls.contains("UpdateSecretVersionStage"))
    }

    @Test("a re-driven rotation after it finished: every step succeeds doing nothing")
    func afterFinish() throws {
        let arn = memory.createSecret(name: "app", secretString: #"{"password":"old"}"#)
        let token = try memory.startRotation(secretId: arn)
        try rotate(arn, token)
        let before = memory.calls.count
        try rotate(arn, token)
        let again = memory.calls.dropFirst(before)
        #expect(again.allSatisfy { $0 == "DescribeSecret" }, "\(Array(again))")
    }

    @Test("a database secret given to the generic target is refused before anything is written")
    func databaseSecretRefused() throws {
        let arn = memory.createSecret(
            name: "db", secretString: #"{"engine":"postgres","host":"db","username":"u","password":"p"}"#)
        let token = try memory.startRotation(secretId: arn)
        #expect(throws: RotationError.self) { try step(.createSecret, arn, token) }
        #expect(!memory.calls.contains("PutSecretValue"))
    }
}
