import Logging

/// What a handler knows about the invocation it is serving.
public struct LambdaContext: Sendable {
    public var requestID: String
    /// When Lambda will stop the invocation. Work that cannot finish before it should not start.
    public var deadline: Deadline
    public var invokedFunctionARN: String
    /// The X-Ray trace header, when tracing is on.
    public var traceID: String?
    /// The client context JSON (mobile SDK invocations), as sent.
    public var clientContext: String?
    /// The Cognito identity JSON, as sent.
    public var cognitoIdentity: String?
    public var tenantID: String?
    public var functionName: String
    public var functionVersion: String
    public var memoryLimitInMB: Int
    public var logGroupName: String
    public var logStreamName: String
    /// A logger whose records carry this invocation's `requestId`.
    public var logger: Logger

    /// Milliseconds left before the deadline.
    public var remainingTimeMilliseconds: Int64 { deadline.remainingMilliseconds }

    public init(
        requestID: String, deadline: Deadline, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, tenantID: String? = nil,
        functionName: String = "", functionVersion: String = "", memoryLimitInMB: Int = 0,
        logGroupName: String = "", logStreamName: String = "", logger: Logger
    ) {
        self.requestID = requestID
        self.deadline = deadline
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantID = tenantID
        self.functionName = functionName
        self.functionVersion = functionVersion
        self.memoryLimitInMB = memoryLimitInMB
        self.logGroupName = logGroupName
        self.logStreamName = logStreamName
        self.logger = logger
    }
}

/// What a handler factory gets while the function initialises, before the first event.
public struct LambdaInitContext: Sendable {
    public var configuration: LambdaConfiguration
    /// The process environment, read once by `main`; handlers read their settings from here.
    public var environment: [String: String]
    public var logger: Logger
}
