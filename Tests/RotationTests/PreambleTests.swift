import SecretsManager
import Testing

@testable import Rotation

/// The templates' preamble over every combination that matters: rotation on, off or never configured; the token
/// unknown, AWSCURRENT, AWSPENDING, both, or another label; another version's stale AWSPENDING; each step.
@Suite("Preamble: the step's decision from its event and DescribeSecret")
struct PreambleTests {
    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"
    static let token = "11111111-1111-1111-1111-111111111111"
    static let other = "22222222-2222-2222-2222-222222222222"

    static func description(enabled: Bool?, _ versions: [(String, [String])]) -> SecretDescription {
        SecretDescription(
            arn: arn, name: "s", rotationEnabled: enabled, rotationLambdaARN: nil,
            versionIdsToStages: versions.map { ($0.0, $0.1) }, lastRotatedDate: nil, nextRotationDate: nil)
    }

    static func decide(
        _ step: RotationStep, enabled: Bool? = true, _ versions: [(String, [String])], allowNewToken: Bool = false
    ) -> Preamble {
        Preamble.decide(
            RotationEvent(step: step, secretId: arn, clientRequestToken: token),
            description: description(enabled: enabled, versions), allowNewToken: allowNewToken)
    }

    @Test("rotation switched off refuses every step, whatever the labels", arguments: RotationStep.allCases)
    func off(step: RotationStep) {
        #expect(
            Self.decide(step, enabled: false, [(Self.token, ["AWSPENDING"])])
                == .refuse(.notEnabled(secretId: Self.arn)))
        #expect(
            Self.decide(step, enabled: false, [(Self.token, ["AWSCURRENT"])])
                == .refuse(.notEnabled(secretId: Self.arn)))
    }

    @Test(
        "a secret RDS manages (OwningService rds, or named rds!…) is refused at every step, even mid-rotation",
        arguments: RotationStep.allCases)
    func managedByRDS(step: RotationStep) {
        let event = RotationEvent(step: step, secretId: Self.arn, clientRequestToken: Self.token)
        var owned = Self.description(enabled: true, [(Self.token, ["AWSPENDING"])])
        owned.owningService = "rds"
        #expect(
            Preamble.decide(event, description: owned) == .refuse(.managedByService(secretId: Self.arn, service: "rds"))
        )
        var named = Self.description(enabled: true, [(Self.token, ["AWSCURRENT"])])
        named.name = "rds!db-5ee964a8-fc7b-439b-810e-60975b33c68c"
        let refusal = Preamble.decide(event, description: named)
        #expect(refusal == .refuse(.managedByService(secretId: Self.arn, service: "rds")))
        if case .refuse(let error) = refusal {
            #expect(error.errorType == "Rotation.ManagedByService")
            #expect(error.errorMessage.contains("managed by Amazon RDS"))
        }
        // A user's secret whose name merely contains rds! is not RDS's.
        var user = Self.description(enabled: true, [(Self.token, ["AWSPENDING"])])
        user.name = "app/rds!prod"
        #expect(Preamble.decide(event, description: user) == .proceed)
    }

    @Test("rotation never configured (the field omitted) does not refuse", arguments: RotationStep.allCases)
    func neverConfigured(step: RotationStep) {
        #expect(Self.decide(step, enabled: nil, [(Self.token, ["AWSPENDING"])]) == .proceed)
    }

    @Test(
        "a token the secret does not know is refused, except rotator rotate's createSecret",
        arguments: RotationStep.allCases)
    func unknown(step: RotationStep) {
        let versions = [(Self.other, ["AWSCURRENT"])]
        #expect(Self.decide(step, versions) == .refuse(.unknownVersion(token: Self.token, secretId: Self.arn)))
        #expect(
            Self.decide(step, versions, allowNewToken: true)
                == (step == .createSecret ? .proceed : .refuse(.unknownVersion(token: Self.token, secretId: Self.arn))))
    }

    @Test(
        "a token already AWSCURRENT succeeds doing nothing (with or without AWSPENDING beside it)",
        arguments: RotationStep.allCases)
    func alreadyCurrent(step: RotationStep) {
        #expect(Self.decide(step, [(Self.token, ["AWSCURRENT"]), (Self.other, ["AWSPREVIOUS"])]) == .alreadyCurrent)
        #expect(Self.decide(step, [(Self.token, ["AWSCURRENT", "AWSPENDING"])]) == .alreadyCurrent)
    }

    @Test("the token's AWSPENDING version runs the step", arguments: RotationStep.allCases)
    func pending(step: RotationStep) {
        #expect(Self.decide(step, [(Self.other, ["AWSCURRENT"]), (Self.token, ["AWSPENDING"])]) == .proceed)
    }

    @Test(
        "a known token that is not AWSPENDING is refused, naming another version's stale AWSPENDING",
        arguments: RotationStep.allCases)
    func notPending(step: RotationStep) {
        #expect(
            Self.decide(step, [(Self.other, ["AWSCURRENT"]), (Self.token, ["AWSPREVIOUS"])])
                == .refuse(.notPending(token: Self.token, secretId: Self.arn, stalePending: nil)))
        #expect(
            Self.decide(step, [(Self.other, ["AWSCURRENT"]), (Self.token, [])])
                == .refuse(.notPending(token: Self.token, secretId: Self.arn, stalePending: nil)))
        let stale = "33333333-3333-3333-3333-333333333333"
        #expect(
            Self.decide(
                step,
                [(Self.other, ["AWSCURRENT", "AWSPENDING"]), (Self.token, ["AWSPREVIOUS"]), (stale, ["AWSPENDING"])])
                == .refuse(.notPending(token: Self.token, secretId: Self.arn, stalePending: stale)),
            "AWSPENDING beside AWSCURRENT is not stale; the one alone is")
    }
}
