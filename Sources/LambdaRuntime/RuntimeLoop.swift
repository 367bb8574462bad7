import HTTPClient
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the loop stopped. The process then exits non-zero, and Lambda starts a new sandbox.
public enum RuntimeExit: Sendable, Equatable {
    /// The Runtime API answered 5xx: "Container error. Non-recoverable state. Runtime should exit promptly."
    case runtimeAPIFailed(status: Int)
    /// The Runtime API could not be reached after the allowed number of reconnects.
    case connectionLost(reason: String)
}

/// The Runtime API loop: next event, handler, response or error, and again.
struct RuntimeLoop {
    /// Largest response the Runtime API accepts for a buffered invocation (6 MiB + 100 bytes).
    static let maxResponseBytes = 6_291_556
    /// Consecutive transport failures tolerated before giving up. A thawed sandbox may find its old
    /// connection dead once; a few attempts cover that without spinning on a server that is gone.
    static let maxConsecutiveFailures = 3

    let client: RuntimeAPIClient
    let handler: any LambdaHandler
    let configuration: LambdaConfiguration
    let logger: Logger
    /// Whether to set `_X_AMZN_TRACE_ID` in the process environment for each invocation. Always on in Lambda;
    /// tests that run several loops in one process switch it off, since the environment is process-wide.
    let updatesTraceEnvironment: Bool

    func run() -> RuntimeExit {
        var failures = 0
        while true {
            let response: HTTPResponse
            do {
                response = try client.next()
            } catch {
                failures += 1
                if let exit = giveUpIfNeeded(after: failures, "GET next failed: \(error.message)") { return exit }
                continue
            }
            if response.status >= 500 {
                logger.error("Runtime API answered \(response.status) to GET next; exiting as the API requires.")
                return .runtimeAPIFailed(status: response.status)
            }
            guard response.status == 200 else {
                failures += 1
                if let exit = giveUpIfNeeded(after: failures, "GET next answered \(response.status)") { return exit }
                continue
            }
            switch serve(response) {
            case .served:
                failures = 0
            case .unanswerable:
                // A 200 without a request id is a broken Runtime API: back off and give up like any failed call,
                // rather than asking again at full speed.
                failures += 1
                let reason = "GET next answered 200 without \(RuntimeHeader.requestID)"
                if let exit = giveUpIfNeeded(after: failures, reason) { return exit }
            case .exit(let exit):
                return exit
            }
        }
    }

    /// What became of one event.
    private enum Outcome {
        case served
        /// No request id: it cannot even be answered.
        case unanswerable
        /// The Runtime API is gone or failed.
        case exit(RuntimeExit)
    }

    /// Logs a failed call and says whether to stop; sleeps a little before the next try.
    private func giveUpIfNeeded(after failures: Int, _ reason: String) -> RuntimeExit? {
        guard failures <= RuntimeLoop.maxConsecutiveFailures else {
            logger.critical("Runtime API unreachable after \(failures) attempts (\(reason)); exiting.")
            return .connectionLost(reason: reason)
        }
        logger.warning(
            "\(reason); reconnecting (attempt \(failures + 1) of \(RuntimeLoop.maxConsecutiveFailures + 1)).")
        usleep(UInt32(10_000 * failures))
        return nil
    }

    /// Runs one event through the handler and posts the outcome.
    private func serve(_ response: HTTPResponse) -> Outcome {
        let invocation: Invocation
        do {
            invocation = try Invocation(response: response)
        } catch {
            switch error {
            case .missingRequestID:
                logger.error("GET next returned an event without \(RuntimeHeader.requestID); it cannot be answered.")
                return .unanswerable
            case .invalid(let requestID, let reason):
                let report = ErrorReport(
                    errorType: "Runtime.InvalidInvocation",
                    errorMessage: "The Runtime API sent an invalid event: \(reason).")
                return postError(requestID: requestID, report: report, logger: logger).map(Outcome.exit) ?? .served
            }
        }
        return handle(invocation).map(Outcome.exit) ?? .served
    }

    /// Returns an exit only if the API is gone.
    private func handle(_ invocation: Invocation) -> RuntimeExit? {

        var invocationLogger = logger
        invocationLogger[metadataKey: "requestId"] = "\(invocation.requestID)"
        if let tenant = invocation.tenantID { invocationLogger[metadataKey: "tenantId"] = "\(tenant)" }
        if updatesTraceEnvironment { setTraceEnvironment(invocation.traceID) }

        let context = LambdaContext(
            requestID: invocation.requestID, deadline: invocation.deadline,
            invokedFunctionARN: invocation.invokedFunctionARN, traceID: invocation.traceID,
            clientContext: invocation.clientContext, cognitoIdentity: invocation.cognitoIdentity,
            tenantID: invocation.tenantID, functionName: configuration.functionName,
            functionVersion: configuration.functionVersion, memoryLimitInMB: configuration.memoryLimitInMB,
            logGroupName: configuration.logGroupName, logStreamName: configuration.logStreamName,
            logger: invocationLogger)

        let result: [UInt8]
        do {
            result = try handler.handle(invocation.body, context: context)
        } catch {
            return postError(requestID: invocation.requestID, report: ErrorReport(error), logger: invocationLogger)
        }
        guard result.count <= RuntimeLoop.maxResponseBytes else {
            let report = ErrorReport(
                errorType: "Runtime.ResponseTooLarge",
                errorMessage: "The handler returned \(result.count) bytes; Lambda accepts at most "
                    + "\(RuntimeLoop.maxResponseBytes) bytes for a buffered response. Return less data.")
            return postError(requestID: invocation.requestID, report: report, logger: invocationLogger)
        }
        return post(what: "response", logger: invocationLogger) { () throws(HTTPClientError) in
            try client.postResponse(requestID: invocation.requestID, body: result)
        }
    }

    private func postError(requestID: String, report: ErrorReport, logger: Logger) -> RuntimeExit? {
        logger.error("Invocation failed: \(report.errorType): \(report.errorMessage)")
        return post(what: "error", logger: logger) { () throws(HTTPClientError) in
            try client.postError(requestID: requestID, report: report)
        }
    }

    /// Posts, retrying a dropped connection a bounded number of times, and reacts to the API's answer.
    private func post(what: String, logger: Logger, _ send: () throws(HTTPClientError) -> Int) -> RuntimeExit? {
        var failures = 0
        while true {
            let status: Int
            do {
                status = try send()
            } catch {
                failures += 1
                if let exit = giveUpIfNeeded(after: failures, "POST \(what) failed: \(error.message)") { return exit }
                continue
            }
            switch status {
            case 202:
                return nil
            case 413:
                // The API has already failed the invocation (Function.ResponseSizeTooLarge); posting an error
                // now would only be refused with 403.
                logger.error("Runtime API refused the \(what) as too large (413); the invocation has already failed.")
                return nil
            case 500...:
                logger.error("Runtime API answered \(status) to POST \(what); exiting as the API requires.")
                return .runtimeAPIFailed(status: status)
            default:
                // 400 (wrong or already answered request id) and 403 (out-of-order call) are not retried.
                logger.error("Runtime API answered \(status) to POST \(what); continuing with the next event.")
                return nil
            }
        }
    }

    private func setTraceEnvironment(_ traceID: String?) {
        TraceEnvironment.shared.set(traceID)
    }
}
