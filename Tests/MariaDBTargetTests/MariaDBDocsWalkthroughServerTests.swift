import Foundation
import TestSupport
import TestTags
import Testing

/// The MySQL and MariaDB guide says: follow the PostgreSQL guide's steps with AWS's MySQL or MariaDB secret. So its
/// tested blocks run here, as written, for a MariaDB secret against MariaDB 10.11 with TLS (`DocsWalkthrough`).
@Suite("The PostgreSQL guide's steps for a MariaDB secret", .tags(.server))
struct MariaDBDocsWalkthroughServerTests {
    @Test("check, the function rotates, verify: each tested block exits 0 and the rotation happened")
    func walkthrough() throws {
        let lambda = try MariaDBLambda(server: try SharedMariaDB.withTLS.get())
        let user = uniqueName("docs")
        let password = randomPassword()
        try lambda.server.createAccount(user, password: password)
        let walkthrough = try DocsWalkthrough(page: "docs/guides/postgresql.md", runner: lambda.runner)
        let run = try walkthrough.perform(
            secretString: mariaDBSecret(port: lambda.server.port, username: user, password: password), target: "auto")
        #expect(run.checked.status == 0, "the check block failed:\n\(run.checked.output)")
        #expect(run.checked.output.contains("passed   secret value: target mariadb"), "\(run.checked.output)")
        #expect(run.rotationErrors.isEmpty, "\(run.rotationOutput)")
        #expect(run.verified.status == 0, "the verify block failed:\n\(run.verified.output)")

        let current = try #require(run.currentPassword)
        #expect(current != password)
        #expect(lambda.server.canLogIn(user: user, password: current))
        #expect(!lambda.server.canLogIn(user: user, password: password))
        expectNoSecrets(
            [password, current, walkthrough.operatorSecretKey], in: run.checked.output + run.verified.output,
            "the guide's commands")
    }
}
