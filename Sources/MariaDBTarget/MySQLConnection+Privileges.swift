import DatabaseRotation

/// What `rotator doctor` asks a MySQL-family server about the logged-in account; read-only.
extension MySQLConnection {
    /// Any account may change its own password. A master for alternating users needs `CREATE USER`, the right to
    /// grant (`WITH GRANT OPTION`) and to read `mysql.user` (https://mariadb.com/kb/en/grant/).
    package func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String] {
        guard duty.isMasters else { return [] }
        // SHOW GRANTS also lists the active roles' grants and, on MariaDB 10.11, PUBLIC's: all usable here.
        let grants = try MySQLGrants(
            sessionLines: try query("SHOW GRANTS").compactMap { $0.first ?? nil }, of: account)
        let global = grants.objects["*.*"] ?? MySQLGrants.ObjectRights()
        let all = global.privileges.contains("ALL PRIVILEGES")
        var missing: [String] = []
        if !all && !global.privileges.contains("CREATE USER") { missing.append("CREATE USER") }
        if !global.grantOption { missing.append("GRANT OPTION") }
        let readsUsers =
            all || global.privileges.contains("SELECT")
            || (grants.objects["`mysql`.*"]?.privileges.contains { $0 == "SELECT" || $0 == "ALL PRIVILEGES" } ?? false)
        if !readsUsers { missing.append("SELECT on mysql.*") }
        return missing
    }
}
