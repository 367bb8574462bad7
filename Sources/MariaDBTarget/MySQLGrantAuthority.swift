import DatabaseRotation

/// What an account may grant and revoke, from its own `SHOW GRANTS` (with MariaDB's active roles and `PUBLIC`):
/// checked before a re-sync changes anything, so that a master that lacks a right fails with a list of what it
/// lacks instead of leaving the other account half-copied.
///
/// MariaDB and MySQL let an account grant or revoke a privilege on an object when it holds that privilege and the
/// grant option at a level that covers the object (global, a database or a pattern of databases, the table, the
/// routine), and a role only when it holds the role `WITH ADMIN OPTION` (https://mariadb.com/kb/en/grant/,
/// https://dev.mysql.com/doc/refman/8.0/en/grant.html).
struct MySQLGrantAuthority {
    let grants: MySQLGrants

    /// What of `plan` the account may not do, as `SELECT on `shop`.`t`` and `the role `r` (WITH ADMIN OPTION)`;
    /// empty when it may do all of it.
    func missing(for plan: MySQLGrantPlan) -> [String] {
        let privileges = plan.rightsNeeded.sorted().filter { !mayGrant($0) }.map { "\($0.privilege) on \($0.object)" }
        let roles = plan.rolesNeeded.sorted().filter { grants.roles[$0] != true }.map {
            "the role \($0) (WITH ADMIN OPTION)"
        }
        return privileges + roles
    }

    func mayGrant(_ right: MySQLGrantPlan.Right) -> Bool {
        guard let target = MySQLObject(right.object) else { return false }
        let (base, column) = Self.split(right.privilege)
        var holds = false
        var grantOption = false
        for (text, rights) in grants.objects {
            guard let level = MySQLObject(text), level.covers(target) else { continue }
            grantOption = grantOption || rights.grantOption
            if base == "GRANT OPTION" { continue }
            let coversAll = rights.privileges.contains("ALL PRIVILEGES") && base != "PROXY"
            if coversAll || rights.privileges.contains(base) { holds = true }
            if let column, rights.privileges.contains("\(base) (\(column))") { holds = true }
        }
        return grantOption && (holds || base == "GRANT OPTION")
    }

    /// `` UPDATE (`note`) `` → (`UPDATE`, `` `note` ``); other privileges have no column.
    static func split(_ privilege: String) -> (base: String, column: String?) {
        guard MySQLGrantPlan.isColumnPrivilege(privilege), let open = privilege.firstIndex(of: "(") else {
            return (privilege, nil)
        }
        let base = privilege[..<open].trimmingSuffix(" ")
        let column = privilege[privilege.index(after: open)..<privilege.index(before: privilege.endIndex)]
        return (String(base), String(column))
    }
}

/// A privilege level as `SHOW GRANTS` writes it after `ON`: `*.*`, `` `db`.* ``, `` `db`.`t` ``,
/// `` PROCEDURE `db`.`p` `` (or `FUNCTION`, `PACKAGE`, `PACKAGE BODY`), or a proxied account `` ''@'%' ``.
enum MySQLObject: Equatable {
    case global
    /// A database name, or in a grant's level a pattern of them (`_` and `%`, `\` escaping).
    case database(String)
    case table(database: String, name: String)
    case routine(kind: String, database: String, name: String)
    case account(user: String, host: String)

    init?(_ text: String) {
        guard let tokens = try? MySQLStatementText(text).tokens, !tokens.isEmpty else { return nil }
        var rest = tokens[...]
        var kind: String?
        while let first = rest.first, first.kind == .word,
            ["PROCEDURE", "FUNCTION", "PACKAGE", "BODY"].contains(first.text.uppercased())
        {
            kind = (kind.map { $0 + " " } ?? "") + first.text.uppercased()
            rest = rest.dropFirst()
        }
        let parts = Array(rest)
        switch parts.count {
        case 1 where parts[0].kind == .word && parts[0].text == "*.*" && kind == nil:
            self = .global
        case 2 where parts[0].kind == .identifier && parts[1].kind == .word && parts[1].text == ".*" && kind == nil:
            self = .database(parts[0].value)
        case 3
        where parts[0].kind == .identifier && parts[1].kind == .word && parts[1].text == "."
            && parts[2].kind == .identifier:
            self =
                kind.map { .routine(kind: $0, database: parts[0].value, name: parts[2].value) }
                ?? .table(database: parts[0].value, name: parts[2].value)
        case 3 where parts[1].isSymbol("@") && parts[0].kind != .symbol && parts[2].kind != .symbol && kind == nil:
            self = .account(user: parts[0].value, host: parts[2].value)
        default:
            return nil
        }
    }

    /// Whether a grant at this level covers `object`.
    func covers(_ object: MySQLObject) -> Bool {
        switch (self, object) {
        case (.global, .account):
            return false  // PROXY is granted on one proxied account at a time
        case (.global, _):
            return true
        case (.database(let pattern), .database(let name)), (.database(let pattern), .table(let name, _)),
            (.database(let pattern), .routine(_, let name, _)):
            return name == pattern || Self.matches(name, pattern: pattern)
        default:
            return self == object
        }
    }

    /// SQL `LIKE` as the grant tables read a database name: `_` one character, `%` any run, `\` escapes.
    static func matches(_ name: String, pattern: String) -> Bool {
        let text = Array(name)
        let pattern = Array(pattern)
        func match(_ t: Int, _ p: Int) -> Bool {
            guard p < pattern.count else { return t == text.count }
            switch pattern[p] {
            case "%":
                return (t...text.count).contains { match($0, p + 1) }
            case "_":
                return t < text.count && match(t + 1, p + 1)
            case "\\" where p + 1 < pattern.count:
                return t < text.count && text[t] == pattern[p + 1] && match(t + 1, p + 2)
            default:
                return t < text.count && text[t] == pattern[p] && match(t + 1, p + 1)
            }
        }
        return match(0, 0)
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ character: Character) -> Substring {
        var result = self
        while result.last == character { result = result.dropLast() }
        return result
    }
}
