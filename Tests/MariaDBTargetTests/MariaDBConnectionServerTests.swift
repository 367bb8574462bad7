import Foundation
import JSON
import MariaDBTarget
import TestSupport
import TestTags
import Testing

/// Servers that are down, that show a certificate the CA did not sign, that have no TLS, or that require it:
/// through `RotatorLambda`, each with a server of its own.
@Suite("MariaDB: server down, wrong CA, no TLS, require_secure_transport", .tags(.server))
struct MariaDBConnectionServerTests {
    /// A server with one account, and a secret for it.
    func setUp(_ server: MariaDBServer, ssl: JSONValue? = .bool(true)) throws -> (
        lambda: MariaDBLambda, arn: String, user: String, password: String
    ) {
        let lambda = try MariaDBLambda(server: server)
        let user = uniqueName("tls")
        let password = randomPassword()
        try server.createAccount(user, password: password)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: password, ssl: ssl))
        return (lambda, arn, user, password)
    }

    @Test("server stopped: a network error, nothing changed; the old password still works after the restart")
    func serverDown() throws {
        let server = try MariaDBServer()
        let (lambda, arn, user, password) = try setUp(server)
        server.stop()
        let run = try lambda.rotate(arn)
        let error = try #require(lambda.firstError(run.posts))
        #expect(error.type == "Target.Network")
        #expect(error.message.contains("Can't connect to server on '127.0.0.1'"))
        try server.start()
        #expect(server.canLogIn(user: user, password: password))
        #expect(try lambda.password(arn, "AWSCURRENT") == password)
    }

    @Test("a CA that did not sign the server's certificate: a TLS error, even with the fallback allowed")
    func wrongCA() throws {
        let server = try SharedMariaDB.withTLS.get()
        let (lambda, arn, user, password) = try setUp(server, ssl: nil)
        let run = try lambda.rotate(
            arn, environment: ["ROTATOR_DB_CA_FILE": server.untrustedCAFile, "ROTATOR_ALLOW_TLS_FALLBACK": "true"])
        let error = try #require(lambda.firstError(run.posts))
        #expect(error.type == "Target.TLS")
        #expect(error.message.contains("certificate"))
        #expect(!run.output.contains("non SSL/TLS"))
        #expect(server.canLogIn(user: user, password: password))
    }

    @Test("no TLS on the server, ssl absent: refused unless the fallback is allowed, then plain text with a warning")
    func noTLS() throws {
        let server = try MariaDBServer(tls: false)
        let (lambda, arn, user, password) = try setUp(server, ssl: nil)
        let refused = try lambda.rotate(arn)
        let error = try #require(lambda.firstError(refused.posts))
        #expect(error.type == "Target.TLS")
        #expect(error.message.contains("SSL is required, but the server does not support it"))
        #expect(server.canLogIn(user: user, password: password))

        let allowed = try lambda.rotate(arn, environment: ["ROTATOR_ALLOW_TLS_FALLBACK": "true"])
        #expect(lambda.succeeded(allowed), "\(lambda.runner.errors(allowed.posts))")
        #expect(allowed.output.contains("non SSL/TLS"))
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: user, password: newPassword))
        #expect(!server.canLogIn(user: user, password: password))
    }

    @Test("require_secure_transport=ON: a TLS rotation works; a plain-text secret is refused by the server")
    func requireSecureTransport() throws {
        let server = try MariaDBServer(requireSecureTransport: true)
        let (lambda, arn, user, _) = try setUp(server)
        let run = try lambda.rotate(arn)
        #expect(lambda.succeeded(run), "\(lambda.runner.errors(run.posts))")
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: user, password: newPassword))

        let (_, plainARN, plainUser, plainPassword) = try setUp(server, ssl: .bool(false))
        let plain = try lambda.rotate(plainARN)
        let error = try #require(lambda.firstError(plain.posts))
        #expect(error.type == "Target.LoginFailed")
        #expect(server.canLogIn(user: plainUser, password: plainPassword))
    }
}
