import LambdaRuntime

#if canImport(Glibc)
    import Glibc
#endif

// A minimal function on the same runtime: the baseline for `make bench` and the process-level runtime tests.
// It answers every event with its own bytes, except the event `_X_AMZN_TRACE_ID`, which it answers with that
// variable's value (or `<unset>`), so tests can watch the runtime set and unset it; and the event `fail`,
// which it answers with an error.
struct EchoFailure: LambdaReportableError {
    var errorType: String { "Echo.Failure" }
    var errorMessage: String { "the event asked the echo function to fail" }
}

let status = LambdaRuntime.run(environment: ProcessEnvironment.read()) { initContext in
    if initContext.environment["ECHO_INIT_FAIL"] == "1" {
        throw ErrorReport(
            errorType: "Runtime.ConfigInvalid", errorMessage: "ECHO_INIT_FAIL=1 asks initialisation to fail")
    }
    return ClosureHandler { event, _ in
        switch String(decoding: event, as: UTF8.self) {
        case "_X_AMZN_TRACE_ID":
            return Array((getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) } ?? "<unset>").utf8)
        case "fail":
            throw EchoFailure()
        default:
            return event
        }
    }
}
exit(status)
