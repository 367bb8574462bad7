import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport

@testable import MariaDBTarget

/// The re-sync scenario's idle user: made beside the current one with other rights, and watched.
extension FaultLab {
    /// What the idle user had before the rotation, and the password it had, by the current user's name.
    struct IdleUser: Sendable {
        var name: String
        var password: String
        var rights: Set<String>
    }

    /// The current user (`SELECT, INSERT` on the database, `UPDATE` and a column's `SELECT` on a table) and its
    /// existing clone with other rights: a `DELETE` too many, an `INSERT` and an `UPDATE` too few, and the table's
    /// `SELECT` beside the column's (revoking it takes the column's with it). Through the MySQL proxy, plain text.
    func mariaDBResyncSecret(masterARN: String) throws -> String {
        let user = uniqueName("resync")
        let clone = user + "_clone"
        let password = randomPassword(length: 24)
        let clonePassword = randomPassword(length: 24)
        leaks.watch(clonePassword)
        try mariaDB.execute(
            """
            CREATE DATABASE IF NOT EXISTS fault_shop; CREATE TABLE IF NOT EXISTS fault_shop.t (a INT, b INT);
            CREATE USER '\(user)'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))';
            GRANT SELECT, INSERT ON fault_shop.* TO '\(user)'@'%';
            GRANT UPDATE, SELECT (a) ON fault_shop.t TO '\(user)'@'%';
            CREATE USER '\(clone)'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(clonePassword))';
            GRANT SELECT, DELETE ON fault_shop.* TO '\(clone)'@'%';
            GRANT SELECT, SELECT (a) ON fault_shop.t TO '\(clone)'@'%';
            """)
        let rights = try mariaDBRights(of: clone)
        idleUsers.withLock { $0[user] = IdleUser(name: clone, password: clonePassword, rights: rights) }
        return JSONObject([
            "engine": .string("mariadb"), "host": .string("127.0.0.1"), "port": .integer(mariaDBProxy.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(false),
            "note": .string("kept as is"), "masterarn": .string(masterARN),
        ]).serialized
    }

    /// An account's rights as `privilege on object` entries (and `role`, `default role`), read by the server's
    /// administrator directly.
    func mariaDBRights(of user: String) throws -> Set<String> {
        let account = DatabaseAccount(user: user, host: "%")
        let lines = try mariaDB.execute("SHOW GRANTS FOR '\(user)'@'%'").split(separator: "\n").map(String.init)
        let grants = try MySQLGrants(lines: lines, of: account)
        var entries = Set<String>()
        for (object, rights) in grants.objects {
            for privilege in rights.privileges { entries.insert("\(privilege) on \(object)") }
            if rights.grantOption { entries.insert("GRANT OPTION on \(object)") }
        }
        for (role, admin) in grants.roles { entries.insert("role \(role)\(admin ? " with admin" : "")") }
        if let role = grants.defaultRole { entries.insert("default role \(role)") }
        return entries
    }

    /// While the idle user's old password still logs in (applications may hold it), it has every right it had;
    /// once it is the current user, exactly the template's rights.
    func checkIdleRights(currentUser: String, isCurrent: Bool) -> String? {
        guard let idle = idleUsers.withLock({ $0[currentUser] }) else { return nil }
        do {
            let now = try mariaDBRights(of: idle.name)
            if isCurrent {
                let template = try mariaDBRights(of: currentUser)
                return now == template
                    ? nil : "the new current user's rights \(now.sorted()) are not the template's \(template.sorted())"
            }
            let oldPasswordWorks = mariaDBLogsIn(
                .json(JSONObject(["username": .string(idle.name), "password": .string(idle.password)])))
            let lost = idle.rights.subtracting(now)
            return oldPasswordWorks && !lost.isEmpty
                ? "the idle user lost \(lost.sorted()) while its old password still logs in" : nil
        } catch {
            return "could not read the idle user's rights (\(error))"
        }
    }
}
