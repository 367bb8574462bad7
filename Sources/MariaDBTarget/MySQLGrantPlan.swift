import DatabaseRotation

/// The statements that give an account another's rights, split into those that only add and those that only take
/// away, so that the adding ones can run first: an account in use never has fewer rights than it had until its
/// password has been changed (https://mariadb.com/kb/en/grant/, https://mariadb.com/kb/en/revoke/).
///
/// A `REVOKE` can take more than it names: on MariaDB and MySQL, revoking a table's `SELECT` also removes every
/// column's `SELECT` on that table, and revoking `ALL PRIVILEGES` removes each one it covers. So after the removals
/// the account's rights are read again and a second plan grants back what they took (`regrants`).
struct MySQLGrantPlan: Equatable {
    /// One privilege (`SELECT`, `` UPDATE (`note`) ``, `ALL PRIVILEGES`) on one object, as `SHOW GRANTS` writes them.
    struct Right: Hashable, Comparable {
        var privilege: String
        var object: String

        static func < (left: Right, right: Right) -> Bool {
            (left.object, left.privilege) < (right.object, right.privilege)
        }
    }

    /// `GRANT` statements (and `SET DEFAULT ROLE`), in order.
    var additions: [String] = []
    /// `REVOKE` statements, in order.
    var removals: [String] = []
    /// The privileges the additions give, and those the removals take or may take back, with `GRANT OPTION` as a
    /// privilege of its object: what the master needs to hold (with the grant option) for the plan to run.
    var rightsNeeded: Set<Right> = []
    /// The roles the plan grants or revokes: the master needs each `WITH ADMIN OPTION`.
    var rolesNeeded: Set<String> = []

    var isEmpty: Bool { additions.isEmpty && removals.isEmpty }

    init() {}

    /// The plan that takes an account with `held` rights to `wanted` ones.
    /// - Parameters:
    ///   - grantee: the account as an SQL account name (`'app_clone'@'%'`).
    ///   - mariaDB: MariaDB prints the default role in `SHOW GRANTS` and it is copied; MySQL 8 keeps it elsewhere.
    ///     MariaDB can revoke a role's admin option alone; MySQL revokes the role and grants it again.
    init(from held: MySQLGrants, to wanted: MySQLGrants, grantee: String, mariaDB: Bool = true) {
        for object in Set(wanted.objects.keys).union(held.objects.keys).sorted() {
            let want = wanted.objects[object] ?? MySQLGrants.ObjectRights()
            let have = held.objects[object] ?? MySQLGrants.ObjectRights()
            let wantsAll = want.privileges.contains("ALL PRIVILEGES")
            let missing = want.privileges.subtracting(have.privileges)
            let missingGrantOption = want.grantOption && !have.grantOption
            if !missing.isEmpty || missingGrantOption {
                let list = missing.isEmpty ? "USAGE" : missing.sorted().joined(separator: ", ")
                additions.append(
                    "GRANT \(list) ON \(object) TO \(grantee)" + (want.grantOption ? " WITH GRANT OPTION" : ""))
                for privilege in missing { rightsNeeded.insert(Right(privilege: privilege, object: object)) }
                if want.grantOption { rightsNeeded.insert(Right(privilege: "GRANT OPTION", object: object)) }
            }
            // What ALL PRIVILEGES covers is not extra: the server shows it as ALL PRIVILEGES alone once granted.
            let extra = have.privileges.subtracting(want.privileges).filter {
                !(wantsAll && !Self.isColumnPrivilege($0))
            }
            if !extra.isEmpty {
                removals.append("REVOKE \(extra.sorted().joined(separator: ", ")) ON \(object) FROM \(grantee)")
                for privilege in extra { rightsNeeded.insert(Right(privilege: privilege, object: object)) }
                // What the revoke may take with it, to be granted back.
                for privilege in want.privileges { rightsNeeded.insert(Right(privilege: privilege, object: object)) }
            }
            if have.grantOption && !want.grantOption {
                removals.append("REVOKE GRANT OPTION ON \(object) FROM \(grantee)")
                rightsNeeded.insert(Right(privilege: "GRANT OPTION", object: object))
            }
        }
        for (role, admin) in wanted.roles.sorted(by: { $0.key < $1.key }) {
            let heldAdmin = held.roles[role]
            if heldAdmin == nil || (admin && heldAdmin == false) {
                additions.append("GRANT \(role) TO \(grantee)" + (admin ? " WITH ADMIN OPTION" : ""))
                rolesNeeded.insert(role)
            } else if !admin && heldAdmin == true {
                removals +=
                    mariaDB
                    ? ["REVOKE ADMIN OPTION FOR \(role) FROM \(grantee)"]
                    : ["REVOKE \(role) FROM \(grantee)", "GRANT \(role) TO \(grantee)"]
                rolesNeeded.insert(role)
            }
        }
        // A default role where there was none only adds; any other change may take rights away at login, so it
        // waits for the removals (and comes before the old role is revoked).
        if wanted.defaultRole != held.defaultRole {
            let statement = "SET DEFAULT ROLE \(wanted.defaultRole ?? "NONE") FOR \(grantee)"
            if held.defaultRole == nil { additions.append(statement) } else { removals.insert(statement, at: 0) }
        }
        for role in held.roles.keys.sorted() where wanted.roles[role] == nil {
            removals.append("REVOKE \(role) FROM \(grantee)")
            rolesNeeded.insert(role)
        }
    }

    /// `` SELECT (`a`) ``: a privilege on one column.
    static func isColumnPrivilege(_ privilege: String) -> Bool { privilege.hasSuffix(")") }
}
