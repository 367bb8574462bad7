import DatabaseRotation

/// Sorts libpq failures into `DatabaseError.Category`.
///
/// Query errors carry a SQLSTATE and are sorted by it. A failed connection has no SQLSTATE in libpq's API,
/// so those are sorted by libpq's message texts; the client runs in the C locale and libpq's own messages are
/// not translated there, while the server's FATAL texts come in the server's `lc_messages` (English on RDS).
enum DatabaseErrorClassifier {
    /// The category of a query error from its five-character SQLSTATE.
    static func category(sqlState: String) -> DatabaseError.Category {
        switch sqlState {
        case "28P01", "28000": return .authentication
        case "42501": return .permission
        case "3D000": return .configuration
        case "57014": return .timeout
        default: break
        }
        // Class 08 is "connection exception", 57P0x the server shutting down or starting, 53 out of resources.
        if sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53") { return .network }
        if sqlState.hasPrefix("28") { return .authentication }
        return .query
    }

    /// The category of a failed connection attempt from libpq's error message.
    static func category(connectionMessage message: String) -> DatabaseError.Category {
        let text = lastAttempt(of: message).lowercased()
        func has(_ needles: String...) -> Bool { needles.contains { text.contains($0) } }
        // Order matters: "no pg_hba.conf entry … SSL off" names SSL but is the server refusing the login.
        if has("is not permitted to log in", "permission denied for database", "must have connect privilege") {
            return .permission
        }
        if has(
            "root certificate file", "could not read certificate", "invalid sslmode", "invalid connection option",
            "invalid port number", "invalid integer value")
        {
            return .configuration
        }
        if has("database \"") && has("does not exist") { return .configuration }
        if has(
            "password authentication failed", "no pg_hba.conf entry", "pg_hba.conf rejects",
            "authentication failed", "no password supplied", "role \"")
        {
            return .authentication
        }
        if has(
            "ssl syscall error", "timeout expired", "could not connect", "connection refused",
            "could not translate host name", "network is unreachable", "no route to host",
            "server closed the connection", "could not send", "could not receive", "connection reset",
            "the database system is", "too many clients", "remaining connection slots", "connection timed out")
        {
            return .network
        }
        if has("ssl", "certificate", "tls") { return .tls }
        // Unrecognised (for example a login failure in the server's own language): not `.network`, which would
        // mark the host unreachable and skip the remaining credentials.
        return .connectionFailed
    }

    /// The part of the message about the last address tried, after libpq's `connection to server at "h"
    /// (addr), port p failed:` prefix. A host name resolving to several addresses (`localhost`) gives one
    /// paragraph per address, and an early "Connection refused" on `::1` must not hide a later TLS failure;
    /// dropping the prefix also keeps a host name such as `ssl.example.com` from steering the result.
    static func lastAttempt(of message: String) -> Substring {
        var rest = Substring(message)
        if let start = rest.ranges(of: "connection to server ").last {
            rest = rest[start.upperBound...]
            if let failed = rest.firstRange(of: " failed: ") { rest = rest[failed.upperBound...] }
        }
        return rest
    }

    /// libpq's multi-line text as one log- and error-friendly line.
    static func oneLine(_ message: String) -> String {
        var words: [Substring] = []
        for word in message.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            words.append(word)
        }
        return words.joined(separator: " ")
    }
}
