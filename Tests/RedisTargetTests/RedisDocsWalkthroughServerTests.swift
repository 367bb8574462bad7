import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// The Redis guide's tested blocks, as written (`DocsWalkthrough`), for an ACL user with dual passwords (the guide's
/// `RedisMode=dual`) against redis-server 7 with TLS.
@Suite("The Redis guide, run as written", .tags(.server))
struct RedisDocsWalkthroughServerTests {
    @Test("check, the function rotates, verify: each tested block exits 0, and both passwords work after")
    func walkthrough() throws {
        let server = try SharedRedis.withTLS.get()
        let runner = try RotatorLambdaRunner(caFile: server.caFile, secretPrefix: "redis-docs")
        let user = "docs_\(UUID().uuidString.prefix(6).lowercased())"
        let password = randomPassword()
        try server.cli([
            "ACL", "SETUSER", user, "on", ">" + password, "resetchannels", "-@all", "+ping", "+acl|setuser",
            "+acl|dryrun",
        ])
        let secret = JSONObject([
            "engine": .string("redis"), "host": .string(server.host), "port": .integer(server.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(true),
        ])
        let walkthrough = try DocsWalkthrough(page: "docs/guides/redis.md", runner: runner)
        // The test server's certificate is from a CA of the tests' own: the guide's export for such a server.
        let run = try walkthrough.perform(
            secretString: secret.serialized, target: "auto", settings: ["ROTATOR_REDIS_MODE": "dual"],
            readerEnvironment: ["ROTATOR_DB_CA_FILE": server.caFile])
        #expect(run.checked.status == 0, "the check block failed:\n\(run.checked.output)")
        #expect(
            run.checked.output.contains("passed   privileges: the user may change its own password"),
            "\(run.checked.output)")
        #expect(run.rotationErrors.isEmpty, "\(run.rotationOutput)")
        #expect(run.verified.status == 0, "the verify block failed:\n\(run.verified.output)")

        let current = try #require(run.currentPassword)
        #expect(current != password)
        #expect(server.canLogIn(user: user, password: current))
        #expect(server.canLogIn(user: user, password: password), "dual passwords: AWSPREVIOUS works one more period")
        expectNoSecrets(
            [password, current, walkthrough.operatorSecretKey], in: run.checked.output + run.verified.output,
            "the guide's commands")
    }
}
