import HTTPClient
import Timekeeping

/// One event from `GET /runtime/invocation/next`, with its metadata headers.
struct Invocation {
    var requestID: String
    var deadline: Deadline
    var invokedFunctionARN: String
    var traceID: String?
    var clientContext: String?
    var cognitoIdentity: String?
    var tenantID: String?
    var body: [UInt8]

    /// Why an event cannot be handed to the handler.
    enum Problem: Error, Equatable {
        /// Without a request id the event cannot even be answered.
        case missingRequestID
        /// The event can be answered, with an error saying what was wrong.
        case invalid(requestID: String, reason: String)
    }

    /// Reads the metadata headers (names compared case-insensitively). Only the request id and the deadline
    /// are required; every other header is optional, and an empty value counts as absent.
    init(response: HTTPResponse) throws(Problem) {
        func header(_ name: String) -> String? {
            guard let value = response.headers[name], !value.isEmpty else { return nil }
            return value
        }
        guard let requestID = header(RuntimeHeader.requestID) else { throw .missingRequestID }
        guard let deadlineText = header(RuntimeHeader.deadline) else {
            throw .invalid(requestID: requestID, reason: "the \(RuntimeHeader.deadline) header is missing")
        }
        guard let deadline = Int64(deadlineText), deadline > 0 else {
            throw .invalid(
                requestID: requestID,
                reason: "the \(RuntimeHeader.deadline) header is not a count of epoch milliseconds")
        }
        self.requestID = requestID
        self.deadline = Deadline(epochMilliseconds: deadline)
        self.invokedFunctionARN = header(RuntimeHeader.invokedFunctionARN) ?? ""
        self.traceID = header(RuntimeHeader.traceID)
        self.clientContext = header(RuntimeHeader.clientContext)
        self.cognitoIdentity = header(RuntimeHeader.cognitoIdentity)
        self.tenantID = header(RuntimeHeader.tenantID)
        self.body = response.body
    }
}

/// Header names of the Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
enum RuntimeHeader {
    static let requestID = "Lambda-Runtime-Aws-Request-Id"
    static let deadline = "Lambda-Runtime-Deadline-Ms"
    static let invokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
    static let traceID = "Lambda-Runtime-Trace-Id"
    static let clientContext = "Lambda-Runtime-Client-Context"
    static let cognitoIdentity = "Lambda-Runtime-Cognito-Identity"
    static let tenantID = "Lambda-Runtime-Aws-Tenant-Id"
    static let functionErrorType = "Lambda-Runtime-Function-Error-Type"
}
