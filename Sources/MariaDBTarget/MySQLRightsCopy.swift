import DatabaseRotation

/// Copying one account's rights and settings to another (the idle user of alternating-users rotation), with a new
/// password, as the master.
///
/// Everything that can refuse is read first, so a refusal changes nothing: the template's plugin (a password hash
/// must be computable here), both accounts' `SHOW GRANTS`, and whether the master may grant and revoke all the plan
/// needs. Then, in this order:
/// 1. the grants the account lacks (it now has at least what it had, and what the template has);
/// 2. `ALTER USER` with the new password, TLS requirement and limits (applications holding the old password are
///    cut off here, as the templates do, and never see fewer rights before that);
/// 3. the revokes of what the template lacks, then the grants those revokes took with them;
/// 4. the account's rights and settings read back and compared with the template's: any difference fails the step,
///    so the secret's `AWSCURRENT` never moves to an account with other rights than the one it replaces;
/// 5. for a new (locked) account, `ACCOUNT UNLOCK`.
/// Each step is idempotent: a step re-driven after a crash finds less to do.
struct MySQLRightsCopy {
    let account: DatabaseAccount
    let template: DatabaseAccount
    let grantee: String
    let settings: MySQLAccountSettings
    let passwordClause: (clause: String, hash: String)
    let requireClause: String
    let wanted: MySQLGrants
    let plan: MySQLGrantPlan
    /// Whether the account was locked (new, or left by a crashed creation): it is unlocked last.
    let unlockAtEnd: Bool

    /// Reads and checks; changes nothing.
    /// - Throws: `DatabaseError(.unsupported)` for a template this function cannot copy faithfully,
    ///   `.permission` naming what the master may not grant, or the errors of reading.
    init(
        to account: DatabaseAccount, like template: DatabaseAccount, password: String, on session: MySQLConnection,
        exists: Bool
    ) throws(DatabaseError) {
        self.account = account
        self.template = template
        grantee = try session.name(of: account)
        settings = try session.accountSettings(of: template)
        passwordClause = try settings.passwordClause(password, mariaDB: session.isMariaDB, account: "\(template)")
        requireClause = try settings.requireClause { (text: String) throws(DatabaseError) in
            try session.literal(text)
        }
        wanted = try MySQLGrants(lines: try session.grantLines(of: template), of: template)
        let held = exists ? try MySQLGrants(lines: try session.grantLines(of: account), of: account) : MySQLGrants()
        unlockAtEnd = exists ? try session.isLocked(account) : true
        plan = MySQLGrantPlan(from: held, to: wanted, grantee: grantee, mariaDB: session.isMariaDB)
        if let authority = try session.grantAuthority() {
            let missing = authority.missing(for: plan)
            guard missing.isEmpty else {
                throw DatabaseError(
                    .permission,
                    "\(session.account) may not give \(account) the rights of \(template): it lacks "
                        + missing.joined(separator: ", ")
                        + " WITH GRANT OPTION; nothing was changed. Grant the master these rights with GRANT OPTION")
            }
        }
    }

    func apply(on session: MySQLConnection) throws(DatabaseError) {
        let doing = "copy the rights of \(template) to \(account)"
        for statement in plan.additions { try session.run(statement, doing: doing) }
        let alter = ["ALTER USER \(grantee) \(passwordClause.clause)", requireClause, settings.withClause]
            .filter { !$0.isEmpty }.joined(separator: " ")
        try session.run(alter, sensitive: [passwordClause.hash], doing: "set the password of \(account)")
        if !plan.removals.isEmpty {
            for statement in plan.removals { try session.run(statement, doing: doing) }
            // A REVOKE may take more than it names (a table's SELECT takes each column's): grant back what is gone.
            let after = try MySQLGrants(lines: try session.grantLines(of: account), of: account)
            let back = MySQLGrantPlan(from: after, to: wanted, grantee: grantee, mariaDB: session.isMariaDB)
            for statement in back.additions { try session.run(statement, doing: doing) }
        }
        try verify(on: session)
        if unlockAtEnd {
            try session.run("ALTER USER \(grantee) ACCOUNT UNLOCK", doing: "unlock \(account)")
        }
    }

    /// Reads the account's rights and settings back and compares them with the template's, read again too.
    func verify(on session: MySQLConnection) throws(DatabaseError) {
        let source = try MySQLGrants(lines: try session.grantLines(of: template), of: template)
        let copy = try MySQLGrants(lines: try session.grantLines(of: account), of: account)
        let gap = MySQLGrantPlan(from: copy, to: source, grantee: "it", mariaDB: session.isMariaDB)
        var differences = gap.additions.map { "lacks: \($0)" } + gap.removals.map { "has more: \($0)" }
        if try session.accountSettings(of: account) != session.accountSettings(of: template) {
            differences.append("its TLS requirement, limits or plugin differ")
        }
        guard differences.isEmpty else {
            throw DatabaseError(
                .rightsMismatch,
                "after copying the rights of \(template) to \(account), they differ (\(differences.joined(separator: "; "))); "
                    + "\(account) is not made current. Another session may have changed either account's rights: "
                    + "the next attempt copies them again")
        }
    }
}

extension MySQLConnection {
    /// Whether `SHOW CREATE USER` says `ACCOUNT LOCK` (MariaDB keeps the lock in mysql.global_priv, MySQL in
    /// mysql.user: the statement reads the same on both).
    func isLocked(_ account: DatabaseAccount) throws(DatabaseError) -> Bool {
        guard let line = try query("SHOW CREATE USER \(try name(of: account))").first?.first ?? nil else {
            throw DatabaseError(.query, "SHOW CREATE USER returned nothing for \(account)")
        }
        let tokens = try MySQLStatementText(line).tokens
        return zip(tokens, tokens.dropFirst()).contains { $0.isKeyword("ACCOUNT") && $1.isKeyword("LOCK") }
    }

    /// What this session's account may grant, from its own `SHOW GRANTS`; `nil` when that cannot be told (MySQL
    /// lists a role's privileges only with `USING`, and a line this reader does not know makes the list uncertain):
    /// the copy then runs without the early check, and a refused statement is reported as it comes.
    func grantAuthority() throws(DatabaseError) -> MySQLGrantAuthority? {
        let lines = try query("SHOW GRANTS").compactMap { $0.first ?? nil }
        guard let grants = try? MySQLGrants(sessionLines: lines, of: account) else { return nil }
        if !isMariaDB && !grants.roles.isEmpty { return nil }
        return MySQLGrantAuthority(grants: grants)
    }
}
