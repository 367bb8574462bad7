import Foundation
import JSON

/// One moto with IAM signature checking for a whole test process, started on first use: the database targets'
/// end-to-end tests share it (each test makes secrets of its own, so they do not meet).
package enum SharedMoto {
    package static let server = Result<MotoServer, any Error>(catching: { try MotoServer.start(iamAuth: true) })

    package static func get() throws -> MotoServer { try server.get() }
}

/// Runs rotation steps through `RotatorLambda`, the zip's binary, in Lambda mode: a fake Runtime API hands it the
/// events Secrets Manager would send, and moto is its Secrets Manager.
package struct RotatorLambdaRunner: Sendable {
    package let moto: MotoServer
    /// The CA that signed the database's certificate (`ROTATOR_DB_CA_FILE`).
    package let caFile: String
    /// The prefix of the secrets' names, so that moto's contents say which test made them.
    package let secretPrefix: String

    package init(caFile: String, secretPrefix: String) throws {
        moto = try SharedMoto.get()
        self.caFile = caFile
        self.secretPrefix = secretPrefix
    }

    package func createSecret(secretString: String) throws -> String {
        try moto.createSecret(name: "\(secretPrefix)-\(UUID().uuidString.prefix(8))", secretString: secretString)
    }

    /// Runs `steps` with one token; with `names`, under a hosts file or DNS server of the test's own.
    package func run(
        arn: String, token: String, steps: [String], environment extra: [String: String] = [:],
        names: IsolatedNames? = nil, deadlineSeconds: Double? = nil
    ) throws -> (posts: [FakeRuntimeAPI.Post], output: String, fake: FakeRuntimeAPI) {
        let script = steps.map { step in
            FakeRuntimeAPI.Next.event(
                .init(
                    json: JSONObject([
                        "Step": .string(step), "SecretId": .string(arn), "ClientRequestToken": .string(token),
                    ]).serialized,
                    deadlineSeconds: deadlineSeconds))
        }
        let fake = try FakeRuntimeAPI(script: script)
        defer { fake.stop() }
        var environment = moto.clientEnvironment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        environment["ROTATOR_DB_CA_FILE"] = caFile
        // Every punctuation character may appear in the new passwords.
        environment["EXCLUDE_CHARACTERS"] = ""
        environment.merge(extra) { _, new in new }
        let binary = BuiltProducts.executable("RotatorLambda")
        let child =
            try names.map { try ChildProcess(executable: binary, environment: environment, names: $0) }
            ?? ChildProcess(executable: binary, environment: environment)
        child.wait(timeout: 120)
        return (fake.posts, child.output, fake)
    }

    /// A whole rotation as Secrets Manager starts it: the four steps with the token RotateSecret made.
    package func rotate(_ arn: String, environment: [String: String] = [:], names: IsolatedNames? = nil) throws
        -> (posts: [FakeRuntimeAPI.Post], output: String)
    {
        let token = try moto.startRotation(secretId: arn)
        let run = try run(
            arn: arn, token: token, steps: ["createSecret", "setSecret", "testSecret", "finishSecret"],
            environment: environment, names: names)
        return (run.posts, run.output)
    }

    /// Runs the `rotator` command line (`doctor`, `repair`, `status`…) against the same moto and CA; with
    /// `names`, under a hosts file of the test's own. Unlike `run`, the password policy is the default.
    package func command(_ arguments: [String], environment extra: [String: String] = [:], names: IsolatedNames? = nil)
        throws -> (status: Int32?, output: String)
    {
        var environment = moto.clientEnvironment
        environment["ROTATOR_DB_CA_FILE"] = caFile
        environment.merge(extra) { _, new in new }
        let binary = BuiltProducts.executable("rotator")
        let child =
            try names.map {
                try ChildProcess(executable: binary, arguments: arguments, environment: environment, names: $0)
            }
            ?? ChildProcess(executable: binary, arguments: arguments, environment: environment)
        let status = child.wait(timeout: 120)
        return (status, child.output)
    }

    /// The bodies of the error posts.
    package func errors(_ posts: [FakeRuntimeAPI.Post]) -> [String] {
        posts.filter { $0.kind != .response }.map(\.bodyText)
    }

    /// The `password` of the version labelled `stage`.
    package func password(_ arn: String, _ stage: String) throws -> String? {
        try field("password", of: arn, stage)
    }

    /// A string field of the version labelled `stage`.
    package func field(_ key: String, of arn: String, _ stage: String) throws -> String? {
        guard let text = try moto.secretString(secretId: arn, stage: stage) else { return nil }
        return try JSONValue(parsing: text)[key]?.stringValue
    }
}

/// Every character of GetRandomPassword's punctuation set.
package let everyPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

/// A random password like GetRandomPassword's, with every punctuation character allowed.
package func randomPassword(length: Int = 32) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + everyPunctuation)
    var generator = SystemRandomNumberGenerator()
    return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
}
