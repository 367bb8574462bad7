import HTTPClient
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a Lambda function on the Runtime API.
///
/// ```swift
/// exit(LambdaRuntime.run(environment: ProcessEnvironment.read()) { initContext in MyHandler() })
/// ```
public enum LambdaRuntime {
    /// Initialises the handler and serves events until the Runtime API goes away; returns the exit status.
    ///
    /// Everything `makeHandler` does happens before the first `GET next`, while Lambda's init phase runs at full
    /// CPU. If it throws, the error is posted to `/runtime/init/error` (with a `Runtime.<Reason>` type) and the
    /// function returns 1, so Lambda shows the reason instead of a bare `Runtime.ExitError`.
    /// - Parameters:
    ///   - updatesTraceEnvironment: set `_X_AMZN_TRACE_ID` per invocation (leave on outside tests).
    ///   - logFileDescriptor: where log records go; Lambda collects standard output.
    ///   - postTimeoutMilliseconds: how long a POST to the Runtime API may take before it is tried again (5 s;
    ///     tests of a Runtime API that never answers shorten it).
    public static func run(
        environment: [String: String], updatesTraceEnvironment: Bool = true, logFileDescriptor: Int32 = 1,
        postTimeoutMilliseconds: Int = 5_000, makeHandler: (LambdaInitContext) throws -> any LambdaHandler
    ) -> Int32 {
        // With CURLOPT_NOSIGNAL libcurl does not protect us from SIGPIPE on a connection the peer closed.
        signal(SIGPIPE, SIG_IGN)
        let configuration = LambdaConfiguration(environment: environment)
        let logger = Logger(label: "rotator") { _ in
            LambdaLogHandler(
                format: configuration.logFormat, level: configuration.logLevel, fileDescriptor: logFileDescriptor)
        }
        guard let runtimeAPI = configuration.runtimeAPI else {
            logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda.")
            return 1
        }
        let client: RuntimeAPIClient
        do {
            client = try RuntimeAPIClient(hostAndPort: runtimeAPI, postTimeoutMilliseconds: postTimeoutMilliseconds)
        } catch {
            logger.critical("Cannot create the Runtime API client: \(error.message)")
            return 1
        }

        let handler: any LambdaHandler
        do {
            handler = try makeHandler(
                LambdaInitContext(configuration: configuration, environment: environment, logger: logger))
        } catch {
            var report = ErrorReport(error, fallbackType: "Runtime.UnknownReason")
            if !report.errorType.hasPrefix("Runtime.") {
                report.errorType = "Runtime." + report.errorType.replacingDots()
            }
            logger.critical("Initialisation failed: \(report.errorType): \(report.errorMessage)")
            do {
                let status = try client.postInitError(report: report)
                if status != 202 { logger.error("Runtime API answered \(status) to POST init/error.") }
            } catch {
                logger.error("Could not report the initialisation error: \(error.message)")
            }
            return 1
        }

        let loop = RuntimeLoop(
            client: client, handler: handler, configuration: configuration, logger: logger,
            updatesTraceEnvironment: updatesTraceEnvironment)
        switch loop.run() {
        case .runtimeAPIFailed, .connectionLost:
            return 1
        }
    }
}

extension String {
    /// `Rotation.ConfigInvalid` → `RotationConfigInvalid`: the init error type must read `Runtime.<Reason>`.
    fileprivate func replacingDots() -> String { String(filter { $0 != "." }) }
}

/// The process environment as a dictionary, read once by `main` and passed down as a value.
public enum ProcessEnvironment {
    public static func read() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
