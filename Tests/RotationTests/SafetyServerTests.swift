import Foundation
import JSON
import Logging
import Rotation
import SecretsManager
import TestSupport
import TestTags
import Testing

/// The ways a rotation could report success while the application is locked out or the secret lost data
/// each through `RotatorLambda` with moto checking signatures, or in-process where the behaviour is the
/// library's (a custom target's hooks).
@Suite("Nothing lost, nobody locked out", .serialized, .tags(.server))
struct SafetyServerTests {
    /// Every shape of secret that once lost data or locked users out, with the settings that selected the generic
    /// target, and whether a rotation must refuse it or change only the named key.
    static let shapes: [(name: String, secret: String, environment: [String: String], rotates: String?)] = [
        (
            "database secret, ROTATOR_TARGET=generic",
            #"{"engine":"postgres","host":"db.example.com","username":"app","password":"shape-Passw0rd-1"}"#,
            ["ROTATOR_TARGET": "generic"], nil
        ),
        (
            "host without engine, auto", #"{"host":"db.example.com","username":"app","password":"shape-Passw0rd-2"}"#,
            [:], nil
        ),
        (
            "engine none, ROTATOR_TARGET=generic", #"{"engine":"none","username":"app","password":"shape-Passw0rd-3"}"#,
            ["ROTATOR_TARGET": "generic"], nil
        ),
        (
            "NaN and Infinity, kept as written",
            #"{"username":"app","password":"shape-Passw0rd-4","ratio":NaN,"max":Infinity,"min":-Infinity}"#, [:],
            "password"
        ),
        ("byte-order mark", "\u{FEFF}{\"username\":\"app\",\"password\":\"shape-Passw0rd-5\"}", [:], nil),
        (
            "duplicate password key",
            #"{"username":"app","password":"shape-Passw0rd-6","password":"shape-Passw0rd-7"}"#, [:], nil
        ),
        ("no password key", #"{"username":"app","api_key":"shape-Passw0rd-8"}"#, [:], nil),
        (
            "ROTATOR_PASSWORD_KEY=api_key", #"{"username":"app","api_key":"shape-Passw0rd-9","note":"kept"}"#,
            ["ROTATOR_PASSWORD_KEY": "api_key"], "api_key"
        ),
        ("truncated JSON", #"{"username":"app","password":"shape-Passw0rd-10""#, [:], nil),
        ("JSON array", #"[{"username":"app","password":"shape-Passw0rd-11"}]"#, [:], nil),
        ("password not a string", #"{"username":"app","password":12345678}"#, [:], nil),
        (
            "blank before the brace, unicode escapes, big numbers",
            " \n{\"username\":\"\\u00e9\\ud83d\\ude00\",\"password\":\"shape-Passw0rd-12\",\"n\":123456789012345678901234567890,\"f\":1.0e400}",
            [:], "password"
        ),
    ]

    @Test(
        "every hostile shape: Python reads either the old value untouched or the old value with only the rotated key changed",
        arguments: 0..<SafetyServerTests.shapes.count)
    func hostileShapes(index: Int) throws {
        let shape = Self.shapes[index]
        let fixture = try RotationFixture(secretString: shape.secret)
        let run = try fixture.rotate(environment: shape.environment)
        let after = try #require(try fixture.value(stage: "AWSCURRENT"), "\(shape.name)")
        let view = try PythonView.compare(before: shape.secret, after: after, key: shape.rotates ?? "password")
        if let key = shape.rotates {
            #expect(view == .onlyKeyChanged, "\(shape.name): \(view)")
            #expect(run.posts.allSatisfy { $0.kind == .response }, "\(shape.name): \(run.posts.compactMap(\.error))")
            if shape.secret.contains("NaN") { #expect(after.contains(#""ratio":NaN,"max":Infinity,"min":-Infinity"#)) }
            _ = key
        } else {
            #expect(view == .unchanged, "\(shape.name): \(view)")
            let error = try #require(run.posts.first?.error, "\(shape.name)")
            #expect(["Rotation.InvalidSecret", "Rotation.NoTarget"].contains(error.type), "\(shape.name): \(error)")
            // Nothing was stored, and finishSecret did not move AWSCURRENT to the empty AWSPENDING version.
            #expect(try fixture.value(stage: "AWSPENDING") == nil, "\(shape.name)")
            #expect(run.posts.last?.error?.type != nil, "\(shape.name): finishSecret succeeded")
        }
    }

    @Test("the error for unreadable JSON says where and what, never the content")
    func unreadableJSONMessage() throws {
        let fixture = try RotationFixture(
            secretString: #"{"username":"app","password":"dup-Passw0rd-1","password":"dup-Passw0rd-2"}"#)
        let run = try fixture.rotate()
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.InvalidSecret")
        #expect(
            error.message.contains(
                "The AWSCURRENT value of secret \(fixture.arn) looks like JSON but is not valid JSON (invalid JSON at byte 46: duplicate key \"password\")"
            ))
        #expect(error.message.contains("Nothing was changed"))
    }

    @Test("a database secret under ROTATOR_TARGET=generic names the danger and the fix")
    func genericRefusalMessage() throws {
        let fixture = try RotationFixture(
            secretString: #"{"engine":"postgres","host":"db","username":"app","password":"generic-db-Pw1!"}"#)
        let run = try fixture.rotate(environment: ["ROTATOR_TARGET": "generic"])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.NoTarget")
        #expect(error.message.contains("names \"engine\" and \"host\" (engine \"postgres\")"))
        #expect(
            error.message.contains("lock the application out") && error.message.contains("Set ROTATOR_TARGET to auto"))
        #expect(run.posts.count == 4 && run.posts.allSatisfy { $0.kind == .error })
    }

    @Test("a plain secret's new password never starts with { or [, so it stays plain for the next rotation")
    func plainPasswordsStayPlain() throws {
        let fixture = try RotationFixture(secretString: "plain-initial-Pw1!")
        // Only { and [ left to choose from: every draw looks like JSON, so none may be stored.
        let run = try fixture.rotate(environment: [
            "EXCLUDE_CHARACTERS": ##"!"#$%&'()*+,-./:;<=>?@\]^_`|}~"##,
            "EXCLUDE_NUMBERS": "true", "EXCLUDE_UPPERCASE": "true",
            "EXCLUDE_LOWERCASE": "true", "REQUIRE_EACH_INCLUDED_TYPE": "false",
        ])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "Rotation.PasswordPolicyViolated")
        #expect(try fixture.value(stage: "AWSCURRENT") == "plain-initial-Pw1!")
        #expect(error.message.contains("must not start with { or ["))
        // With { [ ] } and letters allowed, the stored password starts with a letter, ] or }.
        let mixed = try RotationFixture(secretString: "plain-initial-Pw2!")
        let rotated = try mixed.rotate(environment: [
            "EXCLUDE_CHARACTERS": ##"!"#$%&'()*+,-./:;<=>?@\^_`|~"##,
            "EXCLUDE_NUMBERS": "true", "EXCLUDE_UPPERCASE": "true",
            "PASSWORD_LENGTH": "1", "REQUIRE_EACH_INCLUDED_TYPE": "false",
        ])
        #expect(rotated.posts.allSatisfy { $0.kind == .response }, "\(rotated.posts.compactMap(\.error))")
        let value = try #require(try mixed.value(stage: "AWSCURRENT"))
        #expect(value.count == 1 && value != "{" && value != "[")
    }

    @Test(
        "UpdateSecretVersionStage applied but its response lost: the retry is refused, the labels say it happened, success"
    )
    func lostFinishResponse() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"lost-response-Pw1!"}"#)
        let dropped = Locked(false)
        let proxy = try ForwardingProxy(upstreamPort: fixture.moto.port) { _, operation in
            guard operation == "UpdateSecretVersionStage" else { return .none }
            return dropped.withLock { done in
                defer { done = true }
                return done ? .none : .dropResponse
            }
        }
        defer { proxy.stop() }
        let token = try fixture.startRotation()
        let run = try fixture.runLambda(
            RotationStep.allCases.map { fixture.event($0, token) },
            environment: ["SECRETS_MANAGER_ENDPOINT": proxy.endpoint, "AWS_LAMBDA_LOG_LEVEL": "DEBUG"])
        #expect(
            run.posts.map(\.kind) == [.response, .response, .response, .response], "\(run.posts.compactMap(\.error))")
        #expect(proxy.log.filter { $0.operation == "UpdateSecretVersionStage" }.map(\.fault) == [.dropResponse, .none])
        #expect(fixture.version(with: "AWSCURRENT") == token)
        #expect(run.output.contains("an earlier attempt's response was lost"))
    }

    @Test(
        "a custom target's didFinishSecret runs only after AWSCURRENT moved, and again when finishSecret is re-driven")
    func finishHookAfterLabelMove() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"hook-Pw1!"}"#)
        let failMoves = Locked(true)
        let proxy = try ForwardingProxy(upstreamPort: fixture.moto.port) { _, operation in
            operation == "UpdateSecretVersionStage" && failMoves.withLock({ $0 })
                ? .respond(status: 400, body: #"{"__type":"InvalidRequestException","message":"refused by the test"}"#)
                : .none
        }
        defer { proxy.stop() }
        let recorder = HookRecorder(moto: fixture.moto, secretId: fixture.arn)
        let choice = TargetChoice(name: "recording") { _ in recorder }
        var environment = fixture.moto.clientEnvironment
        environment["SECRETS_MANAGER_ENDPOINT"] = proxy.endpoint
        environment["ROTATOR_TARGET"] = "recording"
        let handler = try RotationLambda.makeHandler(
            environment: environment, targets: [choice], logger: Logger(label: "test"))
        let token = try fixture.startRotation()
        func step(_ step: RotationStep) throws {
            try handler.run(
                RotationEvent(step: step, secretId: fixture.arn, clientRequestToken: token),
                deadline: .after(milliseconds: 30_000), logger: Logger(label: "test"))
        }
        try step(.createSecret)
        try step(.setSecret)
        try step(.testSecret)
        #expect(throws: SecretsManagerError.self) { try step(.finishSecret) }
        #expect(recorder.calls.isEmpty, "the hook ran although AWSCURRENT did not move")
        failMoves.withLock { $0 = false }
        try step(.finishSecret)
        #expect(recorder.calls == [token])
        // A crash after the move, before the hook: Secrets Manager re-drives, the token is AWSCURRENT already.
        try step(.finishSecret)
        #expect(recorder.calls == [token, token])
    }

    @Test("a signature refused for its time says to check the clock, not the credentials")
    func clockSkewHint() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"clock-Pw1!"}"#)
        let expired =
            #"{"__type":"InvalidSignatureException","message":"Signature expired: 20261201T120000Z is now earlier than 20261201T130000Z (20261201T130500Z - 5 min.)"}"#
        let proxy = try ForwardingProxy(upstreamPort: fixture.moto.port) { _, _ in .respond(status: 400, body: expired)
        }
        defer { proxy.stop() }
        let run = try fixture.runLambda(
            [fixture.event(.createSecret, "t")], environment: ["SECRETS_MANAGER_ENDPOINT": proxy.endpoint])
        let error = try #require(run.posts.first?.error)
        #expect(error.type == "SecretsManager.InvalidSignatureException")
        #expect(error.message.contains("check this machine's clock"))
        #expect(!error.message.contains("check AWS_ACCESS_KEY_ID"))
    }

    @Test("http:// to anything but this machine is refused at start-up, unless explicitly allowed")
    func insecureEndpoint() throws {
        let fixture = try RotationFixture(secretString: #"{"username":"app","password":"http-Pw1!"}"#)
        let refused = try fixture.runLambda(
            [fixture.event(.createSecret, "t")],
            environment: ["SECRETS_MANAGER_ENDPOINT": "http://secretsmanager.example.com"])
        let post = try #require(refused.posts.first)
        #expect(post.kind == .initError && post.errorTypeHeader == "Runtime.ConfigInvalid")
        #expect(post.bodyText.contains("unencrypted") && post.bodyText.contains("ROTATOR_ALLOW_INSECURE_ENDPOINT"))
        let allowed = try fixture.runLambda(
            [fixture.event(.createSecret, "t")],
            environment: ["SECRETS_MANAGER_ENDPOINT": "http://127.0.0.2:1", "ROTATOR_ALLOW_INSECURE_ENDPOINT": "true"])
        #expect(allowed.posts.first?.kind == .error)
        let opted = try fixture.runLambda(
            [fixture.event(.createSecret, "t")],
            environment: [
                "SECRETS_MANAGER_ENDPOINT": "http://10.255.255.1:1", "ROTATOR_ALLOW_INSECURE_ENDPOINT": "yes",
                "AWS_MAX_ATTEMPTS": "1",
            ])
        #expect(opted.posts.first?.kind == .error)
        #expect(opted.output.contains("is plain http:// (ROTATOR_ALLOW_INSECURE_ENDPOINT)"))
    }
}

/// A target that records when `didFinishSecret` runs, and checks that AWSCURRENT is on the token by then.
final class HookRecorder: TargetService, @unchecked Sendable {
    let moto: MotoServer
    let secretId: String
    private let recorded = Locked<[String]>([])

    init(moto: MotoServer, secretId: String) {
        self.moto = moto
        self.secretId = secretId
    }

    var name: String { "recording" }
    var calls: [String] { recorded.withLock { $0 } }

    func setSecret(_ context: RotationContext) throws {}
    func testSecret(_ context: RotationContext) throws {}

    func didFinishSecret(_ context: RotationContext) throws {
        let description = try moto.describe(secretId: secretId)
        let stages = description["VersionIdsToStages"]?[context.token]?.arrayValue ?? []
        guard stages.contains(.string("AWSCURRENT")) else { return }
        recorded.withLock { $0.append(context.token) }
    }
}
