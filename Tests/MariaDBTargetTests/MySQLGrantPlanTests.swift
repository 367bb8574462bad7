import DatabaseRotation
import Testing

@testable import MariaDBTarget

/// The re-sync plan at every privilege level, what a master may grant, and `SHOW GRANTS` lines for roles and
/// `PUBLIC`: pure, no server.
@Suite("MySQL rights: plans, the master's authority, role and PUBLIC lines")
struct MySQLGrantPlanTests {
    static let app = DatabaseAccount(user: "app", host: "%")
    static let clone = DatabaseAccount(user: "app_clone", host: "%")

    static func grants(_ lines: [String], of account: DatabaseAccount = app) throws -> MySQLGrants {
        let name = "`\(account.user)`@`\(account.host ?? "%")`"
        return try MySQLGrants(lines: lines.map { $0.replacing("<A>", with: name) }, of: account)
    }

    @Test(
        "each level: what the clone lacks is granted, what it has more is revoked",
        arguments: [
            ("*.*", "PROCESS", "RELOAD"),
            ("`shop`.*", "INSERT", "DELETE"),
            ("`shop`.`t`", "SELECT", "UPDATE"),
            ("`shop`.`t`", "SELECT (`a`)", "SELECT (`b`)"),
            ("PROCEDURE `shop`.`p`", "EXECUTE", "ALTER ROUTINE"),
            ("FUNCTION `shop`.`f`", "EXECUTE", "ALTER ROUTINE"),
            ("''@'%'", "PROXY", nil),
        ] as [(String, String, String?)])
    func everyLevel(object: String, wantedPrivilege: String, heldPrivilege: String?) throws {
        let wanted = try Self.grants(["GRANT \(wantedPrivilege) ON \(object) TO <A>"])
        let held = try Self.grants(
            heldPrivilege.map { ["GRANT \($0) ON \(object) TO <A>"] } ?? [], of: Self.clone)
        let plan = MySQLGrantPlan(from: held, to: wanted, grantee: "C")
        #expect(plan.additions == ["GRANT \(wantedPrivilege) ON \(object) TO C"])
        #expect(plan.removals == (heldPrivilege.map { ["REVOKE \($0) ON \(object) FROM C"] } ?? []))
        #expect(plan.rightsNeeded.contains(.init(privilege: wantedPrivilege, object: object)))
        if let heldPrivilege { #expect(plan.rightsNeeded.contains(.init(privilege: heldPrivilege, object: object))) }
    }

    @Test("a table's SELECT revoked where the template keeps a column's: the column's is needed to grant it back")
    func tableAndColumn() throws {
        let wanted = try Self.grants(["GRANT SELECT (`a`) ON `shop`.`t` TO <A>"])
        let held = try Self.grants(["GRANT SELECT, SELECT (`a`) ON `shop`.`t` TO <A>"], of: Self.clone)
        let plan = MySQLGrantPlan(from: held, to: wanted, grantee: "C")
        #expect(plan.additions.isEmpty)
        #expect(plan.removals == ["REVOKE SELECT ON `shop`.`t` FROM C"])
        #expect(plan.rightsNeeded.contains(.init(privilege: "SELECT (`a`)", object: "`shop`.`t`")))
        // After the server took the column's SELECT with the table's, a second plan grants it back.
        let after = try Self.grants([], of: Self.clone)
        #expect(
            MySQLGrantPlan(from: after, to: wanted, grantee: "C").additions == [
                "GRANT SELECT (`a`) ON `shop`.`t` TO C"
            ])
    }

    @Test("roles: granted, given or relieved of the admin option, revoked; MySQL re-grants instead of relieving")
    func roles() throws {
        let wanted = try Self.grants(["GRANT `r1` TO <A> WITH ADMIN OPTION", "GRANT `r2` TO <A>", "GRANT `r4` TO <A>"])
        let held = try Self.grants(
            ["GRANT `r1` TO <A>", "GRANT `r2` TO <A> WITH ADMIN OPTION", "GRANT `r3` TO <A>"], of: Self.clone)
        let plan = MySQLGrantPlan(from: held, to: wanted, grantee: "C")
        #expect(plan.additions == ["GRANT `r1` TO C WITH ADMIN OPTION", "GRANT `r4` TO C"])
        #expect(plan.removals == ["REVOKE ADMIN OPTION FOR `r2` FROM C", "REVOKE `r3` FROM C"])
        #expect(plan.rolesNeeded == ["`r1`", "`r2`", "`r3`", "`r4`"])
        let mysql = MySQLGrantPlan(from: held, to: wanted, grantee: "C", mariaDB: false)
        #expect(mysql.removals == ["REVOKE `r2` FROM C", "GRANT `r2` TO C", "REVOKE `r3` FROM C"])
    }

    @Test("a default role where there was none is an addition; changing or dropping one waits for the removals")
    func defaultRole() throws {
        let withRole = try Self.grants(["GRANT `r` TO <A>", "SET DEFAULT ROLE `r` FOR <A>"])
        let none = try Self.grants(["GRANT `r` TO <A>"], of: Self.clone)
        #expect(MySQLGrantPlan(from: none, to: withRole, grantee: "C").additions == ["SET DEFAULT ROLE `r` FOR C"])
        #expect(MySQLGrantPlan(from: withRole, to: none, grantee: "C").removals == ["SET DEFAULT ROLE NONE FOR C"])
    }

    @Test("the grant option alone, given and taken")
    func grantOption() throws {
        let with = try Self.grants(["GRANT SELECT ON `d`.* TO <A> WITH GRANT OPTION"])
        let without = try Self.grants(["GRANT SELECT ON `d`.* TO <A>"], of: Self.clone)
        #expect(
            MySQLGrantPlan(from: without, to: with, grantee: "C").additions == [
                "GRANT USAGE ON `d`.* TO C WITH GRANT OPTION"
            ])
        #expect(
            MySQLGrantPlan(from: with, to: without, grantee: "C").removals == ["REVOKE GRANT OPTION ON `d`.* FROM C"])
    }

    @Test("SHOW GRANTS of the session: its active roles' and PUBLIC's lines count; SHOW GRANTS FOR refuses them")
    func sessionLines() throws {
        let lines = [
            "GRANT `r` TO `m`@`%`",
            "GRANT USAGE ON *.* TO `m`@`%` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28227'",
            "GRANT INSERT ON `shop`.* TO `r` WITH GRANT OPTION",
            "GRANT SELECT, INSERT, UPDATE ON `test`.* TO PUBLIC",
            "SET DEFAULT ROLE `r` FOR `m`@`%`",
        ]
        let master = DatabaseAccount(user: "m", host: "%")
        let grants = try MySQLGrants(sessionLines: lines, of: master)
        #expect(grants.objects["`shop`.*"] == .init(privileges: ["INSERT"], grantOption: true))
        #expect(grants.objects["`test`.*"]?.privileges == ["SELECT", "INSERT", "UPDATE"])
        #expect(grants.roles == ["`r`": false])
        for line in lines[2...3] {
            let error = #expect(throws: DatabaseError.self) { try MySQLGrants(lines: [line], of: master) }
            #expect(error?.category == .unsupported)
        }
        // Another account's line is never the session's.
        #expect(throws: DatabaseError.self) {
            try MySQLGrants(sessionLines: ["GRANT SELECT ON *.* TO `x`@`%`"], of: master)
        }
    }

    @Test("the master may grant a right held with the grant option at a covering level, and a role with admin")
    func authority() throws {
        let master = DatabaseAccount(user: "m", host: "%")
        let authority = MySQLGrantAuthority(
            grants: try MySQLGrants(
                sessionLines: [
                    "GRANT SELECT, CREATE USER ON *.* TO `m`@`%` WITH GRANT OPTION",
                    "GRANT ALL PRIVILEGES ON `shop\\_%`.* TO `m`@`%`",
                    "GRANT UPDATE (`a`) ON `x`.`t` TO `m`@`%`",
                    "GRANT `r` TO `m`@`%` WITH ADMIN OPTION", "GRANT `q` TO `m`@`%`",
                ], of: master))
        func may(_ privilege: String, _ object: String) -> Bool {
            authority.mayGrant(.init(privilege: privilege, object: object))
        }
        #expect(may("SELECT", "`any`.`t`"))
        #expect(may("SELECT (`c`)", "`any`.`t`"))
        #expect(may("CREATE USER", "*.*"))
        #expect(may("INSERT", "`shop_1`.`t`"), "ALL on a pattern of databases, the grant option from *.*")
        #expect(may("EXECUTE", "PROCEDURE `shop_1`.`p`"))
        #expect(!may("INSERT", "`shopx1`.`t`"), "\\_ is a literal underscore")
        #expect(!may("INSERT", "`other`.*"))
        #expect(may("UPDATE (`a`)", "`x`.`t`"), "a column's privilege, the grant option from *.*")
        #expect(!may("UPDATE (`b`)", "`x`.`t`"))
        #expect(!may("PROXY", "''@'%'"))
        #expect(may("GRANT OPTION", "`d`.*"))
        var plan = MySQLGrantPlan()
        plan.rightsNeeded = [
            .init(privilege: "INSERT", object: "`other`.*"), .init(privilege: "SELECT", object: "*.*"),
        ]
        plan.rolesNeeded = ["`r`", "`q`"]
        #expect(authority.missing(for: plan) == ["INSERT on `other`.*", "the role `q` (WITH ADMIN OPTION)"])
    }

    @Test("without any grant option nothing may be granted")
    func noGrantOption() throws {
        let master = DatabaseAccount(user: "m", host: "%")
        let authority = MySQLGrantAuthority(
            grants: try MySQLGrants(sessionLines: ["GRANT ALL PRIVILEGES ON *.* TO `m`@`%`"], of: master))
        #expect(!authority.mayGrant(.init(privilege: "SELECT", object: "`d`.*")))
    }

    @Test("privilege levels as SHOW GRANTS writes them")
    func objects() {
        #expect(MySQLObject("*.*") == .global)
        #expect(MySQLObject("`s``q`.*") == .database("s`q"))
        #expect(MySQLObject("`s`.`t`") == .table(database: "s", name: "t"))
        #expect(MySQLObject("PROCEDURE `s`.`p`") == .routine(kind: "PROCEDURE", database: "s", name: "p"))
        #expect(MySQLObject("PACKAGE BODY `s`.`p`") == .routine(kind: "PACKAGE BODY", database: "s", name: "p"))
        #expect(MySQLObject("''@'%'") == .account(user: "", host: "%"))
        #expect(MySQLObject("`s`") == nil)
        #expect(MySQLObject.matches("shop_1", pattern: "shop\\_%"))
        #expect(MySQLObject.matches("shopping", pattern: "shop%"))
        #expect(!MySQLObject.matches("shop", pattern: "shop_"))
    }
}
