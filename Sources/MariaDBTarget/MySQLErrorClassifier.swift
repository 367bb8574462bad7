import DatabaseRotation

/// Sorts MySQL and MariaDB errors by their numbers (server errors:
/// https://mariadb.com/kb/en/mariadb-error-code-reference/, client errors: https://mariadb.com/kb/en/mariadb-client-errors/).
enum MySQLErrorClassifier {
    static func category(code: UInt32, connecting: Bool) -> DatabaseError.Category {
        switch code {
        // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR: a refused login, or after one a statement the
        // account may not run (granting a role without its ADMIN OPTION reports 1698).
        case 1045, 1698: return connecting ? .authentication : .permission
        // ER_MUST_CHANGE_PASSWORD_LOGIN, ER_NOT_SUPPORTED_AUTH_MODE
        case 1862, 1251: return .authentication
        // ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR,
        // ER_PASSWORD_NOT_ALLOWED, ER_PROCACCESS_DENIED_ERROR, ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL), ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
        case 1044, 1142, 1143, 1227, 1132, 1370, 3118, 4151: return .permission
        // ER_BAD_DB_ERROR, CR_AUTH_PLUGIN_CANNOT_LOAD
        case 1049, 2059: return .configuration
        // CR_SSL_CONNECTION_ERROR, ER_SECURE_TRANSPORT_REQUIRED
        case 2026, 3159: return .tls
        // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
        // CR_SERVER_LOST_EXTENDED, ER_CON_COUNT_ERROR, ER_HOST_IS_BLOCKED, ER_SERVER_SHUTDOWN, ER_TOO_MANY_USER_CONNECTIONS
        case 2002, 2003, 2005, 2006, 2013, 2055, 1040, 1129, 1053, 1203: return .network
        default: return connecting ? .connectionFailed : .query
        }
    }
}
