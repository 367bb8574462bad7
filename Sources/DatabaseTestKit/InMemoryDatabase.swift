import DatabaseRotation
import Logging
import Rotation
import TestSupport

/// A database server in memory, for testing the strategies every engine shares without a server: accounts with
/// host parts, a password (and, with dual passwords, the one before it), whether a login asks for the password,
/// rights as opaque strings, locks; reachable or not, with or without TLS. What a real driver does is held to the
/// same expectations by `DriverConformance` against its real server.
package final class InMemoryDatabase: @unchecked Sendable {
    package struct Account: Sendable, Equatable {
        package var user: String
        package var host: String
        /// The current password first; with dual passwords, the retained one second.
        package var passwords: [String]
        /// `false` lets anyone in as this user whatever the password (PostgreSQL `trust`).
        package var checksPassword = true
        package var rights: Set<String> = []
        /// May create users and set others' passwords and rights (a master).
        package var administers = false
        package var locked = false
    }

    private let accounts = Locked<[Account]>([])
    /// `false`: every connection fails as a network error.
    package let reachable = Locked(true)
    package let offersTLS = Locked(true)
    /// Every change made, `verb account` (`create app_clone`, `password app`), for tests that count or order them.
    package let changes = Locked<[String]>([])
    /// A failure for the next change of that kind (`create`, `password`, `rights`), consulted before it is made.
    package let failChange = Locked<(@Sendable (String) -> DatabaseError?)?>(nil)

    package init() {}

    package func addAccount(
        _ user: String, password: String, host: String = "%", rights: Set<String> = [], administers: Bool = false,
        checksPassword: Bool = true
    ) {
        accounts.withLock {
            $0.append(
                Account(
                    user: user, host: host, passwords: [password], checksPassword: checksPassword, rights: rights,
                    administers: administers))
        }
    }

    package func account(_ user: String, host: String = "%") -> Account? {
        accounts.withLock { $0.first { $0.user == user && $0.host == host } }
    }

    /// Whether `user` logs in with `password` (any of its passwords; an account that does not check lets anyone in).
    package func canLogIn(_ user: String, _ password: String) -> Bool {
        guard let account = accounts.withLock({ $0.first { $0.user == user } }), !account.locked else { return false }
        return !account.checksPassword || account.passwords.contains(password)
    }

    /// Changes an account as the test's administrator would (behind the rotator's back).
    package func alter(_ user: String, host: String = "%", _ change: (inout Account) -> Void) {
        accounts.withLock { accounts in
            if let index = accounts.firstIndex(where: { $0.user == user && $0.host == host }) {
                change(&accounts[index])
            }
        }
    }

    func login(_ login: DatabaseLogin) throws(DatabaseError) -> Account {
        guard reachable.withLock({ $0 }) else {
            throw DatabaseError(
                .network, "could not connect to server: Connection refused (\(login.host):\(login.port))")
        }
        if login.tls != .disabled && !offersTLS.withLock({ $0 }) {
            throw DatabaseError(.tls, "the server does not support TLS")
        }
        let found = accounts.withLock { $0.first { $0.user == login.user } }
        guard let account = found, !account.locked,
            !account.checksPassword || account.passwords.contains(login.password)
        else {
            throw DatabaseError(.authentication, "password authentication failed for user \"\(login.user)\"")
        }
        return account
    }

    func change(_ kind: String, _ account: DatabaseAccount, _ body: (inout [Account]) throws(DatabaseError) -> Void)
        throws(DatabaseError)
    {
        if let failure = failChange.withLock({ $0 })?(kind) { throw failure }
        let outcome: DatabaseError? = accounts.withLock { accounts in
            do throws(DatabaseError) {
                try body(&accounts)
                return nil
            } catch {
                return error
            }
        }
        if let outcome { throw outcome }
        changes.withLock { $0.append("\(kind) \(account.user)") }
    }
}

/// The driver for `InMemoryDatabase`, with the traits a test gives it.
package struct InMemoryDriver: DatabaseDriver {
    package let database: InMemoryDatabase
    package let traits: DatabaseTraits

    package init(database: InMemoryDatabase, traits: DatabaseTraits = InMemoryDriver.defaultTraits) {
        self.database = database
        self.traits = traits
    }

    /// A made-up engine `memdb`: 16-byte user names, so the clone-name limit is easy to reach.
    package static let defaultTraits = DatabaseTraits(
        name: "memdb", displayName: "MemDB", engines: ["memdb"], defaultPort: 7777, defaultDatabase: "main",
        maximumUserNameLength: 16, passwordlessLoginCause: "an account that does not check passwords")

    package func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> InMemorySession
    {
        let account = try database.login(login)
        return InMemorySession(
            database: database, account: DatabaseAccount(user: account.user, host: account.host),
            usedPassword: account.checksPassword, traits: traits)
    }

    package func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        guard database.reachable.withLock({ $0 }) else { throw DatabaseError(.network, "connection refused") }
        return database.offersTLS.withLock { $0 }
    }

    package func meansServerHasNoTLS(_ error: DatabaseError) -> Bool {
        error.message.contains("the server does not support TLS")
    }
}

/// One login to an `InMemoryDatabase`.
package final class InMemorySession: DatabaseSession {
    let database: InMemoryDatabase
    package let account: DatabaseAccount
    package let usedPassword: Bool
    let traits: DatabaseTraits

    init(database: InMemoryDatabase, account: DatabaseAccount, usedPassword: Bool, traits: DatabaseTraits) {
        self.database = database
        self.account = account
        self.usedPassword = usedPassword
        self.traits = traits
    }

    package func ping() throws(DatabaseError) {
        guard database.reachable.withLock({ $0 }) else { throw DatabaseError(.network, "the connection was lost") }
    }

    package func changeOwnPassword(to password: String) throws(DatabaseError) {
        try database.change("password", account) { (accounts: inout [InMemoryDatabase.Account]) throws(DatabaseError) in
            try Self.index(of: account, in: accounts).map { accounts[$0].passwords = [password] }
        }
    }

    package func changeOwnPasswordKeepingCurrent(to password: String) throws(DatabaseError) {
        guard traits.supportsDualPasswords else {
            throw DatabaseError(.configuration, "dual passwords are not supported by \(traits.displayName)")
        }
        try database.change("password", account) { (accounts: inout [InMemoryDatabase.Account]) throws(DatabaseError) in
            try Self.index(of: account, in: accounts).map {
                accounts[$0].passwords = [password] + accounts[$0].passwords.prefix(1)
            }
        }
    }

    package func addPassword(_ password: String, keeping kept: String, for account: DatabaseAccount)
        throws(DatabaseError)
    {
        guard traits.supportsDualPasswords else {
            throw DatabaseError(.unsupported, "dual passwords are not supported by \(traits.displayName)")
        }
        try requireAdministrator("add a password for \(account)")
        try database.change("password", account) { (accounts: inout [InMemoryDatabase.Account]) throws(DatabaseError) in
            try Self.index(of: account, in: accounts).map { accounts[$0].passwords = [password, kept] }
        }
    }

    package func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        database.account(account.user, host: account.host ?? "%") != nil
    }

    package func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try requireAdministrator("create \(account)")
        guard let source = database.account(template.user, host: template.host ?? "%") else {
            throw DatabaseError(.configuration, "\(template) does not exist")
        }
        try database.change("create", account) { (accounts: inout [InMemoryDatabase.Account]) throws(DatabaseError) in
            accounts.append(
                InMemoryDatabase.Account(
                    user: account.user, host: account.host ?? "%", passwords: [password], rights: source.rights))
        }
    }

    package func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try requireAdministrator("set the password of \(account)")
        let rights = traits.copiesRights ? database.account(template.user, host: template.host ?? "%")?.rights : nil
        try database.change("password", account) { (accounts: inout [InMemoryDatabase.Account]) throws(DatabaseError) in
            guard let index = try Self.index(of: account, in: accounts) else { return }
            accounts[index].passwords = [password]
            if let rights { accounts[index].rights = rights }
        }
    }

    package func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String] {
        duty.isMasters && database.account(account.user, host: account.host ?? "%")?.administers != true
            ? ["CREATE USER"] : []
    }

    package func close() {}

    private func requireAdministrator(_ action: String) throws(DatabaseError) {
        guard database.account(account.user, host: account.host ?? "%")?.administers == true else {
            throw DatabaseError(.permission, "permission denied: \(account) may not \(action)")
        }
    }

    private static func index(of account: DatabaseAccount, in accounts: [InMemoryDatabase.Account])
        throws(DatabaseError) -> Int?
    {
        guard let index = accounts.firstIndex(where: { $0.user == account.user && $0.host == (account.host ?? "%") })
        else { throw DatabaseError(.configuration, "\(account) does not exist") }
        return index
    }
}
