/// Handles one event at a time. Lambda sends the next event only after this one returned.
public protocol LambdaHandler {
    /// Returns the response body, or throws to report the invocation as failed.
    /// - Throws: any error; a `LambdaReportableError` chooses its own `errorType` and message, any other error
    ///   is reported by its type name only (its description might contain data that must not leave the function).
    func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8]
}

/// A handler made from a closure, for small functions and tests.
public struct ClosureHandler: LambdaHandler {
    private let body: (_ event: [UInt8], _ context: LambdaContext) throws -> [UInt8]

    public init(_ body: @escaping (_ event: [UInt8], _ context: LambdaContext) throws -> [UInt8]) {
        self.body = body
    }

    public func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        try body(event, context)
    }
}
