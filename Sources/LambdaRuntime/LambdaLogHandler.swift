import JSON
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log handler that writes one record per line and flushes it at once (one `write(2)` per record,
/// so records from a crashing process are never lost in a buffer and never interleave).
///
/// Text: `2026-11-22T13:46:49.123Z  INFO  <requestId>  message  key=value …`, with line breaks in the message
/// escaped so one record stays one line (log injection). JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`): one object per
/// line with `timestamp` (RFC 3339), `level`, `message`, `requestId` and every metadata field.
public struct LambdaLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let format: LambdaConfiguration.LogFormat
    private let fileDescriptor: Int32

    public init(format: LambdaConfiguration.LogFormat, level: Logger.Level, fileDescriptor: Int32 = 1) {
        self.format = format
        self.logLevel = level
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // `event.error` is left out on purpose: an error's description is not ours to vet for secrets.
        let level = event.level
        let message = event.message
        var fields = metadata
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        let record: String
        switch format {
        case .text: record = textRecord(level: level, message: message.description, fields: fields)
        case .json: record = jsonRecord(level: level, message: message.description, fields: fields)
        }
        writeLine(record)
    }

    /// The Python runtime's text layout, `[LEVEL]\ttimestamp\trequest id\tmessage`
    /// (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html), so metric filters written for AWS's Python
    /// templates (`"[ERROR]"`, `[level=ERROR, …]`) match these lines unchanged.
    private func textRecord(level: Logger.Level, message: String, fields: Logger.Metadata) -> String {
        var record = "[" + LambdaLogHandler.name(of: level) + "]\t" + RFC3339.now()
        if let requestID = fields["requestId"] { record += "\t" + oneLine(requestID.description) }
        record += "\t" + oneLine(message)
        let rest = fields.filter { $0.key != "requestId" }.sorted { $0.key < $1.key }
        if !rest.isEmpty {
            record += "\t" + rest.map { "\($0.key)=\(oneLine($0.value.description))" }.joined(separator: " ")
        }
        return record
    }

    private func jsonRecord(level: Logger.Level, message: String, fields: Logger.Metadata) -> String {
        var object = JSONObject([
            "timestamp": .string(RFC3339.now()),
            "level": .string(LambdaLogHandler.name(of: level)),
            "message": .string(message),
        ])
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where object[key] == nil {
            object[key] = LambdaLogHandler.json(value)
        }
        return object.serialized
    }

    /// Lambda's level names, as Advanced Logging Controls filter on them.
    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(
                JSONObject(
                    dictionary.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: json($0.value)) })
            )
        }
    }

    private func oneLine(_ text: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n", so a Character test would
        // let it through and split the record (and Character iteration is slow on every log line).
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return text }
        return text.replacingNewlines()
    }

    private func writeLine(_ record: String) {
        var bytes = Array(record.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = write(fileDescriptor, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }  // Nowhere left to report a failing log write.
                offset += written
            }
        }
    }
}

extension String {
    /// CR and LF written as the two-character escapes `\r` and `\n`.
    fileprivate func replacingNewlines() -> String {
        var result = ""
        var runStart = utf8.startIndex
        var index = runStart
        while index < utf8.endIndex {
            let byte = utf8[index]
            guard byte == 0x0A || byte == 0x0D else {
                index = utf8.index(after: index)
                continue
            }
            result += Substring(unicodeScalars[runStart..<index])
            result += byte == 0x0A ? "\\n" : "\\r"
            index = utf8.index(after: index)
            runStart = index
        }
        result += Substring(unicodeScalars[runStart..<utf8.endIndex])
        return result
    }
}
