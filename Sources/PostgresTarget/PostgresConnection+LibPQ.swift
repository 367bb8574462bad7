import CLibPQ
import DatabaseRotation
import Redaction
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The libpq plumbing behind `PostgresConnection`: C string arrays, socket waits and result decoding.
extension PostgresConnection {
    /// Starts a non-blocking connection with keyword/value arrays; `expand_dbname` is off, so a database name
    /// is never read as a conninfo string or URI.
    static func start(_ login: DatabaseLogin, addresses: [String], notices: NoticeSink)
        throws(DatabaseError) -> OpaquePointer
    {
        let pairs = login.libpqParameters(addresses: addresses)
        let started = withCStrings(pairs.map(\.0), nullTerminated: true) { keywords in
            withCStrings(pairs.map(\.1), nullTerminated: true) { values in
                PQconnectStartParams(keywords, values, 0)
            }
        }
        guard let connection = started else {
            throw DatabaseError(.configuration, "libpq could not allocate a connection")
        }
        if PQstatus(connection) == CONNECTION_BAD {
            let message = errorMessage(connection)
            PQfinish(connection)
            throw DatabaseError(DatabaseErrorClassifier.category(connectionMessage: message), message)
        }
        // Before any message can arrive: libpq's default receiver prints notices raw to stderr.
        notices.install(on: connection)
        return connection
    }

    /// Calls `body` with a C array of copies of `strings`, wiped when `body` returns: one of them is a password.
    /// libpq copies what it keeps (`PQconnectStartParams` its keywords and values into the connection,
    /// `PQsendQueryParams` the statement and parameters into its output buffer:
    /// https://www.postgresql.org/docs/15/libpq-async.html), so the copies need not outlive the call.
    static func withCStrings<Result>(
        _ strings: [String], nullTerminated: Bool = false,
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    ) -> Result {
        let copies = CStringCopies()
        var pointers = strings.map { copies.copy($0) }
        if nullTerminated { pointers.append(nil) }
        return withExtendedLifetime(copies) { pointers.withUnsafeBufferPointer { body($0.baseAddress) } }
    }

    /// Waits until `socket` is ready for `events` or the clock passes `until`; `false` means time ran out.
    static func wait(for events: Int16, on socket: Int32, untilEpochMilliseconds until: Int64) -> Bool {
        SocketWait.wait(for: events, on: socket, untilEpochMilliseconds: until) != nil
    }

    /// The next result of the statement in flight, waiting no later than the deadline (minus the margin).
    func nextResult(_ connection: OpaquePointer) throws(DatabaseError) -> OpaquePointer? {
        let until = deadlineEpochMilliseconds - Self.deadlineMarginMilliseconds
        while PQisBusy(connection) == 1 {
            guard Self.wait(for: Int16(POLLIN), on: PQsocket(connection), untilEpochMilliseconds: until) else {
                // A statement that outlives the invocation would hold its locks while the Lambda is frozen.
                close()
                throw DatabaseError(
                    .timeout, "a statement on \(endpointDescription) did not finish before the Lambda deadline")
            }
            guard PQconsumeInput(connection) == 1 else { throw connectionFailure(connection) }
        }
        return PQgetResult(connection)
    }

    /// The connection's last error as a classified `DatabaseError`.
    func connectionFailure(_ connection: OpaquePointer) -> DatabaseError {
        let message = Self.errorMessage(connection)
        return DatabaseError(DatabaseErrorClassifier.category(connectionMessage: message), message)
    }

    /// A failed result's error from its SQLSTATE and primary message. The full message is not used: for errors
    /// with a position it quotes the statement (`LINE 1: ALTER ROLE … PASSWORD '…'`).
    static func resultError(_ result: OpaquePointer, sensitive: [String]) -> DatabaseError {
        let sqlState = field(result, "C") ?? ""
        let primary =
            field(result, "M") ?? DatabaseErrorClassifier.oneLine(String(cString: PQresultErrorMessage(result)))
        var message = DatabaseErrorClassifier.oneLine(primary) + (sqlState.isEmpty ? "" : " (SQLSTATE \(sqlState))")
        message = message.redacting(sensitive)
        return DatabaseError(DatabaseErrorClassifier.category(sqlState: sqlState), message)
    }

    static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: value)
    }

    static func rows(of result: OpaquePointer) -> [[String?]] {
        let columns = PQnfields(result)
        return (0..<PQntuples(result)).map { row in
            (0..<columns).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    static func errorMessage(_ connection: OpaquePointer) -> String {
        guard let text = PQerrorMessage(connection) else { return "unknown libpq error" }
        return DatabaseErrorClassifier.oneLine(String(cString: text))
    }
}
