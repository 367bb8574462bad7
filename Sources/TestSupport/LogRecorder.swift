import Logging
import Synchronization

/// A logger that keeps every record (message and metadata), so tests can look for a line, count warnings and
/// scan for secrets.
package final class LogRecorder: Sendable {
    private let recorded = Mutex<[(level: Logger.Level, text: String)]>([])

    package init() {}

    /// A logger at trace level that records into this recorder.
    package var logger: Logger {
        var logger = Logger(label: "test") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every record so far: level, and the message followed by the metadata as sorted `key=value` pairs.
    package var lines: [(level: Logger.Level, text: String)] { recorded.withLock { $0 } }

    package var allText: String { lines.map(\.text).joined(separator: "\n") }

    /// Whether a record at `level` contains `fragment`.
    package func contains(_ level: Logger.Level, _ fragment: String) -> Bool {
        lines.contains { $0.level == level && $0.text.contains(fragment) }
    }

    fileprivate func append(_ level: Logger.Level, _ text: String) {
        recorded.withLock { $0.append((level, text)) }
    }
}

private struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let metadataText = fields.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        recorder.append(event.level, metadataText.isEmpty ? "\(event.message)" : "\(event.message) \(metadataText)")
    }
}
