import DatabaseRotation
import Foundation
import Logging
import Rotation
import TestSupport
import TestTags
import Testing

/// A real database server a driver's conformance runs against, as the driver's own test suite provides it.
package protocol ConformanceServer {
    var host: String { get }
    var port: Int { get }
    /// The CA that signed the server's certificate, and one that did not.
    var caFile: String { get }
    var untrustedCAFile: String { get }
    /// Makes a login account with `password`; with `administrator`, one that may create users and set others'
    /// passwords (the master of alternating users).
    func createAccount(_ user: String, password: String, administrator: Bool) throws
    /// Gives `user` a right of the engine's own (a table it may read), so that a copy can be checked by using it.
    func grantARight(to user: String) throws
    /// Whether `user` with `password` can use the right `grantARight` gave (and so has it).
    func canUseTheRight(_ user: String, password: String) -> Bool
    /// Whether `user` logs in with `password`, checked by the server's own client, not the driver.
    func canLogIn(_ user: String, password: String) -> Bool
}

/// What every database driver must do, checked against its real server: what the shared strategies (tested on
/// `InMemoryDatabase`) rely on. A new driver's server suite calls `DriverConformance.check` once.
package enum DriverConformance {
    /// Runs every check, recording each failure as a test issue.
    package static func check<Driver: DatabaseDriver>(
        _ driver: Driver, on server: some ConformanceServer, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let user = "conf_\(suffix)"
        let admin = "conf_admin_\(suffix)"
        // Every punctuation character the templates' passwords may hold, and a quote in the name.
        let password = "P1!" + everyPunctuation + String(suffix)
        let adminPassword = randomPassword()
        try server.createAccount(user, password: password, administrator: false)
        try server.createAccount(admin, password: adminPassword, administrator: true)
        try server.grantARight(to: user)
        let logs = LogRecorder()
        func login(_ user: String, _ password: String, port: Int? = nil, caFile: String? = nil) -> DatabaseLogin {
            DatabaseLogin(
                host: server.host, port: port ?? server.port, user: user, password: password,
                database: driver.defaultDatabase, tls: .verifyFull(caFile: caFile ?? server.caFile))
        }
        func connect(_ login: DatabaseLogin) throws(DatabaseError) -> Driver.Session {
            try driver.connect(
                login, timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 20_000), logger: logs.logger)
        }
        func category(_ login: DatabaseLogin) -> DatabaseError.Category? {
            do throws(DatabaseError) {
                try connect(login).close()
                return nil
            } catch {
                return error.category
            }
        }

        // Logging in: the account the server matched, and proof that it asked for the password.
        let session = try connect(login(user, password))
        #expect(session.account.user == user, sourceLocation: sourceLocation)
        #expect(
            session.usedPassword, "a password login must say the password was checked", sourceLocation: sourceLocation)
        try session.ping()
        session.close()
        #expect(category(login(user, password + "x")) == .authentication, sourceLocation: sourceLocation)
        #expect(category(login(user, password, caFile: server.untrustedCAFile)) == .tls, sourceLocation: sourceLocation)
        #expect(category(login(user, password, port: try FreePort.find())) == .network, sourceLocation: sourceLocation)
        #expect(
            try driver.serverOffersTLS(host: server.host, port: server.port, within: 5_000),
            sourceLocation: sourceLocation)

        // A user changes its own password: the new one logs in, the old one no longer does.
        let changed = randomPassword()
        let own = try connect(login(user, password))
        try own.changeOwnPassword(to: changed)
        own.close()
        #expect(
            server.canLogIn(user, password: changed) && !server.canLogIn(user, password: password),
            sourceLocation: sourceLocation)

        // The master makes the clone with the user's rights, then sets its password again.
        let master = try connect(login(admin, adminPassword))
        defer { master.close() }
        // The user's account as the server matched it (with its host part, where accounts have one).
        let templateAccount = try connect(login(user, changed)).account
        let clone = templateAccount.named(user + "_clone")
        #expect(try !master.userExists(clone), sourceLocation: sourceLocation)
        let clonePassword = randomPassword()
        try master.createUser(clone, password: clonePassword, like: templateAccount)
        #expect(try master.userExists(clone), sourceLocation: sourceLocation)
        #expect(server.canLogIn(clone.user, password: clonePassword), sourceLocation: sourceLocation)
        #expect(
            server.canUseTheRight(clone.user, password: clonePassword), "the clone has the user's right",
            sourceLocation: sourceLocation)
        let nextPassword = randomPassword()
        try master.updateUser(clone, password: nextPassword, like: templateAccount)
        #expect(
            server.canLogIn(clone.user, password: nextPassword)
                && !server.canLogIn(clone.user, password: clonePassword), sourceLocation: sourceLocation)
        #expect(server.canUseTheRight(clone.user, password: nextPassword), sourceLocation: sourceLocation)

        // Nothing secret in what the driver logged.
        expectNoSecrets(
            [password, changed, adminPassword, clonePassword, nextPassword], in: logs.allText, "the driver's log",
            sourceLocation: sourceLocation)
    }
}
