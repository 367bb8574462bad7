import DatabaseRotation
import Logging
import Rotation

/// MySQL, Aurora MySQL and MariaDB on MariaDB Connector/C: the driver under the shared single-user and
/// alternating-users strategies, and for MySQL ≥ 8.0.14 the dual-password one. One driver value per `ROTATOR_TARGET`
/// name (`mysql`, `mariadb`), as AWS has one template for each; both speak to either server, and decide their
/// statements by the server's version.
package struct MySQLDriver: DatabaseDriver {
    package enum Flavor: Sendable {
        case mysql
        case mariaDB
    }

    package let flavor: Flavor

    package init(_ flavor: Flavor) {
        self.flavor = flavor
    }

    /// The `mysql` entry for `RotationLambda.run(targets:)`: engines `mysql` and `aurora-mysql`.
    package static var mysqlChoice: TargetChoice { DatabaseTarget.choice(MySQLDriver(.mysql)) }
    /// The `mariadb` entry: engine `mariadb`.
    package static var mariaDBChoice: TargetChoice { DatabaseTarget.choice(MySQLDriver(.mariaDB)) }

    package var traits: DatabaseTraits {
        DatabaseTraits(
            name: flavor == .mysql ? "mysql" : "mariadb", displayName: flavor == .mysql ? "MySQL" : "MariaDB",
            engines: flavor == .mysql ? ["mysql", "aurora-mysql"] : ["mariadb"], defaultPort: 3306,
            // The templates connect to no database when the secret has no `dbname`.
            defaultDatabase: nil,
            // MySQL 5.7.8+: 32 characters (https://dev.mysql.com/doc/refman/8.0/en/user-names.html); MariaDB: 80
            // (https://mariadb.com/kb/en/create-user/#user-name-component). AWS's MySQL template defaults to 16
            // (MySQL 5.6); `USERNAME_CHARACTER_LIMIT` still sets it.
            maximumUserNameLength: flavor == .mysql ? 32 : 80, userNameLengthUnit: .characters,
            // Only MySQL has `RETAIN CURRENT PASSWORD`; the session checks the server's version.
            supportsDualPasswords: flavor == .mysql, copiesRights: true,
            passwordlessLoginCause: "an anonymous account such as ''@'%', or a server started with --skip-grant-tables")
    }

    package func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> MySQLConnection
    {
        try MySQLConnection(
            login: login, connectTimeoutMilliseconds: timeoutMilliseconds, deadline: deadline, logger: logger)
    }

    package func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        try MySQLTLSProbe.serverOffersTLS(host: host, port: port, within: milliseconds)
    }

    /// Connector/C's text when TLS is enforced and the server has none.
    package func meansServerHasNoTLS(_ error: DatabaseError) -> Bool {
        error.message.contains("SSL is required, but the server does not support it")
            || error.message.contains("TLS/SSL is required, but the server does not support it")
    }
}
