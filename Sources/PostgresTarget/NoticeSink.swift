import CLibPQ
import Logging
import Redaction
import Rotation

/// Receives the server's notices (NOTICE, WARNING, and LOG or DEBUG when a role's `client_min_messages` asks for
/// them) in place of libpq's default receiver, which writes them raw to stderr, past the log format and any
/// redaction (https://www.postgresql.org/docs/15/libpq-notice-processing.html).
///
/// Only the primary message is kept, one line, with the connection's password and the current statement's
/// sensitive strings cut out; the detail and context fields are dropped (a `debug_print_parse` LOG puts the parse
/// tree of `ALTER ROLE`, verifier included, in its detail).
final class NoticeSink {
    /// Longest notice text logged; a server could send anything.
    static let maximumLength = 300

    let logger: Logger?
    let password: String
    /// Strings of the statement in flight (a password, its verifier) that must not be logged.
    var sensitive: [String] = []

    init(logger: Logger?, password: String) {
        self.logger = logger
        self.password = password
    }

    /// Makes this sink the connection's notice receiver; it must outlive the connection (its owner holds both).
    func install(on connection: OpaquePointer) {
        _ = PQsetNoticeReceiver(
            connection,
            { argument, result in
                guard let argument, let result else { return }
                Unmanaged<NoticeSink>.fromOpaque(argument).takeUnretainedValue().receive(result)
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func receive(_ result: OpaquePointer) {
        guard let logger else { return }
        let severity = field(result, "V") ?? field(result, "S") ?? "NOTICE"
        let sqlState = field(result, "C").map { " (SQLSTATE \($0))" } ?? ""
        var text = DatabaseErrorClassifier.oneLine(field(result, "M") ?? "")
        text = text.redacting(sensitive + [password])
        if text.count > Self.maximumLength { text = String(text.prefix(Self.maximumLength)) + "…" }
        let line: Logger.Message = "PostgreSQL server \(severity)\(sqlState): \(text.loggable)"
        switch severity {
        case "WARNING": logger.warning(line)
        case "NOTICE", "INFO": logger.info(line)
        default: logger.debug(line)
        }
    }

    private func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: value)
    }
}
