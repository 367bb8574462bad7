import DatabaseRotation
import Logging
import Rotation
import SigV4

/// A logged-in Redis connection: `AUTH user password`, then the ACL commands the strategies need. Errors name
/// users, the endpoint and Redis's error code, never a password or a password's hash.
package final class RedisSession: DatabaseSession {
    package let account: DatabaseAccount
    package let usedPassword: Bool
    private let connection: RedisConnection
    /// The SHA-256 of the password this session logged in with, for dual passwords (`#<hex>` keeps it).
    private let loginPasswordHash: String
    private let logger: Logger

    init(login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger) throws(DatabaseError) {
        connection = try RedisConnection(
            host: login.host, serverName: login.serverName, port: login.port, tls: login.tls,
            timeoutMilliseconds: timeoutMilliseconds, deadline: deadline)
        self.logger = logger
        account = DatabaseAccount(user: login.user)
        loginPasswordHash = Self.hash(login.password)
        let user = login.user.loggable
        switch try connection.command(["AUTH", login.user, login.password]) {
        case .simple("OK"): break
        case .error(let message) where message.hasPrefix("WRONGPASS") || message.hasPrefix("ERR invalid password"):
            connection.close()
            throw DatabaseError(
                .authentication,
                "\(connection.endpoint) refused user '\(user)': invalid username-password pair or user is disabled")
        case let reply:
            connection.close()
            throw Self.failure(reply, doing: "AUTH as '\(user)'", on: connection.endpoint)
        }
        // A `nopass` user is let in whatever the password: a random one working proves the password was not checked.
        // (The refusal lands in ACL LOG as a failed AUTH of this user: it names the user, never the password.)
        let random = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
        usedPassword = (try connection.command(["AUTH", login.user, random])) != .simple("OK")
    }

    /// `PING`. A user whose ACL leaves out `PING` answers NOPERM, which still shows a working, authenticated session:
    /// `AUTH` has already proven the password, and application users are often limited to their own commands.
    package func ping() throws(DatabaseError) {
        let reply = try connection.command(["PING"])
        if reply == .simple("PONG") { return }
        if case .error(let message) = reply, message.hasPrefix("NOPERM") { return }
        throw Self.failure(reply, doing: "PING", on: connection.endpoint)
    }

    /// `ACL SETUSER <self> resetpass #<new>`: the new password alone.
    package func changeOwnPassword(to password: String) throws(DatabaseError) {
        try setUser(account.user, ["resetpass", "#" + Self.hash(password)], doing: "change its own password")
    }

    /// `ACL SETUSER <self> resetpass #<login> #<new>`: the password this session logged in with keeps working beside
    /// the new one, and any older one goes (so AWSPREVIOUS works for one more period, as MySQL's dual passwords).
    package func changeOwnPasswordKeepingCurrent(to password: String) throws(DatabaseError) {
        let new = Self.hash(password)
        let kept = loginPasswordHash == new ? [] : ["#" + loginPasswordHash]
        try setUser(account.user, ["resetpass"] + kept + ["#" + new], doing: "add a password beside its current one")
    }

    /// `ACL SETUSER <user> resetpass #<kept> #<new>`, as the master: the user needs no right over its own ACL.
    package func addPassword(_ password: String, keeping kept: String, for account: DatabaseAccount)
        throws(DatabaseError)
    {
        let new = Self.hash(password)
        let keptHash = Self.hash(kept)
        try setUser(
            account.user, ["resetpass"] + (keptHash == new ? [] : ["#" + keptHash]) + ["#" + new],
            doing: "get a password beside its current one")
    }

    package func userExists(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        switch try connection.command(["ACL", "GETUSER", account.user]) {
        case .array(nil), .bulk(nil): return false
        case .array(.some): return true
        case let reply:
            throw Self.failure(reply, doing: "ACL GETUSER \(account.user.loggable)", on: connection.endpoint)
        }
    }

    /// The clone gets exactly the template's rules (flags, key and channel patterns, commands, selectors) and one
    /// password; the rules are read back and compared. A clone that does not match is deleted again.
    package func createUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        do throws(DatabaseError) {
            try copy(template, to: account, password: password)
        } catch {
            _ = try? connection.command(["ACL", "DELUSER", account.user])
            throw error
        }
    }

    /// The template's rules again, and the new password alone, in one atomic `ACL SETUSER`.
    package func updateUser(_ account: DatabaseAccount, password: String, like template: DatabaseAccount)
        throws(DatabaseError)
    {
        try copy(template, to: account, password: password)
    }

    /// For `rotator doctor`, read-only: `ACL DRYRUN` (Redis 7.0+, https://redis.io/docs/latest/commands/acl-dryrun/)
    /// asks whether this session's user may send the ACL commands `duty` sends, without running them. Changing a
    /// password needs `acl|setuser`; alternating users also read rules (`acl|getuser`, `acl|list`). DRYRUN itself
    /// needs `acl|dryrun`: without it, or before Redis 7, the server cannot tell, and this throws.
    package func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String] {
        var commands = [["ACL", "SETUSER", account.user]]
        if duty == .createAndUpdateUsers { commands += [["ACL", "GETUSER", account.user], ["ACL", "LIST"]] }
        var missing: [String] = []
        for command in commands {
            // OK when allowed; a bulk string saying why when not.
            switch try connection.command(["ACL", "DRYRUN", account.user] + command) {
            case .simple("OK"): continue
            case .bulk(.some): missing.append("+" + command.prefix(2).joined(separator: "|").lowercased())
            case let reply: throw Self.failure(reply, doing: "ACL DRYRUN", on: connection.endpoint)
            }
        }
        return missing
    }

    package func close() { connection.close() }

    // MARK: -

    private func copy(_ template: DatabaseAccount, to account: DatabaseAccount, password: String)
        throws(DatabaseError)
    {
        let rules = try self.rules(of: template.user)
        // Everything the clone had before goes first, and ACL SETUSER applies all of it or none. Not `reset`, which also
        // sets `sanitize-payload`: a flag the template may not have.
        try setUser(
            account.user, Self.clearing + rules + ["#" + Self.hash(password)],
            doing: "copy user '\(template.user.loggable)'")
        let copied = try self.rules(of: account.user)
        guard copied == rules else {
            throw DatabaseError(
                .rightsMismatch,
                "the ACL rules of '\(account.user.loggable)' read back differ from those of '\(template.user.loggable)' "
                    + "(\(copied.count) against \(rules.count) rules): another client changed one of them meanwhile")
        }
        logger.info(
            "Copied the ACL rules of '\(template.user.loggable)' to '\(account.user.loggable)' (\(rules.count) rules)")
    }

    /// A user's ACL rules as `ACL LIST` writes them (the ACL file's own format), without its passwords.
    /// - Throws: `.query` when the user is missing or a line cannot be read back exactly.
    func rules(of user: String) throws(DatabaseError) -> [String] {
        let reply = try connection.command(["ACL", "LIST"])
        guard case .array(let lines?) = reply else {
            throw Self.failure(reply, doing: "ACL LIST", on: connection.endpoint)
        }
        let prefix = "user \(user) "
        guard let line = lines.compactMap(\.text).first(where: { $0.hasPrefix(prefix) }) else {
            throw DatabaseError(.query, "user '\(user.loggable)' does not exist on \(connection.endpoint)")
        }
        guard let rules = ACLRules.withoutPasswords(String(line.dropFirst(prefix.count))) else {
            throw DatabaseError(
                .unsupported,
                "the ACL rules of '\(user.loggable)' cannot be read back unambiguously (a pattern with a space or an "
                    + "unbalanced selector): nothing was changed")
        }
        return rules
    }

    private func setUser(_ user: String, _ rules: [String], doing what: String) throws(DatabaseError) {
        let reply = try connection.command(["ACL", "SETUSER", user] + rules)
        guard reply == .simple("OK") else {
            throw Self.failure(
                reply, doing: "user '\(user.loggable)' could not \(what) (ACL SETUSER)", on: connection.endpoint)
        }
    }

    /// What `reset` clears, without its `sanitize-payload` (https://redis.io/docs/latest/commands/acl-setuser/).
    static let clearing = ["resetpass", "resetkeys", "resetchannels", "clearselectors", "off", "-@all"]

    /// Lowercase hex SHA-256: the form `#<hash>` rules take.
    static func hash(_ password: String) -> String { Digest.sha256Hex(Array(password.utf8)) }

    /// An unexpected reply, by Redis's error code: NOPERM is a missing right, anything else a failed command. Only
    /// the reply's first word is kept: Redis echoes arguments in some messages.
    static func failure(_ reply: RESPValue, doing what: String, on endpoint: String) -> DatabaseError {
        guard case .error(let message) = reply else {
            return DatabaseError(.query, "\(what) on \(endpoint): unexpected reply")
        }
        let code = String(message.split(separator: " ", maxSplits: 1).first ?? "ERR")
        switch code {
        case "NOPERM":
            return DatabaseError(
                .permission,
                "\(what) on \(endpoint): NOPERM (the user lacks the ACL right; changing an ACL needs +acl|setuser, which a "
                    + "master secret's user usually has: name one as masterarn)")
        case "WRONGPASS":
            return DatabaseError(.authentication, "\(what) on \(endpoint): WRONGPASS")
        case "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN":
            return DatabaseError(.network, "\(what) on \(endpoint): \(code) (the server is not ready)")
        default:
            return DatabaseError(.query, "\(what) on \(endpoint): \(code)")
        }
    }
}

/// Reading a user's `ACL LIST` line back as rules (https://redis.io/docs/latest/commands/acl-list/).
enum ACLRules {
    /// The rules of `line` (after `user <name> `) without passwords (`#…`, `>…`, `<…`, `!…`, `nopass`,
    /// `resetpass`), selectors (`(…)`) kept whole; `nil` when parentheses do not balance.
    static func withoutPasswords(_ line: String) -> [String]? {
        var rules: [String] = []
        var current = ""
        var depth = 0
        for character in line {
            switch character {
            case "(":
                depth += 1
                current.append(character)
            case ")":
                depth -= 1
                guard depth >= 0 else { return nil }
                current.append(character)
            case " " where depth == 0:
                if !current.isEmpty { rules.append(current) }
                current = ""
            default:
                current.append(character)
            }
        }
        guard depth == 0 else { return nil }
        if !current.isEmpty { rules.append(current) }
        return rules.filter { rule in
            !(rule.hasPrefix("#") || rule.hasPrefix(">") || rule.hasPrefix("<") || rule.hasPrefix("!")
                || rule == "nopass" || rule == "resetpass")
        }
    }
}
