import CMariaDB
import DatabaseRotation
import Logging
import Redaction
import Rotation

#if canImport(Glibc)
    import Glibc
#endif

/// One MySQL or MariaDB session on MariaDB Connector/C's non-blocking API: connecting and every statement run
/// against the attempt's time limit and the Lambda deadline (https://mariadb.com/kb/en/using-the-non-blocking-library/).
/// Closed by `close()` or when the last reference goes.
///
/// What the library keeps of the pointers it is given, and for how long:
/// - `mysql_real_connect_start`: host, user, password and database, until the connect ends (`_cont` returns 0);
///   they are held in `CStringCopies` for that long.
/// - `mysql_real_query_start`: the statement, until it has been sent; held the same way.
/// - `mysql_options`: nothing (strings are duplicated, numbers read at once); `mysql_real_escape_string`: nothing.
/// - Results: rows point into the `MYSQL_RES`, copied into Swift strings before `mysql_free_result`.
package final class MySQLConnection: DatabaseSession {
    private var handle: UnsafeMutablePointer<MYSQL>?
    private let deadlineEpochMilliseconds: Int64
    /// `user@host:port/database`, for messages.
    package let endpointDescription: String
    /// `VERSION()`, such as `10.11.19-MariaDB-0+deb12u1` or `8.0.36`.
    package private(set) var serverVersion = ""
    /// The account the server matched the login to (`CURRENT_USER()`): the user and its host part.
    package private(set) var account = DatabaseAccount(user: "", host: "")
    private let requestedUser: String
    let logger: Logger?

    /// Connects and authenticates within `connectTimeoutMilliseconds`, and never past `deadline` (minus a margin).
    /// - Throws: `DatabaseError` with the category of the failure.
    package init(
        login: DatabaseLogin, connectTimeoutMilliseconds: Int64 = 5_000, deadline: Deadline, logger: Logger? = nil
    )
        throws(DatabaseError)
    {
        deadlineEpochMilliseconds = deadline.epochMilliseconds
        endpointDescription = login.endpointDescription
        requestedUser = login.user
        self.logger = logger
        let left = deadline.remainingMilliseconds - DatabaseConnectorLimits.deadlineMarginMilliseconds
        guard left >= DatabaseConnectorLimits.minimumAttemptMilliseconds else {
            throw DatabaseError(
                .timeout,
                "not connecting to \(login.endpointDescription): only \(max(left, 0)) ms left before the Lambda deadline"
            )
        }
        let limitedByDeadline = left < connectTimeoutMilliseconds
        let attempt = min(connectTimeoutMilliseconds, left)
        let until = Deadline.now().epochMilliseconds + attempt
        // The library resolves names with a blocking getaddrinfo; resolving first, within the limit, makes a DNS server
        // that does not answer fail here, on time, and warms the resolver's answer for the library's own lookup.
        _ = try HostResolver.addresses(
            of: login.serverName ?? login.host, port: login.port, within: attempt,
            limitedByDeadline: limitedByDeadline)
        guard let mysql = mysql_init(nil) else {
            throw DatabaseError(.configuration, "MariaDB Connector/C could not allocate a connection")
        }
        handle = mysql
        try Self.configure(mysql, login: login, timeoutSeconds: UInt32((attempt + 999) / 1_000))
        var connected: UnsafeMutablePointer<MYSQL>?
        // The library keeps these four pointers and reads them again in every `mysql_real_connect_cont` (the user
        // and password are copied only after the server's greeting, the database at authentication): they must stay
        // put until the connect has finished, not just for the `_start` call.
        let arguments = CStringCopies()
        defer { withExtendedLifetime(arguments) {} }
        // A CNAME's certificate names the real server: connect to that name, which the library verifies.
        var status = mysql_real_connect_start(
            &connected, mysql, arguments.copy(login.serverName ?? login.host), arguments.copy(login.user),
            arguments.copy(login.password), arguments.copy(login.database), UInt32(login.port), nil, 0)
        while status != 0 {
            guard let events = wait(status, until: until) else {
                close()
                throw DatabaseError(
                    limitedByDeadline ? .timeout : .network,
                    "timeout expired after \(attempt) ms connecting to \(login.endpointDescription)"
                        + (limitedByDeadline ? " (limited by the Lambda deadline)" : ""))
            }
            status = mysql_real_connect_cont(&connected, mysql, events)
        }
        guard connected != nil else {
            let error = failure(connecting: true)
            close()
            throw error
        }
        let identity = try query("SELECT CURRENT_USER(), VERSION()").first ?? []
        let current = (identity.first ?? nil) ?? ""
        serverVersion = (identity.dropFirst().first ?? nil) ?? ""
        if let at = current.lastIndex(of: "@") {
            account = DatabaseAccount(user: String(current[..<at]), host: String(current[current.index(after: at)...]))
        }
    }

    deinit {
        if let handle { mysql_close(handle) }
    }

    package func close() {
        if let handle { mysql_close(handle) }
        handle = nil
    }

    /// Whether the session runs over TLS (the library reports a cipher only then).
    package var usesTLS: Bool { handle.map { mysql_get_ssl_cipher($0) != nil } ?? false }

    /// Whether the server is MariaDB (its version says so) rather than MySQL.
    package var isMariaDB: Bool { serverVersion.contains("MariaDB") }

    /// MySQL-family servers have no password-less TCP logins of the `trust` kind, except under
    /// `--skip-grant-tables`, or when the login matched another account (an anonymous `''@'%'`): then
    /// `CURRENT_USER()` is not the user asked for.
    package var usedPassword: Bool {
        account.user == requestedUser && !(account.host ?? "").contains("skip-grants")
    }

    /// Runs one statement (text protocol) and returns its rows, each column as text or `nil` for SQL NULL.
    /// Any `sensitive` string is cut out of an error message should the server echo the statement.
    @discardableResult
    package func query(_ sql: String, sensitive: [String] = []) throws(DatabaseError) -> [[String?]] {
        guard let mysql = handle else {
            throw DatabaseError(.network, "the connection to \(endpointDescription) is closed")
        }
        let until = deadlineEpochMilliseconds - DatabaseConnectorLimits.deadlineMarginMilliseconds
        var error: Int32 = 0
        // The library keeps the statement's pointer until the query has been sent, which may take several
        // `mysql_real_query_cont` calls; the copy may hold a password hash, and is wiped when it goes.
        let text = CStringCopies()
        defer { withExtendedLifetime(text) {} }
        var status = mysql_real_query_start(&error, mysql, text.copy(sql), UInt(sql.utf8.count))
        status = try drive(status, until: until) { events in mysql_real_query_cont(&error, mysql, events) }
        guard error == 0 else { throw failure(connecting: false, sensitive: sensitive) }
        var result: UnsafeMutablePointer<MYSQL_RES>?
        status = mysql_store_result_start(&result, mysql)
        status = try drive(status, until: until) { events in mysql_store_result_cont(&result, mysql, events) }
        guard let result else {
            if mysql_field_count(mysql) != 0 { throw failure(connecting: false, sensitive: sensitive) }
            return []
        }
        defer { mysql_free_result(result) }
        let columns = Int(mysql_num_fields(result))
        var rows: [[String?]] = []
        while let row = mysql_fetch_row(result) {
            let lengths = mysql_fetch_lengths(result)
            rows.append(
                (0..<columns).map { column in
                    guard let field = row[column], let lengths else { return nil }
                    let bytes = UnsafeRawBufferPointer(start: field, count: Int(lengths[column]))
                    return String(decoding: bytes, as: UTF8.self)
                })
        }
        return rows
    }

    /// `text` as an SQL string literal, escaped by the library for this connection's character set and SQL mode.
    /// - Throws: `DatabaseError(.configuration)` for a NUL, which a C string cannot carry.
    package func literal(_ text: String) throws(DatabaseError) -> String {
        guard let mysql = handle else {
            throw DatabaseError(.network, "the connection to \(endpointDescription) is closed")
        }
        guard !text.utf8.contains(0) else {
            throw DatabaseError(.configuration, "cannot quote a value with a NUL as an SQL literal")
        }
        let bytes = Array(text.utf8)
        var escaped = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        let length = bytes.withUnsafeBufferPointer { input in
            input.withMemoryRebound(to: CChar.self) {
                mysql_real_escape_string(mysql, &escaped, $0.baseAddress, UInt(bytes.count))
            }
        }
        return "'" + String(decoding: escaped.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "'"
    }

    /// `'user'@'host'`, both parts quoted as literals.
    package func accountName(_ user: String, host: String) throws(DatabaseError) -> String {
        "\(try literal(user))@\(try literal(host))"
    }

    private static func configure(_ mysql: UnsafeMutablePointer<MYSQL>, login: DatabaseLogin, timeoutSeconds: UInt32)
        throws(DatabaseError)
    {
        // mysql_options copies a string value (strdup) and reads a number at once: none of these pointers is kept.
        var ok = mysql_options(mysql, MYSQL_OPT_NONBLOCK, nil) == 0
        ok = ok && cmariadb_option_uint(mysql, MYSQL_OPT_CONNECT_TIMEOUT, timeoutSeconds) == 0
        ok = ok && cmariadb_option_uint(mysql, MYSQL_OPT_READ_TIMEOUT, timeoutSeconds) == 0
        ok = ok && cmariadb_option_uint(mysql, MYSQL_OPT_WRITE_TIMEOUT, timeoutSeconds) == 0
        // TCP always (never the Unix socket "localhost" means to the library), UTF-8, no LOAD DATA LOCAL.
        ok = ok && cmariadb_option_uint(mysql, MYSQL_OPT_PROTOCOL, UInt32(MYSQL_PROTOCOL_TCP.rawValue)) == 0
        ok = ok && mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") == 0
        ok = ok && cmariadb_option_uint(mysql, MYSQL_OPT_LOCAL_INFILE, 0) == 0
        // Only the built-in password plugins: a server asking for another one gets a refusal, never a plugin loaded
        // from disk (https://mariadb.com/kb/en/mysql_optionsv/, MARIADB_OPT_RESTRICTED_AUTH).
        ok =
            ok
            && mysql_options(
                mysql, MARIADB_OPT_RESTRICTED_AUTH,
                "mysql_native_password,caching_sha2_password,client_ed25519,sha256_password") == 0
        if case .verifyFull(let caFile) = login.tls {
            // The chain against the CA file, the name against the host, and no login without TLS.
            ok = ok && mysql_options(mysql, MYSQL_OPT_SSL_CA, caFile) == 0
            ok = ok && cmariadb_option_bool(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, 1) == 0
            ok = ok && cmariadb_option_bool(mysql, MYSQL_OPT_SSL_ENFORCE, 1) == 0
        }
        guard ok else { throw DatabaseError(.configuration, "MariaDB Connector/C refused a connection option") }
    }

    /// Runs a non-blocking call to its end, waiting on the socket until `until`.
    private func drive(_ status: Int32, until: Int64, _ resume: (Int32) -> Int32) throws(DatabaseError) -> Int32 {
        var status = status
        while status != 0 {
            guard let events = wait(status, until: until) else {
                close()
                throw DatabaseError(
                    .timeout, "a statement on \(endpointDescription) did not finish before the Lambda deadline")
            }
            status = resume(events)
        }
        return status
    }

    /// Waits for what the library asked (`MYSQL_WAIT_*`); returns what happened, or `nil` when `until` passed.
    private func wait(_ status: Int32, until: Int64) -> Int32? {
        guard let mysql = handle else { return nil }
        var events: Int16 = 0
        if status & MYSQL_WAIT_READ != 0 { events |= Int16(POLLIN) }
        if status & MYSQL_WAIT_WRITE != 0 { events |= Int16(POLLOUT) }
        if status & MYSQL_WAIT_EXCEPT != 0 { events |= Int16(POLLPRI) }
        var limit = until
        if status & MYSQL_WAIT_TIMEOUT != 0 {
            limit = min(until, Deadline.now().epochMilliseconds + Int64(mysql_get_timeout_value_ms(mysql)))
        }
        guard
            let happened = SocketWait.wait(
                for: events, on: Int32(mysql_get_socket(mysql)), untilEpochMilliseconds: limit)
        else {
            // The library's own timer ran out before ours: let it report the timeout.
            return limit < until ? MYSQL_WAIT_TIMEOUT : nil
        }
        var ready: Int32 = 0
        if happened & Int16(POLLIN | POLLHUP | POLLERR) != 0 { ready |= MYSQL_WAIT_READ }
        if happened & Int16(POLLOUT) != 0 { ready |= MYSQL_WAIT_WRITE }
        if happened & Int16(POLLPRI) != 0 { ready |= MYSQL_WAIT_EXCEPT }
        return ready == 0 ? status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE) : ready
    }

    /// The connection's last error as a classified `DatabaseError`, secrets cut out.
    private func failure(connecting: Bool, sensitive: [String] = []) -> DatabaseError {
        guard let mysql = handle else {
            return DatabaseError(.network, "the connection to \(endpointDescription) is closed")
        }
        let code = mysql_errno(mysql)
        var message = String(cString: mysql_error(mysql))
        message = message.redacting(sensitive)
        let category = MySQLErrorClassifier.category(code: code, connecting: connecting)
        return DatabaseError(category, "\(message.loggable) (error \(code))")
    }
}
