import Rotation
import RotationOperations
import SecretsManager
import TestSupport
import Testing

/// `rotator doctor`'s look at the deployed rotation function, in process: what each answer of
/// GetFunctionConfiguration makes of the check.
@Suite("Doctor: the deployed function")
struct DeployedFunctionCheckTests {
    struct Functions: DeployedFunctionReading {
        let answer: DeployedFunctionLookup
        let asked = Locked<[String]>([])
        func lookup(_ function: String) -> DeployedFunctionLookup {
            asked.withLock { $0.append(function) }
            return answer
        }
    }

    static let function = "arn:aws:lambda:us-east-1:123456789012:function:rotator"
    static let healthy = DeployedFunction(
        name: "rotator", runtime: "provided.al2023", architectures: ["arm64"], timeoutSeconds: 180, state: "Active",
        subnetCount: 2, rotatorTarget: "auto")

    /// The doctor's "deployed function" check for a secret on the in-memory Secrets Manager whose rotation names
    /// `function`, with the function read as `answer`.
    static func check(_ answer: DeployedFunctionLookup) throws -> (status: String, detail: String, asked: [String]) {
        let diagnosis = try doctor(answer, attachedTo: function)
        let check = try #require(diagnosis.checks.first { $0.name == "deployed function" })
        return (check.status.rawValue, check.detail, diagnosis.asked)
    }

    /// `rotator doctor [--function given]` on a secret attached to `attached` (nil: rotation off), the function read
    /// as `answer`: every check, and the names the Lambda reader was asked for.
    static func doctor(_ answer: DeployedFunctionLookup, attachedTo attached: String?, given: String? = nil) throws
        -> (checks: [DiagnosticCheck], asked: [String])
    {
        let memory = InMemorySecretsManager()
        let system = PasswordSystem()
        let choice = TargetChoice(name: "system") { _ in PasswordSystemTarget(system: system) }
        let handler = try RotationLambda.makeHandler(
            environment: ["ROTATOR_TARGET": "system"], targets: [choice], client: memory)
        let functions = Functions(answer: answer)
        let rotation = LocalRotation(handler: handler, logger: LogRecorder().logger, functions: functions)
        let arn = memory.createSecret(name: "app", secretString: #"{"password":"first-Pw1!"}"#)
        if let attached {
            let token = try memory.startRotation(secretId: arn, lambdaARN: attached)
            try memory.updateSecretVersionStage(
                secretId: arn, versionStage: "AWSPENDING", moveToVersionId: nil, removeFromVersionId: token,
                deadline: .after(milliseconds: 1_000))
        }
        let diagnosis = rotation.doctor(secretId: arn, now: 0, function: given)
        return (diagnosis.checks, functions.asked.withLock { $0 })
    }

    static func status(_ name: String, in checks: [DiagnosticCheck]) throws -> (status: String, detail: String) {
        let check = try #require(checks.first { $0.name == name }, "no \(name) check")
        return (check.status.rawValue, check.detail)
    }

    @Test("an active custom-runtime function with a workable timeout passes, and says what it found")
    func activeFunction() throws {
        let result = try Self.check(.found(Self.healthy))
        #expect(result.status == "passed")
        #expect(
            result.detail == "rotator: provided.al2023 arm64, timeout 180 s, in a VPC (2 subnets), ROTATOR_TARGET auto")
        #expect(result.asked == [Self.function])
    }

    @Test(
        "what fails: a missing function, a failed one, a timeout a step cannot fit, a ROTATOR_TARGET of another target",
        arguments: [
            (DeployedFunctionLookup.notFound, "does not exist"),
            (
                .found(
                    DeployedFunction(
                        name: "r", runtime: "provided.al2023", architectures: [], timeoutSeconds: 180, state: "Failed",
                        subnetCount: 0, rotatorTarget: nil)), "state Failed"
            ),
            (
                .found(
                    DeployedFunction(
                        name: "r", runtime: "provided.al2023", architectures: [], timeoutSeconds: 3, state: "Active",
                        subnetCount: 0, rotatorTarget: nil)), "a 3 s timeout can end a step mid-way"
            ),
            (
                .found(
                    DeployedFunction(
                        name: "r", runtime: "provided.al2023", architectures: [], timeoutSeconds: 180, state: "Active",
                        subnetCount: 0, rotatorTarget: "postgres")),
                "it rotates as target postgres, but this secret needs target system"
            ),
        ])
    func failures(answer: DeployedFunctionLookup, says: String) throws {
        let result = try Self.check(answer)
        #expect(result.status == "failed" && result.detail.contains(says), "\(result.detail)")
    }

    @Test("no permission, or no answer, is a skipped check: it cannot tell, so it does not fail")
    func cannotTell() throws {
        let denied = try Self.check(.noPermission)
        #expect(
            denied.status == "skipped"
                && denied.detail.hasPrefix("no permission: allow lambda:GetFunctionConfiguration"))
        let unreachable = try Self.check(.unknown("timed out"))
        #expect(unreachable.status == "skipped" && unreachable.detail.contains("timed out"))
    }

    @Test("before the attach, --function makes rotation off expected and checks that function; without it, off fails")
    func beforeTheAttach() throws {
        let named = try Self.doctor(.found(Self.healthy), attachedTo: nil, given: "rotator")
        let configuration = try Self.status("rotation configuration", in: named.checks)
        #expect(
            configuration.status == "skipped" && configuration.detail.hasPrefix("rotation is off: not attached yet"))
        #expect(try Self.status("deployed function", in: named.checks).status == "passed")
        #expect(named.asked == ["rotator"])

        let missing = try Self.doctor(.notFound, attachedTo: nil, given: "rotator")
        #expect(try Self.status("deployed function", in: missing.checks).status == "failed")

        let unnamed = try Self.doctor(.found(Self.healthy), attachedTo: nil)
        #expect(try Self.status("rotation configuration", in: unnamed.checks).status == "failed")
        #expect(try Self.status("deployed function", in: unnamed.checks).status == "skipped")
        #expect(unnamed.asked.isEmpty)
    }

    @Test(
        "attached to another function than --function names (a migration) is skipped; the same, by name or ARN, passes")
    func attachedElsewhere() throws {
        let other = try Self.doctor(.found(Self.healthy), attachedTo: Self.function, given: "another-rotator")
        let configuration = try Self.status("rotation configuration", in: other.checks)
        #expect(
            configuration.status == "skipped" && configuration.detail.contains("not yet to another-rotator")
                && configuration.detail.contains(Self.function), "\(configuration)")
        #expect(try Self.status("deployed function", in: other.checks).status == "passed")
        #expect(other.asked == ["another-rotator"])
        for given in ["rotator", Self.function] {
            let same = try Self.doctor(.found(Self.healthy), attachedTo: Self.function, given: given)
            #expect(try Self.status("rotation configuration", in: same.checks).status == "passed", "\(given)")
            #expect(same.asked == [given])
        }
    }
}
