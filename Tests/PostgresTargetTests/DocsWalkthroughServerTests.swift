import Foundation
import TestSupport
import TestTags
import Testing

/// The README's quickstart and the PostgreSQL guide, run as a newcomer types them (`DocsWalkthrough`): the blocks
/// marked `<!-- docs-test: NAME -->` run in bash, exactly as written, against moto (signatures checked) and
/// PostgreSQL with TLS; the deploy and the attach are done by the test.
@Suite("The docs' walkthroughs, run as written", .serialized, .tags(.server))
struct DocsWalkthroughServerTests {
    static let pages = ["README.md", "docs/guides/postgresql.md"]

    let lambda: PostgresLambda
    var server: PostgresServer { lambda.server }
    let password = randomPassword()

    init() throws {
        lambda = try PostgresLambda(server: PostgresServer())
        try server.createRole("docs_app", password: password)
    }

    @Test("check, the function rotates, verify: each tested block exits 0 and the rotation happened", arguments: pages)
    func walkthrough(page: String) throws {
        let walkthrough = try DocsWalkthrough(page: page, runner: lambda.runner)
        let run = try walkthrough.perform(
            secretString: postgresSecret(port: server.port, username: "docs_app", password: password).secretString,
            target: "auto")
        #expect(run.checked.status == 0, "\(page)'s check block failed:\n\(run.checked.output)")
        #expect(
            run.checked.output.contains("passed   deployed function: \(run.function): provided.al2023"),
            "\(run.checked.output)")
        #expect(run.rotationErrors.isEmpty, "\(run.rotationOutput)")
        #expect(run.verified.status == 0, "\(page)'s verify block failed:\n\(run.verified.output)")
        #expect(run.verified.output.contains("ok"), "\(run.verified.output)")

        let current = try #require(run.currentPassword)
        #expect(current != password)
        #expect(server.logsIn("docs_app", current))
        #expect(!server.logsIn("docs_app", password))
        expectNoSecrets(
            [password, current, walkthrough.operatorSecretKey], in: run.checked.output + run.verified.output,
            "\(page)'s commands")
    }
}
