import CLibPQ
import DatabaseRotation
import Logging
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One libpq connection. Connecting and every query run on libpq's non-blocking API against a time limit, so a
/// silent server or a black-holed network costs at most the limit, never the rest of the Lambda's run.
/// Closed by `close()` or when the last reference goes.
package final class PostgresConnection: DatabaseSession {
    static let deadlineMarginMilliseconds = DatabaseConnectorLimits.deadlineMarginMilliseconds
    static let minimumAttemptMilliseconds = DatabaseConnectorLimits.minimumAttemptMilliseconds

    private var handle: OpaquePointer?
    /// Where the server's notices go: through the logger, redacted, instead of libpq's default of stderr.
    let notices: NoticeSink
    let deadlineEpochMilliseconds: Int64
    /// `user@host:port/database`, for messages.
    package let endpointDescription: String
    /// The role logged in as.
    let user: String

    /// Connects and authenticates.
    ///
    /// The attempt (name resolution included) gets `connectTimeoutMilliseconds` or whatever is left before
    /// `deadline` (minus a margin), whichever is shorter; with less than `minimumAttemptMilliseconds` left it does
    /// not start. Server notices go to `logger` (redacted), or nowhere when it is `nil`.
    /// - Throws: `DatabaseError` with the category of the failure (`.network`, `.authentication`, `.tls`,
    ///   `.permission`, `.configuration`, `.timeout`); the caller decides whether another credential or plain
    ///   text is worth a try.
    package init(
        login: DatabaseLogin, connectTimeoutMilliseconds: Int64 = 5_000,
        deadline: Deadline, logger: Logger? = nil
    ) throws(DatabaseError) {
        self.deadlineEpochMilliseconds = deadline.epochMilliseconds
        self.endpointDescription = login.endpointDescription
        self.user = login.user
        self.notices = NoticeSink(logger: logger, password: login.password)
        let left = deadline.remainingMilliseconds - Self.deadlineMarginMilliseconds
        guard left >= Self.minimumAttemptMilliseconds else {
            throw DatabaseError(
                .timeout,
                "not connecting to \(login.endpointDescription): only \(max(left, 0)) ms "
                    + "left before the Lambda deadline")
        }
        let limitedByDeadline = left < connectTimeoutMilliseconds
        let attemptMilliseconds = min(connectTimeoutMilliseconds, left)
        let started = Deadline.now().epochMilliseconds
        let addresses = try HostResolver.addresses(
            of: login.host, port: login.port, within: attemptMilliseconds, limitedByDeadline: limitedByDeadline)
        let connection = try Self.start(login, addresses: addresses, notices: notices)
        handle = connection
        do {
            try Self.poll(
                connection, until: started + attemptMilliseconds, attemptMilliseconds: attemptMilliseconds,
                limitedByDeadline: limitedByDeadline, endpoint: login.endpointDescription)
        } catch {
            // Free the half-open connection now rather than trusting the failed initializer's deinit.
            close()
            throw error
        }
    }

    /// Drives `PQconnectPoll` until the connection is up, fails, or the clock passes `until` (epoch ms).
    private static func poll(
        _ connection: OpaquePointer, until: Int64, attemptMilliseconds: Int64,
        limitedByDeadline: Bool, endpoint: String
    ) throws(DatabaseError) {
        var state = PGRES_POLLING_WRITING
        while state != PGRES_POLLING_OK {
            switch state {
            case PGRES_POLLING_FAILED:
                let message = Self.errorMessage(connection)
                throw DatabaseError(DatabaseErrorClassifier.category(connectionMessage: message), message)
            case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
                let events = state == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
                guard Self.wait(for: events, on: PQsocket(connection), untilEpochMilliseconds: until) else {
                    throw DatabaseError(
                        limitedByDeadline ? .timeout : .network,
                        "timeout expired after \(attemptMilliseconds) ms connecting to \(endpoint)"
                            + (limitedByDeadline ? " (limited by the Lambda deadline)" : ""))
                }
            default:
                break
            }
            state = PQconnectPoll(connection)
        }
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection; later calls do nothing.
    package func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Whether the server asked for the password while logging in (libpq's `PQconnectionUsedPassword`). A login
    /// under a `trust`, `peer` or `cert` rule in pg_hba.conf succeeds whatever the password, so it proves nothing
    /// about one (https://www.postgresql.org/docs/15/libpq-status.html).
    package var usedPassword: Bool {
        guard let handle else { return false }
        return PQconnectionUsedPassword(handle) == 1
    }

    /// Whether the connection runs over TLS.
    package var usesTLS: Bool {
        guard let handle else { return false }
        return PQsslInUse(handle) == 1
    }

    /// Runs one statement, with `parameters` sent apart from the SQL text as `$1`, `$2`, … (text format).
    /// Utility statements (`ALTER ROLE`, `CREATE ROLE`) take no parameters: build them with `quoteIdentifier`
    /// and `quoteLiteral`. Any `sensitive` string is cut out of an error message should the server echo it.
    /// - Returns: the rows of the result, each column as text or `nil` for SQL NULL.
    /// - Throws: `DatabaseError`, its category from the SQLSTATE (`.permission` for 42501, …), or `.timeout`
    ///   when the deadline passes first (the connection is then closed).
    @discardableResult
    package func execute(_ sql: String, parameters: [String] = [], sensitive: [String] = []) throws(DatabaseError)
        -> [[String?]]
    {
        let connection = try open()
        notices.sensitive = sensitive
        defer { notices.sensitive = [] }
        let sent = Self.withCStrings(parameters) { values in
            PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionFailure(connection) }
        var rows: [[String?]] = []
        var failure: DatabaseError?
        while let result = try nextResult(connection) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_TUPLES_OK {
                rows += Self.rows(of: result)
            } else if status != PGRES_COMMAND_OK, failure == nil {
                failure = Self.resultError(result, sensitive: sensitive)
            }
        }
        if let failure { throw failure }
        return rows
    }

    /// `text` quoted as an SQL identifier by libpq (`PQescapeIdentifier`): double quotes, doubled inner quotes.
    /// - Throws: `DatabaseError(.configuration)` if libpq rejects the text (invalid UTF-8, NUL).
    package func quoteIdentifier(_ text: String) throws(DatabaseError) -> String {
        let connection = try open()
        guard !text.utf8.contains(0), let quoted = PQescapeIdentifier(connection, text, text.utf8.count) else {
            throw DatabaseError(.configuration, "cannot quote the name \(text) as an SQL identifier")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// `text` quoted as an SQL string literal by libpq (`PQescapeLiteral`), for statements that take no parameters.
    /// - Throws: `DatabaseError(.configuration)` if libpq rejects the text; the message never shows it.
    package func quoteLiteral(_ text: String) throws(DatabaseError) -> String {
        let connection = try open()
        guard !text.utf8.contains(0), let quoted = PQescapeLiteral(connection, text, text.utf8.count) else {
            throw DatabaseError(.configuration, "cannot quote a value as an SQL literal")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// The SCRAM-SHA-256 verifier for `password`, computed here with a random salt
    /// (`PQencryptPasswordConn`), so that `ALTER ROLE … PASSWORD` carries no plain-text password on the wire
    /// or into the server's statement log.
    /// - Throws: `DatabaseError(.configuration)` if libpq cannot compute it (the message never shows the password).
    package func scramVerifier(password: String, user: String) throws(DatabaseError) -> String {
        try encryptedPassword(password, user: user, algorithm: "scram-sha-256")
    }

    /// `md5` followed by the MD5 of the password and the user name: the stored form Amazon Redshift (and PostgreSQL's
    /// `md5` method) takes in place of a password
    /// (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_USER.html, https://www.postgresql.org/docs/15/libpq-misc.html).
    package func md5Password(_ password: String, user: String) throws(DatabaseError) -> String {
        try encryptedPassword(password, user: user, algorithm: "md5")
    }

    /// `PQencryptPasswordConn`: the password's stored form, computed here, so the server never receives the password.
    private func encryptedPassword(_ password: String, user: String, algorithm: String) throws(DatabaseError)
        -> String
    {
        let connection = try open()
        guard !password.utf8.contains(0),
            let verifier = PQencryptPasswordConn(connection, password, user, algorithm)
        else {
            throw DatabaseError(
                .configuration,
                "libpq could not compute the \(algorithm) form of a password: " + Self.errorMessage(connection))
        }
        defer {
            memset(verifier, 0, strlen(verifier))
            PQfreemem(verifier)
        }
        return String(cString: verifier)
    }

    private func open() throws(DatabaseError) -> OpaquePointer {
        guard let handle else { throw DatabaseError(.network, "the connection to \(endpointDescription) is closed") }
        return handle
    }
}
