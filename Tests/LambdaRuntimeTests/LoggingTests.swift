import Foundation
import LambdaRuntime
import Logging
import TestSupport
import Testing

@Suite("Lambda log format")
struct LoggingTests {
    private func logLines(format: String?, level: String?) throws -> [Substring] {
        let fake = try FakeRuntimeAPI(script: [.event(.init(requestID: "log-req", json: "{}"))])
        var environment: [String: String] = [:]
        environment["AWS_LAMBDA_LOG_FORMAT"] = format
        environment["AWS_LAMBDA_LOG_LEVEL"] = level
        let (_, log) = runInProcess(fake, environment: environment) { _ in
            ClosureHandler { event, context in
                context.logger.debug("debug line")
                context.logger.info("info line", metadata: ["secretId": "arn:aws:secretsmanager:x"])
                context.logger.error("error line\ninjected fake record")
                context.logger.warning("crlf line\r\ninjected crlf record")
                return event
            }
        }
        // Split at every line break a log reader would see, "\r\n" (one Character) included.
        return log.split(whereSeparator: { $0.isNewline })
    }

    @Test("JSON format: one object per line with timestamp, level, message, requestId and metadata")
    func jsonRecords() throws {
        let lines = try logLines(format: "JSON", level: nil)
        let records = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let info = try #require(records.first { $0["message"] as? String == "info line" })
        #expect(info["level"] as? String == "INFO")
        #expect(info["requestId"] as? String == "log-req")
        #expect(info["secretId"] as? String == "arn:aws:secretsmanager:x")
        let timestamp = try #require(info["timestamp"] as? String)
        #expect(
            timestamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil)
        #expect(records.contains { $0["message"] as? String == "error line\ninjected fake record" })
        #expect(!records.contains { $0["message"] as? String == "debug line" })
    }

    @Test(
        "AWS_LAMBDA_LOG_LEVEL filters records",
        arguments: [("ERROR", false, true), ("DEBUG", true, true), ("TRACE", true, true)])
    func levelFilter(level: String, expectDebug: Bool, expectError: Bool) throws {
        let lines = try logLines(format: "JSON", level: level)
        #expect(lines.contains { $0.contains(#""message":"debug line""#) } == expectDebug)
        #expect(lines.contains { $0.contains(#""message":"error line"#) } == expectError)
        if level == "ERROR" { #expect(!lines.contains { $0.contains("info line") }) }
    }

    @Test("text format: one line per record, line breaks escaped, request id in its column")
    func textRecords() throws {
        let lines = try logLines(format: nil, level: nil)
        let error = try #require(lines.first { $0.contains("error line") })
        // The Python runtime's layout: metric filters written for AWS's templates match on "[ERROR]" first.
        #expect(error.hasPrefix("[ERROR]\t"), "\(error)")
        #expect(error.contains("Z\tlog-req\terror line\\ninjected fake record"))
        #expect(!lines.contains { $0.hasPrefix("injected") })
        #expect(lines.contains { $0.contains("crlf line\\r\\ninjected crlf record") }, "\(lines)")
        let info = try #require(lines.first { $0.contains("info line") })
        #expect(info.hasSuffix("secretId=arn:aws:secretsmanager:x"))
    }

    @Test("the error report body is the standard Lambda document and escapes control characters")
    func errorReportBody() throws {
        let report = ErrorReport(errorType: "A.B", errorMessage: "quote \" backslash \\ newline \n tab \t bell \u{07}")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(report.body)) as? [String: Any])
        #expect(document["errorType"] as? String == "A.B")
        #expect(document["errorMessage"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07}")
        #expect((document["stackTrace"] as? [Any])?.isEmpty == true)
    }
}
