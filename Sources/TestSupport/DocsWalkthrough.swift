import Foundation
import JSON

/// A page of the docs whose shell blocks are marked `<!-- docs-test: NAME -->` (`values`, `before-rotation`,
/// `after-rotation`), run as a reader types them: in bash with `set -euo pipefail`, the built `rotator` on `PATH`, and
/// an operator's credentials for moto (Secrets Manager, and reading Lambda functions' configuration). What needs AWS
/// itself (the deploy, the attach) the caller's test does: the function named by the page is created in moto, and
/// `RotatorLambda` rotates the secret as Secrets Manager would once it is attached. The blocks run in a folder that
/// holds `rds-ca-bundle.pem`, as the reader's does after the release step (here the test server's CA stands in for
/// the Amazon RDS roots): nothing else tells `rotator` which CA to trust.
package struct DocsWalkthrough {
    package struct Run {
        package var arn: String
        package var function: String
        package var checked: (status: Int32?, output: String)
        package var verified: (status: Int32?, output: String)
        package var rotationErrors: [String]
        package var rotationOutput: String
        /// The `password` of AWSCURRENT after the walkthrough.
        package var currentPassword: String?
    }

    package let page: String
    let blocks: [String: String]
    let runner: RotatorLambdaRunner
    let operatorKeys: (accessKeyId: String, secretAccessKey: String)

    /// `page` is relative to the package's root.
    package init(page: String, runner: RotatorLambdaRunner) throws {
        self.page = page
        self.runner = runner
        blocks = try Self.testedBlocks(of: BuiltProducts.packageRoot.appendingPathComponent(page))
        operatorKeys = try runner.moto.adminClient.user(allowedTo: [
            "secretsmanager:*", "lambda:GetFunctionConfiguration",
        ])
    }

    package var operatorSecretKey: String { operatorKeys.secretAccessKey }

    /// One walkthrough at a time in this process: pages name the same secret and function, and moto is shared.
    private static let oneAtATime = NSLock()

    /// The page's walkthrough for a secret holding `secretString`, the function deployed with `ROTATOR_TARGET`
    /// `target` and `settings` (its other variables, which the rotation runs with too): check, the function rotates,
    /// verify. `readerEnvironment` is what the page tells the reader to set beyond its blocks. The secret is deleted
    /// again afterwards.
    package func perform(
        secretString: String, target: String, settings: [String: String] = [:],
        readerEnvironment: [String: String] = [:]
    ) throws -> Run {
        Self.oneAtATime.lock()
        defer { Self.oneAtATime.unlock() }
        let values = blocks["values"] ?? ""
        guard let check = blocks["before-rotation"], let verify = blocks["after-rotation"] else {
            throw MotoAdmin.CallError(
                code: "NoTestedBlocks", message: "\(page) has no before- and after-rotation blocks")
        }
        // The secret and the function the page's commands name, as bash expands them.
        let arguments = try options(in: values + "\n" + check)
        guard let secretID = arguments["--secret-id"], let function = arguments["--function"] else {
            throw MotoAdmin.CallError(code: "NoNames", message: "\(page)'s check names no --secret-id or --function")
        }
        // Each walkthrough deploys anew (moto is shared by the whole test process).
        try? runner.moto.adminClient.deleteFunction(name: function)
        try runner.moto.adminClient.createFunction(
            name: function, environment: settings.merging(["ROTATOR_TARGET": target]) { _, target in target })
        let arn = try runner.moto.createSecret(name: secretID, secretString: secretString)
        defer {
            _ = try? runner.moto.adminClient.call(
                "DeleteSecret", JSONObject(["SecretId": .string(arn), "ForceDeleteWithoutRecovery": .bool(true)]))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            atPath: runner.caFile, toPath: folder.appendingPathComponent("rds-ca-bundle.pem").path)
        let reader = Reader(folder: folder.path, environment: readerEnvironment)
        let checked = try bash(values + "\n" + check, as: reader)
        let rotation = try runner.rotate(arn, environment: settings)
        let verified = try bash(values + "\n" + verify, as: reader)
        return Run(
            arn: arn, function: function, checked: checked, verified: verified,
            rotationErrors: runner.errors(rotation.posts), rotationOutput: rotation.output,
            currentPassword: try runner.password(arn, "AWSCURRENT"))
    }

    /// Where the reader's shell is and what the page told them to set.
    struct Reader {
        var folder = "/"
        var environment: [String: String] = [:]
    }

    /// Runs `script` as the reader's shell would.
    func bash(_ script: String, as reader: Reader = Reader()) throws -> (status: Int32?, output: String) {
        var environment = runner.moto.clientEnvironment.merging(reader.environment) { _, reader in reader }
        environment["AWS_ACCESS_KEY_ID"] = operatorKeys.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = operatorKeys.secretAccessKey
        environment["AWS_SESSION_TOKEN"] = nil
        environment["PATH"] = BuiltProducts.directory.path + ":/usr/bin:/bin"
        let child = try ChildProcess(
            executable: URL(fileURLWithPath: "/bin/bash"),
            arguments: ["-euo", "pipefail", "-c", "cd '\(reader.folder)'\n" + script],
            environment: environment)
        let status = child.wait(timeout: 120)
        return (status, child.output)
    }

    /// The options of the `rotator` commands in `script` and their values, found by running it with a `rotator`
    /// that only prints its arguments.
    func options(in script: String) throws -> [String: String] {
        let printed = try bash(#"rotator() { printf '%s\n' "$@"; }"# + "\n" + script)
        let words = printed.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return Dictionary(zip(words, words.dropFirst()).filter { $0.0.hasPrefix("--") }) { first, _ in first }
    }

    /// The shell blocks with a `<!-- docs-test: NAME -->` marker on the line before their fence (blank lines between
    /// are allowed), the fence's indentation taken off.
    static func testedBlocks(of page: URL) throws -> [String: String] {
        let lines = try String(contentsOf: page, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var named: [String: String] = [:]
        var pendingName: String?
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            if line.hasPrefix("<!-- docs-test:"), line.hasSuffix("-->") {
                pendingName = String(line.dropFirst("<!-- docs-test:".count).dropLast(3))
                    .trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let name = pendingName, !line.isEmpty else { continue }
            pendingName = nil
            guard line == "```sh" || line == "```bash" else { continue }
            let indentation = lines[index - 1].prefix { $0 == " " }.count
            var body: [Substring] = []
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" {
                body.append(lines[index].dropFirst(min(indentation, lines[index].prefix { $0 == " " }.count)))
                index += 1
            }
            index += 1
            named[name] = body.joined(separator: "\n")
        }
        return named
    }
}
