import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

/// Whole rotations through the real `rotator` binary in Lambda mode: fake Runtime API, moto with IAM
/// authentication and a session token.
@Suite("Rotation through the Lambda loop", .serialized, .tags(.server))
struct RotationLambdaServerTests {
    @Test("a whole rotation moves AWSCURRENT to the new version and AWSPREVIOUS to the old, keeping the JSON shape")
    func wholeRotation() throws {
        let fixture = try RotationFixture(
            secretString:
                #"{"username":"app","password":"initial-Passw0rd!","port":"5432","n":1.50,"extra":{"k":[1,true]}}"#)
        let old = try #require(fixture.version(with: "AWSCURRENT"))
        let token = try fixture.startRotation()
        let steps: [RotationStep] = [.createSecret, .setSecret, .testSecret, .finishSecret]
        let run = try fixture.runLambda(steps.map { fixture.event($0, token) })
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(run.posts.compactMap(\.error))")
        #expect(run.posts.allSatisfy { $0.bodyText == "null" })
        let versions = fixture.versions()
        #expect(versions[token]?.contains("AWSCURRENT") == true)
        #expect(versions[old]?.contains("AWSPREVIOUS") == true)
        #expect(versions[old]?.contains("AWSCURRENT") == false)
        let current = try #require(try fixture.value(stage: "AWSCURRENT"))
        let object = try #require(try JSONValue(parsing: current).objectValue)
        #expect(object.keys == ["username", "password", "port", "n", "extra"])
        #expect(object["port"] == .string("5432"))
        #expect(object["n"] == .number("1.50"))
        #expect(object["extra"]?.serialized == #"{"k":[1,true]}"#)
        let password = try #require(object["password"]?.stringValue)
        #expect(password != "initial-Passw0rd!")
        #expect(try PasswordPolicy(environment: [:]).accepts(password))
        #expect(run.output.contains("finishSecret: Successfully set AWSCURRENT stage to version \(token)"))
        // The leak scan covered the new password, not only the values the test wrote itself.
        #expect(fixture.leaks.isWatching(password))
    }

    @Test(
        "each step writes one outcome line that is valid EMF: steps in order, success, then a failure with its category"
    )
    func outcomeLines() throws {
        let steps: [RotationStep] = [.createSecret, .setSecret, .testSecret, .finishSecret]
        for format in ["Text", "JSON"] {
            let fixture = try RotationFixture(secretString: #"{"username":"app","password":"initial-Passw0rd!"}"#)
            let token = try fixture.startRotation()
            let script = steps.map { fixture.event($0, token) } + [fixture.event(.setSecret, "not-a-version-of-it")]
            let run = try fixture.runLambda(script, environment: ["AWS_LAMBDA_LOG_FORMAT": format])
            let lines = run.output.split(separator: "\n").map(String.init).filter { $0.contains("\"_aws\"") }
            #expect(lines.count == 5, "\(format): \(run.output)")
            for line in lines {
                #expect(EmbeddedMetricFormat.problems(in: line).isEmpty, "\(format): \(line)")
            }
            let objects = lines.compactMap { try? JSONValue(parsing: $0).objectValue }
            #expect(objects.map { $0["Step"]?.stringValue } == (steps.map(\.rawValue) + ["setSecret"]))
            #expect(
                objects.prefix(4).allSatisfy {
                    $0["Outcome"] == .string("success") && $0["Target"] == .string("generic")
                })
            #expect(objects.last?["ErrorType"] == .string("Rotation.UnknownVersion"))
            #expect(objects.last?["Category"] == .string("state") && objects.last?["StepFailures"] == .number("1"))
            if format == "JSON" {
                // With Lambda's JSON log format every line the function writes is one JSON object.
                for line in run.output.split(separator: "\n") {
                    #expect((try? JSONValue(parsing: String(line)))?.objectValue != nil, "not JSON: \(line)")
                }
                #expect(objects.allSatisfy { $0["requestId"]?.stringValue != nil })
            }
        }
    }

    @Test("the leak scan flags a secret value in program output")
    func leakScanHasTeeth() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"planted-Passw0rd!"}"#)
        let findings = fixture.leaks.findings(in: "some log line ... planted-Passw0rd! ... more")
        #expect(findings.count == 1, "a planted password must be reported: \(findings)")
        #expect(fixture.leaks.findings(in: "a log line without any secret").isEmpty)
    }

    @Test("a plain (non-JSON) secret is replaced by a bare password")
    func plainSecret() throws {
        let fixture = try RotationFixture(secretString: "just-a-password-value")
        let token = try fixture.startRotation()
        let run = try fixture.runLambda(
            [.createSecret, .setSecret, .testSecret, .finishSecret].map { fixture.event($0, token) })
        #expect(run.posts.allSatisfy { $0.kind == .response })
        let value = try #require(try fixture.value(stage: "AWSCURRENT"))
        #expect(value.count == 32 && value != "just-a-password-value")
    }

    @Test("every step run twice in a row is harmless")
    func stepsTwice() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"first-Passw0rd!"}"#)
        let token = try fixture.startRotation()
        let steps: [RotationStep] = [
            .createSecret, .createSecret, .setSecret, .setSecret, .testSecret, .testSecret, .finishSecret,
            .finishSecret,
        ]
        let run = try fixture.runLambda(steps.map { fixture.event($0, token) })
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 8), "\(run.posts.compactMap(\.error))")
        #expect(fixture.versions().count == 2)
        #expect(fixture.version(with: "AWSCURRENT") == token)
        #expect(run.output.contains("createSecret: Successfully retrieved secret for"))
        #expect(run.output.contains("already set as AWSCURRENT"))
    }

    @Test(
        "a crash after PutSecretValue and before setSecret, re-driven from the start, completes with the same pending value"
    )
    func crashAfterCreate() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"before-crash-Pw1!"}"#)
        let token = try fixture.startRotation()
        let first = try fixture.runLambda([fixture.event(.createSecret, token)])
        #expect(first.posts.map(\.kind) == [.response])
        let pendingAfterCrash = try #require(try fixture.value(stage: "AWSPENDING"))
        let redrive = try fixture.runLambda(
            [.createSecret, .setSecret, .testSecret, .finishSecret].map { fixture.event($0, token) })
        #expect(
            redrive.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(redrive.posts.compactMap(\.error))")
        #expect(try fixture.value(stage: "AWSCURRENT") == pendingAfterCrash)
    }

    @Test("preamble: an unknown token fails with the template's message")
    func unknownToken() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"unknown-token-Pw1!"}"#)
        let token = UUID().uuidString.lowercased()
        let run = try fixture.runLambda([fixture.event(.setSecret, token)])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.UnknownVersion")
        #expect(error.message == "Secret version \(token) has no stage for rotation of secret \(fixture.arn).")
    }

    @Test("preamble: a token that is already AWSCURRENT succeeds without doing anything")
    func alreadyCurrent() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"already-current-Pw1!"}"#)
        let current = try #require(fixture.version(with: "AWSCURRENT"))
        let run = try fixture.runLambda(RotationStep.allCases.map { fixture.event($0, current) })
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4))
        #expect(fixture.versions().count == 1)
        #expect(try fixture.value(stage: "AWSCURRENT") == #"{"username":"app","password":"already-current-Pw1!"}"#)
    }

    @Test("preamble: rotation disabled fails with the template's message")
    func rotationDisabled() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"disabled-Pw1!"}"#)
        let token = try fixture.startRotation()
        try fixture.moto.adminClient.cancelRotation(secretId: fixture.arn)
        let run = try fixture.runLambda([fixture.event(.createSecret, token)])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.NotEnabled")
        #expect(error.message == "Secret \(fixture.arn) is not enabled for rotation")
        #expect(try fixture.value(stage: "AWSPENDING") == nil)
    }

    @Test(
        "preamble: a token not staged AWSPENDING fails; a stale AWSPENDING elsewhere is named with the command that clears it"
    )
    func stalePending() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"stale-Pw1!"}"#)
        let original = try #require(fixture.version(with: "AWSCURRENT"))
        let token = try fixture.startRotation()
        _ = try fixture.runLambda(
            [.createSecret, .setSecret, .testSecret, .finishSecret].map { fixture.event($0, token) })
        let stale = UUID().uuidString.lowercased()
        try fixture.moto.adminClient.putSecretValue(
            secretId: fixture.arn, token: stale, secretString: #"{"username":"app","password":"abandoned-Pw1!"}"#,
            stages: ["AWSPENDING"])
        fixture.leaks.watch("abandoned-Pw1!")
        let run = try fixture.runLambda([fixture.event(.setSecret, original)])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.NotPending")
        #expect(
            error.message.hasPrefix(
                "Secret version \(original) not set as AWSPENDING for rotation of secret \(fixture.arn)."))
        #expect(error.message.contains("AWSPENDING is on version \(stale)"))
        #expect(error.message.contains("--version-stage AWSPENDING --remove-from-version-id \(stale)"))
        // Resuming comes first; clearing is only safe when AWSCURRENT still works where it is used.
        let resume = try #require(
            error.message.range(of: "Resume it first: `rotator rotate --secret-id \(fixture.arn)`"))
        let clear = try #require(error.message.range(of: "update-secret-version-stage"))
        #expect(resume.lowerBound < clear.lowerBound)
        #expect(
            error.message.contains("or let `rotator repair --secret-id \(fixture.arn)` find which credential works"))
        #expect(
            error.message.contains("Clear the label only if the AWSCURRENT credential still works where it is used"))
    }

    @Test("malformed events give errors that name the field, and the loop goes on")
    func malformedEvents() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"malformed-Pw1!"}"#)
        let current = try #require(fixture.version(with: "AWSCURRENT"))
        let run = try fixture.runLambda([
            .event(.init(json: "{}")),
            .event(.init(json: "not json")),
            .event(.init(json: #"{"Step":"rotateSecret","SecretId":"x","ClientRequestToken":"t"}"#)),
            .event(.init(json: #"{"Step":"setSecret","SecretId":42,"ClientRequestToken":"t"}"#)),
            fixture.event(.finishSecret, current),
        ])
        #expect(run.posts.map(\.kind) == [.error, .error, .error, .error, .response])
        let errors = run.posts.compactMap(\.error)
        #expect(errors.allSatisfy { $0.type == "Rotation.InvalidEvent" })
        #expect(errors[0].message.contains("\"Step\""))
        #expect(errors[1].message.contains("not JSON"))
        #expect(errors[2].message.contains("Invalid step parameter"))
        #expect(errors[3].message.contains("\"SecretId\" field must be a string"))
        #expect(run.status == 1)
    }

    @Test("random bytes as events never crash the function: each gets an error report and the loop goes on")
    func randomEvents() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"random-events-Pw1!"}"#)
        var generator = SystemRandomNumberGenerator()
        let bodies: [[UInt8]] = (0..<40).map { index in
            let length = Int.random(in: 0...512, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Some near-misses: JSON objects with random values in the right fields.
            if index % 4 == 0 {
                bytes = Array(#"{"Step":"\#(index)","SecretId":\#(index),"ClientRequestToken":[\#(index)]}"#.utf8)
            }
            return bytes
        }
        let run = try fixture.runLambda(bodies.map { .event(.init(body: $0)) })
        #expect(run.posts.count == bodies.count)
        #expect(run.posts.allSatisfy { $0.error?.type == "Rotation.InvalidEvent" })
        #expect(run.status == 1)  // Exited because the fake answered 500 at the end, not because it crashed.
        #expect(run.output.contains("answered 500 to GET next"))
    }

    @Test("PASSWORD_SOURCE=api: GetRandomPassword with the same policy, and the same result contract")
    func apiPasswordSource() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"api-source-Pw1!"}"#)
        let token = try fixture.startRotation()
        let environment = ["PASSWORD_SOURCE": "api", "PASSWORD_LENGTH": "20", "EXCLUDE_PUNCTUATION": "true"]
        let run = try fixture.runLambda(
            [fixture.event(.createSecret, token)],
            environment: environment.merging(["AWS_LAMBDA_LOG_LEVEL": "DEBUG"]) { a, _ in a })
        #expect(run.posts.map(\.kind) == [.response], "\(run.posts.compactMap(\.error))")
        // The password came from the API, not from the local generator (which would meet the same policy).
        #expect(run.output.contains("Secrets Manager GetRandomPassword attempt 1/"))
        let pending = try #require(try fixture.value(stage: "AWSPENDING"))
        let password = try #require(try JSONValue(parsing: pending)["password"]?.stringValue)
        #expect(try PasswordPolicy(environment: environment).accepts(password))
        #expect(password.count == 20 && password.allSatisfy { $0.isLetter || $0.isNumber })
    }

    /// `RotatorLambda` is the zip's binary; `rotator` runs the same Lambda mode when AWS_LAMBDA_RUNTIME_API is set.
    @Test(
        "an impossible password policy is an init error: /init/error with Runtime.ConfigInvalid, exit non-zero",
        arguments: ["RotatorLambda", "rotator"])
    func initError(binary: String) throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"init-error-Pw1!"}"#)
        let fake = try FakeRuntimeAPI(script: [fixture.event(.createSecret, "t")])
        var environment = fixture.moto.clientEnvironment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        environment["PASSWORD_LENGTH"] = "0"
        let child = try ChildProcess(executable: BuiltProducts.executable(binary), environment: environment)
        let status = child.wait()
        #expect(status != nil && status != 0)
        #expect(fake.nextCount == 0)
        let post = try #require(fake.posts.first)
        #expect(post.kind == .initError)
        #expect(post.errorTypeHeader == "Runtime.ConfigInvalid")
        #expect(post.bodyText.contains("PASSWORD_LENGTH"))
    }

    @Test("wrong credentials give the typed authentication error through the Lambda error channel")
    func wrongCredentials() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"auth-error-Pw1!"}"#)
        let run = try fixture.runLambda(
            [fixture.event(.setSecret, "t")], environment: ["AWS_SECRET_ACCESS_KEY": "wrong-secret-key-value-000000"])
        let error = try #require(run.posts.first?.error)
        #expect(error.type.hasPrefix("SecretsManager."))
        #expect(
            error.type.contains("SignatureDoesNotMatch") || error.type.contains("InvalidClientTokenId"), "\(error.type)"
        )
        #expect(!run.output.contains("wrong-secret-key-value-000000"))
    }
}
