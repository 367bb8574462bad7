import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// The README's quickstart and the PostgreSQL guide, run as a newcomer types them: the shell blocks marked
/// `<!-- docs-test: NAME -->` run in bash, exactly as written, against moto (signatures checked) and PostgreSQL with
/// TLS. What cannot run here (building the release, `sam deploy`, attaching the function in AWS) the test does itself:
/// the secret exists as step 2 describes it, and `RotatorLambda` rotates it as Secrets Manager would after the attach.
@Suite("The docs' walkthroughs, run as written", .serialized, .tags(.server))
struct DocsWalkthroughServerTests {
    static let pages = ["README.md", "docs/guides/postgresql.md"]

    let lambda: PostgresLambda
    var server: PostgresServer { lambda.server }
    let password = randomPassword()
    let operatorKeys: (accessKeyId: String, secretAccessKey: String)

    init() throws {
        lambda = try PostgresLambda(server: PostgresServer())
        operatorKeys = try lambda.moto.adminClient.user(allowedTo: [
            "secretsmanager:*", "lambda:GetFunctionConfiguration",
        ])
        try server.createRole("docs_app", password: password)
    }

    @Test("check, the function rotates, verify: each tested block exits 0 and the rotation happened", arguments: pages)
    func walkthrough(page: String) throws {
        let blocks = try TestedShellBlocks(page: BuiltProducts.packageRoot.appendingPathComponent(page))
        let values = blocks.named["values"] ?? ""
        let check = try #require(blocks.named["before-rotation"], "\(page) has no block marked before-rotation")
        let verify = try #require(blocks.named["after-rotation"], "\(page) has no block marked after-rotation")

        // The secret and the function the page's commands name, as bash expands them; the deploy step's outcome is
        // a function of that name (moto keeps its configuration; it is never invoked).
        let arguments = try options(in: values + "\n" + check)
        let secretID = try #require(arguments["--secret-id"], "no --secret-id in \(page)'s check")
        let function = try #require(arguments["--function"], "no --function in \(page)'s check")
        do {
            try lambda.moto.adminClient.createFunction(name: function, environment: ["ROTATOR_TARGET": "postgres"])
        } catch let error as MotoAdmin.CallError where error.code == "HTTP409" {
            // Made by the other page's case: the same deployment.
        }
        let arn = try lambda.moto.createSecret(
            name: secretID,
            secretString: postgresSecret(port: server.port, username: "docs_app", password: password).secretString)
        defer { _ = try? lambda.moto.adminClient.call("DeleteSecret", deletion(arn)) }

        let checked = try run(values + "\n" + check)
        #expect(checked.status == 0, "\(page)'s check block failed:\n\(checked.output)")
        #expect(
            checked.output.contains("passed   deployed function: \(function): provided.al2023"), "\(checked.output)")

        let rotation = try lambda.rotate(arn)
        #expect(lambda.errors(rotation.posts).isEmpty, "\(rotation.output)")

        let verified = try run(values + "\n" + verify)
        #expect(verified.status == 0, "\(page)'s verify block failed:\n\(verified.output)")
        #expect(verified.output.contains("ok"), "\(verified.output)")

        let current = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(current != password)
        #expect(server.logsIn("docs_app", current))
        #expect(!server.logsIn("docs_app", password))
        expectNoSecrets(
            [password, current, operatorKeys.secretAccessKey], in: checked.output + verified.output,
            "\(page)'s commands")
    }

    /// Runs `script` as the reader's shell would (`set -euo pipefail`), with the built `rotator` on `PATH` and the
    /// credentials of an operator who may use Secrets Manager and read Lambda functions' configuration.
    func run(_ script: String) throws -> (status: Int32?, output: String) {
        var environment = lambda.moto.clientEnvironment
        environment["AWS_ACCESS_KEY_ID"] = operatorKeys.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = operatorKeys.secretAccessKey
        environment["AWS_SESSION_TOKEN"] = nil
        environment["ROTATOR_DB_CA_FILE"] = lambda.runner.caFile
        environment["PATH"] = BuiltProducts.directory.path + ":/usr/bin:/bin"
        let child = try ChildProcess(
            executable: URL(fileURLWithPath: "/bin/bash"), arguments: ["-euo", "pipefail", "-c", script],
            environment: environment)
        let status = child.wait(timeout: 120)
        return (status, child.output)
    }

    /// The options of the `rotator` commands in `script` and their values, found by running it with a `rotator`
    /// that only prints its arguments.
    func options(in script: String) throws -> [String: String] {
        let printed = try run(#"rotator() { printf '%s\n' "$@"; }"# + "\n" + script)
        let words = printed.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return Dictionary(zip(words, words.dropFirst()).filter { $0.0.hasPrefix("--") }) { first, _ in first }
    }

    func deletion(_ arn: String) -> JSONObject {
        JSONObject(["SecretId": .string(arn), "ForceDeleteWithoutRecovery": .bool(true)])
    }
}

/// The shell blocks of a Markdown page that carry a `<!-- docs-test: NAME -->` marker on the line before their
/// fence (blank lines between are allowed), with the fence's indentation taken off.
struct TestedShellBlocks {
    var named: [String: String] = [:]

    init(page: URL) throws {
        let lines = try String(contentsOf: page, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
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
    }
}
