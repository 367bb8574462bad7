import JSON
import Rotation
import RotationOperations
import SecretsManager
import TestSupport
import TestTags
import Testing

/// A system that holds one password, as a database would: setSecret puts the pending one there; a credential
/// "works" when its password is the one held. `reachable` false makes every try a network failure.
final class PasswordSystem: @unchecked Sendable {
    let password = Locked("")
    let reachable = Locked(true)
}

/// A target over `PasswordSystem`, for the commands' decisions without a database.
struct PasswordSystemTarget: DiagnosableTarget {
    let system: PasswordSystem
    var name: String { "system" }

    func setSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        system.password.withLock { $0 = pending.string("password") ?? "" }
    }

    func testSecret(_ context: RotationContext) throws {
        guard verifyCredential(try context.pending(), label: "AWSPENDING", context: context) == .works else {
            throw RotationError.target(.loginFailed, message: "the pending password does not work")
        }
    }

    func verifyCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck {
        guard system.reachable.withLock({ $0 }) else { return .unreachable("network: the system is down") }
        return value.string("password") == system.password.withLock({ $0 }) ? .works : .fails("refused")
    }
}

/// `rotator repair`'s planning and applying, in process: every action, the refusals, and a rotation that moves on
/// between the plan and the apply.
@Suite("Repair in process, on the in-memory Secrets Manager")
struct InProcessRepairTests {
    let memory = InMemorySecretsManager()
    let system = PasswordSystem()
    let logs = LogRecorder()
    let rotation: LocalRotation
    let arn: String
    let first: String

    init() throws {
        let system = self.system
        let choice = TargetChoice(name: "system") { _ in PasswordSystemTarget(system: system) }
        let handler = try RotationLambda.makeHandler(
            environment: ["ROTATOR_TARGET": "system"], targets: [choice], client: memory)
        rotation = LocalRotation(handler: handler, logger: logs.logger)
        arn = memory.createSecret(name: "app", secretString: #"{"password":"first-Pw1!"}"#)
        first = try #require(try memory.stages(secretId: arn).first?.key)
        system.password.withLock { $0 = "first-Pw1!" }
    }

    func run(_ steps: [RotationStep], _ token: String) throws {
        for step in steps {
            try rotation.handler.run(
                RotationEvent(step: step, secretId: arn, clientRequestToken: token),
                deadline: .after(milliseconds: 10_000), logger: logs.logger)
        }
    }

    @Test("a young AWSPENDING is refused without --force: a step may still be running")
    func young() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret], token)
        let plan = try rotation.planRepair(secretId: arn)
        #expect(plan.action == .refuse && plan.reason.contains("may still be running"))
        #expect(try rotation.planRepair(secretId: arn, force: true).action == .clear)
    }

    @Test("only the pending password works: finish; applied, AWSCURRENT moves to it")
    func finish() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret, .setSecret], token)
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .finish)
        _ = try rotation.applyRepair(plan, force: true)
        #expect(try memory.stages(secretId: arn)[token]?.contains("AWSCURRENT") == true)
    }

    @Test("only the current password works: clear; applied, AWSPENDING is gone and AWSCURRENT stays")
    func clear() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret], token)
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .clear)
        _ = try rotation.applyRepair(plan, force: true)
        #expect(try memory.stages(secretId: arn)[token] == [])
        #expect(try memory.stages(secretId: arn)[first] == ["AWSCURRENT"])
    }

    @Test("the system holds an unlabelled version's password: restore makes that version AWSCURRENT")
    func restore() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret, .setSecret], token)
        try memory.updateSecretVersionStage(
            secretId: arn, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: token,
            deadline: .after(milliseconds: 1_000))
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .restore && plan.restoreVersion == token)
        _ = try rotation.applyRepair(plan, force: true)
        #expect(try memory.stages(secretId: arn)[token] == ["AWSCURRENT"])
        #expect(try memory.stages(secretId: arn)[first] == ["AWSPREVIOUS"])
    }

    @Test("no version's password works: refuse, and --apply changes nothing")
    func refuse() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret, .setSecret], token)
        system.password.withLock { $0 = "changed-behind-its-back" }
        let before = try memory.stages(secretId: arn)
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .refuse)
        #expect(throws: RotationError.self) { _ = try rotation.applyRepair(plan, force: true) }
        #expect(try memory.stages(secretId: arn) == before)
    }

    @Test("the system cannot be reached: cannot tell, so refuse, naming the network, never advising a password change")
    func unreachable() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret, .setSecret], token)
        system.reachable.withLock { $0 = false }
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .refuse)
        #expect(plan.reason.contains("could not be reached") && !plan.reason.contains("by hand"))
    }

    @Test("setSecret lands between the plan (clear) and the apply: the apply sees it and changes nothing")
    func overtaken() throws {
        let token = try memory.startRotation(secretId: arn)
        try run([.createSecret], token)
        let plan = try rotation.planRepair(secretId: arn, force: true)
        #expect(plan.action == .clear)
        try run([.setSecret], token)
        #expect(throws: RotationError.self) { _ = try rotation.applyRepair(plan, force: true) }
        #expect(try memory.stages(secretId: arn)[token] == ["AWSPENDING"])
    }

    @Test("nothing stuck and the current password works: nothing to do")
    func nothing() throws {
        #expect(try rotation.planRepair(secretId: arn).action == .nothing)
    }
}
