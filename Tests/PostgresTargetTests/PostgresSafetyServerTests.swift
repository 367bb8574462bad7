import Foundation
import JSON
import PostgresTarget
import Rotation
import TestSupport
import TestTags
import Testing

/// PostgreSQL rotations that once reported success with the application locked out, or leaked, or waited past
/// the deadline, through `RotatorLambda`, moto and a real server.
@Suite("PostgreSQL: proofs that prove something, bounded waits, nothing leaked", .serialized, .tags(.server))
struct PostgresSafetyServerTests {
    @Test("a trust rule in pg_hba.conf: no password is proven, so nothing changes and AWSCURRENT stays")
    func trustLoginProvesNothing() throws {
        let server = try PostgresServer(
            hbaLines: ["host all trusted_app 127.0.0.1/32 trust"] + PostgresServer.defaultHBALines)
        let password = randomPassword()
        try server.createRole("trusted_app", password: password)
        let lambda = try PostgresLambda(server: server)
        let arn = try lambda.createSecret(
            postgresSecret(port: server.port, username: "trusted_app", password: password))
        let verifier = try server.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'trusted_app'")

        let run = try lambda.rotate(arn)
        #expect(run.posts.map(\.kind) == [.response, .error, .error, .error])
        #expect(run.posts[1].errorTypeHeader == "Target.PasswordNotChecked")
        #expect(
            run.posts[1].bodyText.contains("without asking for a password (a trust, peer or cert rule in pg_hba.conf)"))
        #expect(run.posts[2].errorTypeHeader == "Target.PasswordNotChecked")  // testSecret cannot prove it either
        #expect(try lambda.password(arn, "AWSCURRENT") == password)
        #expect(try server.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'trusted_app'") == verifier)
    }

    @Test(
        "server notices (a role with client_min_messages=log and debug_print_parse) go through the log, without the statement"
    )
    func noticesAreRoutedAndRedacted() throws {
        let server = try PostgresServer()
        let password = randomPassword()
        try server.createRole("noisy_app", password: password)
        try server.execute(
            "ALTER ROLE noisy_app SET client_min_messages = 'log'; ALTER ROLE noisy_app SET debug_print_parse = on")
        let lambda = try PostgresLambda(server: server)
        let arn = try lambda.createSecret(postgresSecret(port: server.port, username: "noisy_app", password: password))

        let run = try lambda.rotate(arn, environment: ["AWS_LAMBDA_LOG_LEVEL": "DEBUG"])
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(lambda.errors(run.posts))")
        // The canary: the server did send its LOG notices, and they came through the logger.
        #expect(run.output.contains("PostgreSQL server LOG"))
        // The parse tree (the ALTER ROLE statement, verifier included) stayed out of the output.
        #expect(!run.output.contains("ALTERROLESTMT") && !run.output.contains("SCRAM-SHA-256$"))
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        expectNoSecrets([password, newPassword], in: run.output, "the rotator's output")
    }

    @Test("a DNS server that never answers: the attempt ends within the connect budget, before the Lambda deadline")
    func hangingNameResolution() throws {
        let dns = try SilentDNSServer()
        defer { dns.stop() }
        let server = try PostgresServer()
        let lambda = try PostgresLambda(server: server)
        let arn = try lambda.createSecret(
            postgresSecret(
                host: "db.rotator-dns-test.example", port: server.port,
                username: "dns_app", password: randomPassword()))
        let token = try lambda.moto.startRotation(secretId: arn)
        // glibc would wait 30 s for the name (RES_OPTIONS); the step has 10 s and each attempt 5 s.
        let run = try lambda.run(
            arn: arn, token: token, steps: [.createSecret, .setSecret],
            environment: ["RES_OPTIONS": "timeout:30 attempts:1"],
            names: IsolatedNames(nameserver: dns.address), deadlineSeconds: 10)
        try #require(run.posts.count == 2)
        let failure = run.posts[1]
        #expect(failure.kind == .error && failure.errorTypeHeader == "Target.Network", "\(failure.bodyText)")
        #expect(
            failure.bodyText.contains("could not resolve host name \\\"db.rotator-dns-test.example\\\" within 5000 ms"))
        let served = try #require(run.fake.servedAt(requestID: failure.requestID ?? ""))
        #expect(
            failure.request.receivedAtNanoseconds - served < 10_000_000_000, "the error came after the Lambda deadline")
    }

    @Test("a certificate failure against an RDS host name says to package the RDS CA bundle")
    func rdsCertificateHint() throws {
        let server = try PostgresServer()
        try server.createRole("rds_app", password: "unused-Passw0rd")
        let lambda = try PostgresLambda(server: server)
        let rdsHost = "mydb.c9abcdefghij.eu-west-1.rds.amazonaws.com"
        let arn = try lambda.createSecret(
            postgresSecret(host: rdsHost, port: server.port, username: "rds_app", password: "unused-Passw0rd"))
        let run = try lambda.rotate(
            arn, environment: ["ROTATOR_DB_CA_FILE": server.untrustedCAFile],
            names: IsolatedNames(hosts: [(rdsHost, "127.0.0.1")]))
        let failure = try #require(run.posts.dropFirst().first)
        #expect(failure.errorTypeHeader == "Target.TLS", "\(failure.bodyText)")
        #expect(failure.bodyText.contains("certificate verify failed"))
        #expect(failure.bodyText.contains("https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"))
        #expect(failure.bodyText.contains("RDS_CA_BUNDLE=<file> make package") && failure.bodyText.contains("DbCaFile"))
        #expect(failure.bodyText.contains("on your machine, set ROTATOR_DB_CA_FILE"))
    }

    @Test("a host reached through another name: verify-full fails, tls_server_name names the certificate's host")
    func cnameWithServerName() throws {
        let server = try PostgresServer()
        let password = randomPassword()
        try server.createRole("cname_app", password: password)
        let lambda = try PostgresLambda(server: server)
        let names = IsolatedNames(hosts: [("db.corp.rotator.test", "127.0.0.1")])
        let secret = postgresSecret(
            host: "db.corp.rotator.test", port: server.port, username: "cname_app", password: password)

        let plain = try lambda.createSecret(secret)
        let refused = try lambda.rotate(plain, names: names)
        let failure = try #require(refused.posts.dropFirst().first)
        #expect(failure.errorTypeHeader == "Target.TLS")
        #expect(
            failure.bodyText.contains("does not match host name")
                && failure.bodyText.contains("set \\\"tls_server_name\\\""))

        let named = try lambda.createSecret(secret.with("tls_server_name", .string("localhost")))
        let rotated = try lambda.rotate(named, names: names)
        #expect(rotated.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(lambda.errors(rotated.posts))")
        let newPassword = try #require(try lambda.password(named, "AWSCURRENT"))
        #expect(server.logsIn("cname_app", newPassword) && !server.logsIn("cname_app", password))
        #expect(
            rotated.output.contains(
                "Successfully established SSL/TLS connection as user 'cname_app' with host: 'db.corp.rotator.test'"))
    }
}
