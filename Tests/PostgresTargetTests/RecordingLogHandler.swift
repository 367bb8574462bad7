import Foundation
import Logging

/// A log handler that keeps every line, so tests can look for warnings and scan for secrets.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(level: Logger.Level, text: String)] = []

    var logger: Logger {
        var logger = Logger(label: "postgres-target-tests") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ level: Logger.Level, _ text: String) {
        lock.lock()
        recorded.append((level, text))
        lock.unlock()
    }

    var lines: [(level: Logger.Level, text: String)] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    var allText: String { lines.map(\.text).joined(separator: "\n") }

    func contains(_ level: Logger.Level, _ fragment: String) -> Bool {
        lines.contains { $0.level == level && $0.text.contains(fragment) }
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let metadataText = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        recorder.append(event.level, "\(event.message) \(metadataText)")
    }
}
