import DatabaseRotation
import Foundation
import JSON
import MariaDBTarget
import PostgresTarget
import Rotation
import TestSupport

/// A target under test: how to make a secret of its kind (and the database user behind it), and how to tell
/// whether the credential in a secret version works where it is used. A new target gets every crash point of its
/// rotation from one of these: the points are found by recording a fault-free rotation, never listed by hand.
struct FaultScenario: Sendable {
    enum Strategy: Sendable {
        /// `dualPassword`: AWSCURRENT must log in at every moment, and AWSPREVIOUS still after completion.
        case generic, singleUser, alternatingUsers, dualPassword
    }

    let name: String
    let strategy: Strategy
    /// The keys a rotation may change; every other key, type and the order must survive in every version.
    let rotatedKeys: Set<String>
    let environment: [String: String]
    /// A new secret (and what it needs), as its SecretString.
    let makeSecret: @Sendable (FaultLab) throws -> String
    /// Whether a version's credential logs in where it is used; `nil` when it is used nowhere (generic).
    let logsIn: (@Sendable (FaultLab, SecretValue) -> Bool)?
    /// Host names the function must resolve to this machine (moto's RDS endpoints), if any.
    var names: @Sendable (FaultLab) -> IsolatedNames? = { _ in nil }

    static let generic = FaultScenario(
        name: "generic", strategy: .generic, rotatedKeys: ["password"], environment: [:],
        makeSecret: { _ in
            #"{"username":"fault","password":"generic-initial-\#(UUID().uuidString)","port":5432,"n":1.50}"#
        },
        logsIn: nil)

    static let postgresSingleUser = FaultScenario(
        name: "postgres single user", strategy: .singleUser, rotatedKeys: ["password"],
        environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.postgresSecret(masterARN: nil) },
        logsIn: { lab, value in lab.postgresLogsIn(value) })

    static let postgresAlternatingUsers = FaultScenario(
        name: "postgres alternating users", strategy: .alternatingUsers, rotatedKeys: ["password", "username"],
        environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.postgresSecret(masterARN: try lab.postgresMasterARN()) },
        logsIn: { lab, value in lab.postgresLogsIn(value) })

    static let mariaDBSingleUser = FaultScenario(
        name: "mariadb single user", strategy: .singleUser, rotatedKeys: ["password"],
        environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.mariaDBSecret(masterARN: nil) },
        logsIn: { lab, value in lab.mariaDBLogsIn(value) })

    static let mariaDBAlternatingUsers = FaultScenario(
        name: "mariadb alternating users", strategy: .alternatingUsers, rotatedKeys: ["password", "username"],
        environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.mariaDBSecret(masterARN: try lab.mariaDBMasterARN()) },
        logsIn: { lab, value in lab.mariaDBLogsIn(value) })

    /// Alternating users whose idle user already exists with other rights than the current one: every grant,
    /// the password change and every revoke of the re-sync is a crash point. Checked beside the usual invariants:
    /// while its old password works, the idle user has every right it had; once current, exactly the template's.
    static let mariaDBResync = FaultScenario(
        name: "mariadb alternating users, rights re-synced", strategy: .alternatingUsers,
        rotatedKeys: ["password", "username"], environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.mariaDBResyncSecret(masterARN: try lab.mariaDBMasterARN()) },
        logsIn: { lab, value in lab.mariaDBLogsIn(value) })

    /// Alternating users with the secret RDS made for the instance as master (`rds!db-…`): its database found through
    /// DescribeSecret's tag and RDS's DescribeDBInstances, both crash points. The master secret names no `ssl`, so the
    /// function asks for TLS, the proxy answers as a server without it, and the fallback to plain text is allowed.
    static let postgresRDSManagedMaster = FaultScenario(
        name: "postgres alternating users, RDS-managed master", strategy: .alternatingUsers,
        rotatedKeys: ["password", "username"],
        environment: ["EXCLUDE_CHARACTERS": "", "ROTATOR_ALLOW_TLS_FALLBACK": "true"],
        makeSecret: { lab in
            let master = try lab.postgresRDSMaster()
            return try lab.postgresSecret(masterARN: master.arn, host: master.host)
        },
        logsIn: { lab, value in lab.postgresLogsIn(value) },
        names: { lab in lab.rdsMaster.withLock { $0 }.map { IsolatedNames(hosts: [($0.host, "127.0.0.1")]) } })

    /// The master adds the password: the user holds no right over its own ACL.
    static let redisDualPasswordsByMaster = FaultScenario(
        name: "redis dual passwords set by the master", strategy: .dualPassword, rotatedKeys: ["password"],
        environment: ["EXCLUDE_CHARACTERS": "", "ROTATOR_REDIS_MODE": "dual"],
        makeSecret: { lab in try lab.redisSecret(masterARN: try lab.redisMasterARN()) },
        logsIn: { lab, value in lab.redisLogsIn(value) })

    static let redisAlternatingUsers = FaultScenario(
        name: "redis alternating users", strategy: .alternatingUsers, rotatedKeys: ["password", "username"],
        environment: ["EXCLUDE_CHARACTERS": ""],
        makeSecret: { lab in try lab.redisSecret(masterARN: try lab.redisMasterARN()) },
        logsIn: { lab, value in lab.redisLogsIn(value) })

    static let all = [
        generic, postgresSingleUser, postgresAlternatingUsers, mariaDBSingleUser, mariaDBAlternatingUsers,
        redisDualPasswordsByMaster, redisAlternatingUsers,
    ]

    /// The scenarios every crash point is tried for: all, and the re-sync.
    static let crashing = all + [mariaDBResync, postgresRDSManagedMaster]
}

extension FaultLab {
    /// A new login role with a random password, and its secret: through the database proxy, in plain text (the
    /// proxy must see the statements).
    func postgresSecret(masterARN: String?, host: String = "127.0.0.1") throws -> String {
        let user = uniqueName("fault")
        let password = randomPassword(length: 24)
        try createRole(user, password: password, options: "")
        var object = JSONObject([
            "engine": .string("postgres"), "host": .string(host), "port": .integer(databaseProxy.port),
            "username": .string(user), "password": .string(password), "dbname": .string("postgres"),
            "ssl": .bool(false),
            "note": .string("kept as is"),
        ])
        if let masterARN { object["masterarn"] = .string(masterARN) }
        return object.serialized
    }

    /// The master secret of the alternating-users scenario (a role that may create roles), made once.
    func postgresMasterARN() throws -> String {
        try masterARN(cached: master) { password in
            try createRole("fault_admin", password: password, options: "CREATEROLE")
            return JSONObject([
                "engine": .string("postgres"), "host": .string("127.0.0.1"), "port": .integer(databaseProxy.port),
                "username": .string("fault_admin"), "password": .string(password), "ssl": .bool(false),
            ])
        }
    }

    /// The RDS-managed master of its scenario, made once: a DB instance in moto's RDS whose endpoint is the database
    /// proxy's port, and the `rds!db-…` secret RDS made for it holding a role that may create roles.
    func postgresRDSMaster() throws -> (arn: String, host: String) {
        try rdsMaster.withLock { made in
            if let made { return made }
            let password = randomPassword(length: 24)
            try createRole("fault_rds_admin", password: password, options: "CREATEROLE")
            leaks.watch(password)
            let instance = try moto.createRDSManagedInstance(
                port: databaseProxy.port, engine: "postgres", user: "fault_rds_admin", password: password)
            made = (instance.secretARN, instance.host)
            return (instance.secretARN, instance.host)
        }
    }

    /// A master secret made once per lab: `create` makes the database user with the password and returns its secret.
    func masterARN(cached cache: Locked<String?>, create: (String) throws -> JSONObject) throws -> String {
        try cache.withLock { master in
            if let master { return master }
            let password = randomPassword(length: 24)
            let value = try create(password)
            leaks.watch(password)
            let arn = try moto.createSecret(name: uniqueName("fault-master"), secretString: value.serialized)
            master = arn
            return arn
        }
    }

    /// Whether a version's user and password log in, directly (not through the proxy), with TLS verified.
    func postgresLogsIn(_ value: SecretValue) -> Bool {
        guard let user = value.string("username"), let password = value.string("password") else { return false }
        let connection = try? PostgresConnection(
            login: DatabaseLogin(
                host: "127.0.0.1", port: database.port, user: user, password: password, database: "postgres",
                tls: .verifyFull(caFile: database.caFile)),
            deadline: .after(milliseconds: 10_000))
        connection?.close()
        return connection != nil
    }

    /// Gives `user` a password no secret version holds (a change "behind the rotator's back").
    func setPasswordBehindTheSecretsBack(_ user: String) throws {
        let admin = try superuser()
        defer { admin.close() }
        try admin.setPassword(ofUser: user, to: randomPassword(length: 24))
    }

    private func superuser() throws -> PostgresConnection {
        try PostgresConnection(
            login: DatabaseLogin(
                host: "127.0.0.1", port: database.port, user: database.superuser, password: database.superuserPassword,
                database: "postgres", tls: .verifyFull(caFile: database.caFile)),
            deadline: .after(milliseconds: 10_000))
    }

    private func createRole(_ name: String, password: String, options: String) throws {
        let admin = try PostgresConnection(
            login: DatabaseLogin(
                host: "127.0.0.1", port: database.port, user: database.superuser, password: database.superuserPassword,
                database: "postgres", tls: .verifyFull(caFile: database.caFile)),
            deadline: .after(milliseconds: 10_000))
        defer { admin.close() }
        let verifier = try admin.scramVerifier(password: password, user: name)
        try admin.execute(
            "CREATE ROLE \(try admin.quoteIdentifier(name)) LOGIN \(options) PASSWORD \(try admin.quoteLiteral(verifier))"
        )
    }
}

extension FaultLab {
    /// A new MariaDB account with a random password and a right to copy, and its secret: through the MySQL proxy,
    /// in plain text (the proxy must see the statements).
    func mariaDBSecret(masterARN: String?) throws -> String {
        let user = uniqueName("fault")
        let password = randomPassword(length: 24)
        try mariaDB.execute(
            "CREATE USER '\(user)'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))'; "
                + "CREATE DATABASE IF NOT EXISTS fault_shop; GRANT SELECT, INSERT ON fault_shop.* TO '\(user)'@'%'")
        var object = JSONObject([
            "engine": .string("mariadb"), "host": .string("127.0.0.1"), "port": .integer(mariaDBProxy.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(false),
            "note": .string("kept as is"),
        ])
        if let masterARN { object["masterarn"] = .string(masterARN) }
        return object.serialized
    }

    /// The master secret of the MariaDB alternating-users scenario (may create users and grant), made once.
    func mariaDBMasterARN() throws -> String {
        try masterARN(cached: mariaDBMaster) { password in
            try mariaDB.execute(
                "CREATE USER 'fault_admin'@'%' IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))'; "
                    + "GRANT ALL PRIVILEGES ON *.* TO 'fault_admin'@'%' WITH GRANT OPTION")
            return JSONObject([
                "engine": .string("mariadb"), "host": .string("127.0.0.1"), "port": .integer(mariaDBProxy.port),
                "username": .string("fault_admin"), "password": .string(password), "ssl": .bool(false),
            ])
        }
    }

    /// Whether a version's user and password log in to MariaDB, directly (not through the proxy), TLS verified.
    func mariaDBLogsIn(_ value: SecretValue) -> Bool {
        guard let user = value.string("username"), let password = value.string("password") else { return false }
        let connection = try? MySQLConnection(
            login: DatabaseLogin(
                host: "127.0.0.1", port: mariaDB.port, user: user, password: password, database: nil,
                tls: .verifyFull(caFile: mariaDB.caFile)),
            deadline: .after(milliseconds: 10_000))
        connection?.close()
        return connection != nil
    }
}

extension FaultLab {
    /// A new Redis ACL user with a random password and rules to copy, and its secret: through the RESP proxy, in plain
    /// text. The user holds no right over its own ACL: the master changes it.
    func redisSecret(masterARN: String) throws -> String {
        let user = uniqueName("fault")
        let password = randomPassword(length: 24)
        try redis.cli(
            ["ACL", "SETUSER", user, "on", ">" + password, "~\(user):*", "resetchannels", "-@all", "+get", "+ping"])
        var object = JSONObject([
            "engine": .string("redis"), "host": .string("127.0.0.1"), "port": .integer(redisProxy.port),
            "username": .string(user), "password": .string(password), "ssl": .bool(false),
            "note": .string("kept as is"),
        ])
        object["masterarn"] = .string(masterARN)
        return object.serialized
    }

    /// The master secret of the Redis scenarios (an ACL administrator), made once.
    func redisMasterARN() throws -> String {
        try masterARN(cached: redisMaster) { password in
            try redis.cli(["ACL", "SETUSER", "fault_admin", "on", ">" + password, "~*", "&*", "+@all"])
            return JSONObject([
                "engine": .string("redis"), "host": .string("127.0.0.1"), "port": .integer(redisProxy.port),
                "username": .string("fault_admin"), "password": .string(password), "ssl": .bool(false),
            ])
        }
    }

    /// Whether a version's user and password log in to Redis, directly (not through the proxy).
    func redisLogsIn(_ value: SecretValue) -> Bool {
        guard let user = value.string("username"), let password = value.string("password") else { return false }
        return redis.canLogIn(user: user, password: password)
    }
}
