import DatabaseRotation

/// An account's rights as `SHOW GRANTS` prints them, read completely: privileges on each object, granted roles, and
/// MariaDB's default role (https://mariadb.com/kb/en/show-grants/, https://dev.mysql.com/doc/refman/8.0/en/show-grants.html).
///
/// Parts are kept as the server wrote them (privilege lists, object names, role names, all quoted by the server), so
/// that statements for another account can reuse them unchanged. A line with anything this reader does not know is
/// refused rather than guessed at: rights copied wrongly are a security hole or an outage.
struct MySQLGrants: Equatable {
    /// Privileges on one object (`*.*`, `` `shop`.* ``, `` PROCEDURE `shop`.`p1` ``).
    struct ObjectRights: Equatable {
        /// `SELECT`, `` UPDATE (`note`) `` (one entry per column), … (never `USAGE`, which means none).
        var privileges: Set<String> = []
        var grantOption = false
    }

    /// Object → rights, keyed by the object as written.
    var objects: [String: ObjectRights] = [:]
    /// Granted role (as written) → whether it came `WITH ADMIN OPTION`.
    var roles: [String: Bool] = [:]
    /// MariaDB's `SET DEFAULT ROLE` line: the role as written.
    var defaultRole: String?

    init() {}

    /// Whom a `SHOW GRANTS` line grants to.
    enum Grantee: Equatable {
        /// The account asked about.
        case account
        /// A role (`` `reader` ``): MariaDB lists the grants of the session's active roles in `SHOW GRANTS`.
        case role(String)
        /// `PUBLIC`: MariaDB ≥ 10.11 lists what every account has (https://mariadb.com/kb/en/show-grants/).
        case everyone
    }

    /// Reads the lines `SHOW GRANTS FOR account` printed: every line must grant to `account`.
    /// - Throws: `DatabaseError(.unsupported)` naming what could not be read (no grant text: it may hold a hash).
    init(lines: [String], of account: DatabaseAccount) throws(DatabaseError) {
        try self.init(lines: lines, of: account, accepting: { $0 == .account })
    }

    /// Reads what `SHOW GRANTS` (no `FOR`) printed for the session's own account: its lines, and on MariaDB those of
    /// its active roles and of `PUBLIC`, all of which the session may use; the rights are their union.
    init(sessionLines lines: [String], of account: DatabaseAccount) throws(DatabaseError) {
        try self.init(lines: lines, of: account, accepting: { _ in true })
    }

    private init(lines: [String], of account: DatabaseAccount, accepting: (Grantee) -> Bool) throws(DatabaseError) {
        for (number, line) in lines.enumerated() {
            do throws(DatabaseError) {
                try read(MySQLStatementText(line), of: account, accepting: accepting)
            } catch {
                throw DatabaseError(
                    .unsupported,
                    "line \(number + 1) of SHOW GRANTS FOR \(account) is not one this function can copy (\(error.message)); "
                        + "its rights were left as they are")
            }
        }
    }

    private mutating func read(
        _ line: MySQLStatementText, of account: DatabaseAccount, accepting: (Grantee) -> Bool
    ) throws(DatabaseError) {
        let tokens = line.tokens
        if tokens.count >= 4, tokens[0].isKeyword("SET"), tokens[1].isKeyword("DEFAULT"), tokens[2].isKeyword("ROLE") {
            guard let forIndex = tokens.firstIndex(where: { $0.isKeyword("FOR") }), forIndex > 3 else {
                throw DatabaseError(.unsupported, "a SET DEFAULT ROLE line without FOR")
            }
            let (grantee, end) = try Self.grantee(tokens, at: forIndex + 1, account: account)
            guard end == tokens.count else { throw DatabaseError(.unsupported, "text after the account") }
            guard grantee == .account else { throw DatabaseError(.unsupported, "a default role for someone else") }
            let role = line.source(tokens[3..<forIndex])
            defaultRole = role.uppercased() == "NONE" ? nil : role
            return
        }
        guard tokens.first?.isKeyword("GRANT") == true else {
            // MySQL's partial revokes print REVOKE lines; copying those needs care this function does not take yet.
            throw DatabaseError(.unsupported, "it is not a GRANT line (\(tokens.first?.text.uppercased() ?? "empty"))")
        }
        var depth = 0
        var onIndex: Int?
        var toIndex: Int?
        for (index, token) in tokens.enumerated().dropFirst() {
            if token.isSymbol("(") { depth += 1 }
            if token.isSymbol(")") { depth -= 1 }
            guard depth == 0 else { continue }
            if onIndex == nil && token.isKeyword("ON") { onIndex = index }
            if token.isKeyword("TO") {
                toIndex = index
                break
            }
        }
        guard let toIndex, toIndex > 1 else { throw DatabaseError(.unsupported, "a GRANT line without TO") }
        let (grantee, afterGrantee) = try Self.grantee(tokens, at: toIndex + 1, account: account)
        guard accepting(grantee) else { throw DatabaseError(.unsupported, "it does not grant to \(account)") }
        let options = try Self.readOptions(tokens[afterGrantee...])
        if let onIndex {
            guard onIndex > 1, onIndex + 1 < toIndex else {
                throw DatabaseError(.unsupported, "a GRANT line without privileges or object")
            }
            let object = line.source(tokens[(onIndex + 1)..<toIndex])
            var rights = objects[object] ?? ObjectRights()
            for privilege in Self.split(tokens[1..<onIndex]) {
                for text in Self.perColumn(privilege, in: line) where text.uppercased() != "USAGE" {
                    rights.privileges.insert(text)
                }
            }
            rights.grantOption = rights.grantOption || options.grantOption
            objects[object] = rights
        } else {
            for role in Self.split(tokens[1..<toIndex]) {
                let name = line.source(role)
                roles[name] = (roles[name] ?? false) || options.adminOption
            }
        }
    }

    /// Reads the grantee at `index`: `user@host` (which must be `account`), a role's name, or `PUBLIC`; returns it
    /// and the index after it.
    private static func grantee(_ tokens: [MySQLToken], at index: Int, account: DatabaseAccount)
        throws(DatabaseError) -> (Grantee, Int)
    {
        guard index < tokens.count, tokens[index].kind != .symbol else {
            throw DatabaseError(.unsupported, "no grantee")
        }
        if index + 2 < tokens.count, tokens[index + 1].isSymbol("@") {
            guard tokens[index + 2].kind != .symbol, tokens[index].value == account.user,
                tokens[index + 2].value == (account.host ?? "%")
            else {
                throw DatabaseError(.unsupported, "it does not grant to \(account)")
            }
            return (.account, index + 3)
        }
        if tokens[index].isKeyword("PUBLIC") { return (.everyone, index + 1) }
        guard tokens[index].kind == .identifier else {
            throw DatabaseError(.unsupported, "it does not grant to \(account)")
        }
        return (.role(tokens[index].text), index + 1)
    }

    /// The options after the grantee. Only `WITH GRANT OPTION` and `WITH ADMIN OPTION` matter here; MariaDB's
    /// global line also carries the password hash, `REQUIRE` and resource limits, which are account settings copied
    /// from `mysql.user` instead.
    private static func readOptions(_ tokens: ArraySlice<MySQLToken>) throws(DatabaseError) -> (
        grantOption: Bool, adminOption: Bool
    ) {
        var grantOption = false
        var adminOption = false
        var index = tokens.startIndex
        func word(_ offset: Int = 0) -> String {
            index + offset < tokens.endIndex ? tokens[index + offset].text.uppercased() : ""
        }
        func isString(_ offset: Int) -> Bool {
            index + offset < tokens.endIndex && tokens[index + offset].kind == .string
        }
        while index < tokens.endIndex {
            switch word() {
            case "IDENTIFIED":
                // IDENTIFIED BY PASSWORD '…' | IDENTIFIED VIA|WITH plugin [USING|AS '…'] [OR plugin [USING '…']]…
                if word(1) == "BY" && word(2) == "PASSWORD" && isString(3) {
                    index += 4
                    continue
                }
                guard word(1) == "VIA" || word(1) == "WITH" else {
                    throw DatabaseError(.unsupported, "an IDENTIFIED clause")
                }
                index += 2
                while index < tokens.endIndex {
                    index += 1  // the plugin
                    if (word() == "USING" || word() == "AS") && isString(1) { index += 2 }
                    guard word() == "OR" else { break }
                    index += 1
                }
            case "REQUIRE":
                index += 1
                if ["NONE", "SSL", "X509"].contains(word()) {
                    index += 1
                    continue
                }
                var read = false
                while ["CIPHER", "ISSUER", "SUBJECT"].contains(word()) && isString(1) {
                    index += 2
                    read = true
                    if word() == "AND" { index += 1 }
                }
                guard read else { throw DatabaseError(.unsupported, "a REQUIRE clause") }
            case "WITH":
                index += 1
                var read = false
                while true {
                    if word() == "GRANT" && word(1) == "OPTION" {
                        grantOption = true
                        index += 2
                    } else if word() == "ADMIN" && word(1) == "OPTION" {
                        adminOption = true
                        index += 2
                    } else if resourceLimits.contains(word()), Double(word(1)) != nil {
                        index += 2
                    } else {
                        break
                    }
                    read = true
                }
                guard read else { throw DatabaseError(.unsupported, "a WITH clause") }
            default:
                throw DatabaseError(.unsupported, "the option \(word().loggable)")
            }
        }
        return (grantOption, adminOption)
    }

    private static let resourceLimits: Set<String> = [
        "MAX_QUERIES_PER_HOUR", "MAX_UPDATES_PER_HOUR", "MAX_CONNECTIONS_PER_HOUR", "MAX_USER_CONNECTIONS",
        "MAX_STATEMENT_TIME",
    ]

    /// A privilege on columns, `` UPDATE (`a`, `b`) ``, as one privilege per column (`` UPDATE (`a`) ``,
    /// `` UPDATE (`b`) ``): the server prints the columns in no fixed order, and a diff per column revokes only what
    /// changed. Other privileges are returned as written.
    private static func perColumn(_ privilege: ArraySlice<MySQLToken>, in line: MySQLStatementText) -> [String] {
        guard let open = privilege.firstIndex(where: { $0.isSymbol("(") }), open > privilege.startIndex,
            privilege.last?.isSymbol(")") == true
        else { return [line.source(privilege)] }
        let name = line.source(privilege[privilege.startIndex..<open])
        return split(privilege[(open + 1)..<(privilege.endIndex - 1)]).map { "\(name) (\(line.source($0)))" }
    }

    /// Splits a list at its top-level commas (column lists such as `` SELECT (`a`, `b`) `` stay whole).
    private static func split(_ tokens: ArraySlice<MySQLToken>) -> [ArraySlice<MySQLToken>] {
        var parts: [ArraySlice<MySQLToken>] = []
        var depth = 0
        var start = tokens.startIndex
        for index in tokens.indices {
            if tokens[index].isSymbol("(") { depth += 1 }
            if tokens[index].isSymbol(")") { depth -= 1 }
            if depth == 0 && tokens[index].isSymbol(",") {
                parts.append(tokens[start..<index])
                start = index + 1
            }
        }
        parts.append(tokens[start..<tokens.endIndex])
        return parts.filter { !$0.isEmpty }
    }
}
