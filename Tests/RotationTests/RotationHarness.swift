import Foundation
import JSON
import Rotation
import TestSupport
import Testing

/// A secret in moto plus the means to run rotation steps against it through the real `rotator` binary.
struct RotationFixture {
    let moto: MotoServer
    let name: String
    let arn: String
    let leaks = LeakScanner()

    init(secretString: String, name: String = "rotation-test-\(UUID().uuidString.prefix(8))") throws {
        moto = try SharedMoto.get()
        self.name = name
        arn = try moto.createSecret(name: name, secretString: secretString)
        leaks.watch(secretString: secretString)
        leaks.watch(moto.roleCredentials.secretAccessKey)
        if let token = moto.roleCredentials.sessionToken { leaks.watch(token) }
    }

    /// Starts a rotation the way Secrets Manager does: an empty AWSPENDING version under a new token.
    func startRotation() throws -> String { try moto.startRotation(secretId: arn) }

    func event(_ step: RotationStep, _ token: String) -> FakeRuntimeAPI.Next {
        .event(.init(json: RotationEvent(step: step, secretId: arn, clientRequestToken: token).json))
    }

    /// Runs `script` through `RotatorLambda`, the zip's binary; returns what the runtime posted and what it printed.
    func runLambda(_ script: [FakeRuntimeAPI.Next], environment extra: [String: String] = [:]) throws
        -> (posts: [FakeRuntimeAPI.Post], output: String, status: Int32?)
    {
        let fake = try FakeRuntimeAPI(script: script)
        var environment = moto.clientEnvironment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        environment.merge(extra) { _, new in new }
        let child = try ChildProcess(executable: BuiltProducts.executable("RotatorLambda"), environment: environment)
        let status = child.wait(timeout: 120)
        let output = child.output
        watchAllVersions()
        leaks.assertClean(output)
        for post in fake.posts { leaks.assertClean(post.bodyText) }
        return (fake.posts, output, status)
    }

    /// Runs the command-line tool with moto's environment.
    func runCLI(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32?, output: String) {
        let child = try ChildProcess(
            executable: BuiltProducts.executable("rotator"), arguments: arguments, environment: moto.clientEnvironment,
            stdin: stdin)
        let status = child.wait(timeout: 120)
        watchAllVersions()
        leaks.assertClean(child.output)
        return (status, child.output)
    }

    /// `runCLI` with standard output and standard error apart, to check what a script reading stdout gets.
    func runCLIApart(_ arguments: [String]) throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(
            executable: BuiltProducts.executable("rotator"), arguments: arguments, environment: moto.clientEnvironment,
            separateStandardError: true)
        let status = child.wait(timeout: 120)
        watchAllVersions()
        leaks.assertClean(child.output + child.standardError)
        return (status, child.output, child.standardError)
    }

    /// Adds every value the secret holds now to the leak scan.
    func watchAllVersions() {
        for (versionId, _) in versions() {
            if let string = try? moto.adminClient.secretString(secretId: arn, versionId: versionId) {
                leaks.watch(secretString: string)
            }
        }
    }

    /// Version id → stages, from DescribeSecret.
    func versions() -> [String: [String]] {
        (try? moto.adminClient.stages(secretId: arn)) ?? [:]
    }

    func version(with stage: String) -> String? { versions().first(where: { $0.value.contains(stage) })?.key }

    func value(stage: String) throws -> String? { try moto.secretString(secretId: arn, stage: stage) }

    /// A whole rotation as Secrets Manager drives it: an empty AWSPENDING version, then the four steps.
    func rotate(environment: [String: String] = [:]) throws -> (
        posts: [FakeRuntimeAPI.Post], output: String, status: Int32?
    ) {
        let token = try startRotation()
        return try runLambda(RotationStep.allCases.map { event($0, token) }, environment: environment)
    }
}

/// How an application that reads a secret with Python's json module sees a change: `scripts/secret_compare.py`.
enum PythonView: Equatable {
    case unchanged
    case onlyKeyChanged
    case other(String)

    static func compare(before: String, after: String, key: String = "password") throws -> PythonView {
        let request = JSONObject(["before": .string(before), "after": .string(after), "key": .string(key)]).serialized
        let answer = try JSONValue(parsing: PythonScript.run("secret_compare.py", [], input: request))
        switch answer["verdict"]?.stringValue {
        case "unchanged": return .unchanged
        case "only-key-changed": return .onlyKeyChanged
        default: return .other(answer["why"]?.stringValue ?? "?")
        }
    }
}

extension LeakScanner {
    /// Records an issue for every watched value found in `output`.
    func assertClean(_ output: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for finding in findings(in: output) { Issue.record(Comment(rawValue: finding), sourceLocation: sourceLocation) }
    }
}

extension FakeRuntimeAPI.Post {
    /// The posted error's `errorType` and `errorMessage`.
    var error: (type: String, message: String)? {
        guard kind == .error, let document = try? JSONValue(parsing: request.body),
            let type = document["errorType"]?.stringValue, let message = document["errorMessage"]?.stringValue
        else { return nil }
        return (type, message)
    }
}
