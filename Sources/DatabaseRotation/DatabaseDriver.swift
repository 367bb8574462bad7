import Logging
import Rotation

/// What a database target supplies: everything specific to one database engine. The strategies in this module
/// (single user, alternating users) do the rest, the same way for every engine.
///
/// A driver is a value with no state; `connect` opens a session. PostgreSQL's is the example
/// (`PostgresTarget/PostgresDriver.swift`).
public protocol DatabaseDriver: Sendable {
    associatedtype Session: DatabaseSession

    /// The engine's names, defaults and limits.
    var traits: DatabaseTraits { get }

    /// Opens a session and logs in. Name resolution, TLS and authentication must all finish within
    /// `timeoutMilliseconds` and before `deadline`; server messages go to `logger`, never to stderr.
    /// - Throws: `DatabaseError` with the category of the failure; the caller decides whether another credential
    ///   or plain text is worth a try.
    func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> Session

    /// Whether the server at `host:port` offers TLS at all, asked without logging in. Only used to decide on a
    /// plain-text fallback when no CA bundle can verify TLS.
    func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool

    /// Whether a failed TLS login means the server has no TLS (the one case a fallback to plain text is for).
    func meansServerHasNoTLS(_ error: DatabaseError) -> Bool
}

/// Everything one login needs.
public struct DatabaseLogin: Sendable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLS: Sendable, Equatable {
        /// Plain text.
        case disabled
        /// TLS, the chain checked against `caFile`, the host name checked.
        case verifyFull(caFile: String)
    }

    /// Host name or address to connect to.
    public var host: String
    /// The name the certificate must carry, when it is not `host` (a CNAME); `nil` verifies `host`.
    public var serverName: String?
    public var port: Int
    public var user: String
    /// Never logged.
    public var password: String
    public var database: String?
    public var tls: TLS

    public init(
        host: String, serverName: String? = nil, port: Int, user: String, password: String,
        database: String?, tls: TLS
    ) {
        self.host = host
        self.serverName = serverName
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// `user@host:port/database`, for logs and errors.
    public var endpointDescription: String { "\(user)@\(host):\(port)/\(database ?? "")" }

    public var description: String {
        "DatabaseLogin(\(endpointDescription), \(tls == .disabled ? "TLS off" : "TLS verify-full"))"
    }
}

/// A database account: a user name, and for MySQL-family servers the host part of `'user'@'host'`.
public struct DatabaseAccount: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    /// The host part (`%`, `10.0.%`, …) where accounts have one; `nil` where an account is its name (PostgreSQL).
    public var host: String?

    public init(user: String, host: String? = nil) {
        self.user = user
        self.host = host
    }

    /// The same host part under another name: the alternating user of this account.
    public func named(_ user: String) -> DatabaseAccount { DatabaseAccount(user: user, host: host) }

    public var description: String { host.map { "'\(user.loggable)'@'\($0.loggable)'" } ?? user.loggable }
}

/// One logged-in session. Every statement runs against the deadline the session was opened with.
public protocol DatabaseSession: AnyObject {
    /// The account the server matched the login to.
    var account: DatabaseAccount { get }

    /// Whether the server asked for the password while logging in. A login under a `trust`, `peer` or `cert`
    /// rule succeeds whatever the password, so it proves nothing about one.
    var usedPassword: Bool { get }

    /// A trivial query (the templates' `SELECT NOW()`): proves the session can do work.
    func ping() throws(DatabaseError)

    /// The logged-in account changes its own password (single user). However the engine does it safely: a hash
    /// computed here where the server takes one, never the password in a statement a server log could keep.
    func changeOwnPassword(to password: String) throws(DatabaseError)

    /// The logged-in account changes its own password and keeps the current one working beside it, until the next
    /// change replaces it (dual passwords). Engines without them throw `DatabaseError(.configuration)`.
    func changeOwnPasswordKeepingCurrent(to password: String) throws(DatabaseError)

    /// Whether the account exists.
    func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool

    /// As an administrator: creates `account` with `password` and the same rights as `template` (memberships,
    /// grants, TLS requirements), all or nothing.
    func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount) throws(DatabaseError)

    /// As an administrator: sets `account`'s password, and makes its rights those of `template` again where the
    /// engine copies rights (adding what is missing first, then revoking what the template no longer has).
    func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount) throws(DatabaseError)

    /// As an administrator: `account` keeps `kept` working and gets `password` beside it; any other password it
    /// had stops working (dual passwords set by a master). Default: `.unsupported`.
    func addPassword(_ password: String, keeping kept: String, for account: DatabaseAccount) throws(DatabaseError)

    /// For `rotator doctor`: the privileges this session's account lacks for `duty`; read-only. Throws when the
    /// server cannot tell (the check is then skipped). Default: none known.
    func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String]

    func close()
}

extension DatabaseSession {
    public func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String] { [] }

    public func changeOwnPasswordKeepingCurrent(to password: String) throws(DatabaseError) {
        throw DatabaseError(.configuration, "this database has no dual passwords")
    }

    public func addPassword(_ password: String, keeping kept: String, for account: DatabaseAccount)
        throws(DatabaseError)
    {
        throw DatabaseError(
            .unsupported, "this database's dual passwords cannot be set by a master user: leave out masterarn")
    }
}

/// What an account must be allowed to do in a rotation, for `rotator doctor`'s privilege check.
public enum PrivilegeDuty: Sendable {
    /// The user changes its own password (single user, or dual passwords kept by the user).
    case changeOwnPassword
    /// The master creates the alternating user once and sets its password and rights (alternating users).
    case createAndUpdateUsers
    /// The master gives the user a new password beside its current one (dual passwords set by the master).
    case setUsersPasswords

    /// Whether the account acts on another user's account.
    public var isMasters: Bool { self != .changeOwnPassword }
}
