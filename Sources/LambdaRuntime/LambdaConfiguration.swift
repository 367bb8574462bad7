import Logging

/// Everything the runtime reads from Lambda's environment, read once before the first event.
public struct LambdaConfiguration: Sendable {
    /// `host:port` of the Runtime API (`AWS_LAMBDA_RUNTIME_API`); `nil` outside Lambda.
    public var runtimeAPI: String?
    public var functionName: String
    public var functionVersion: String
    public var memoryLimitInMB: Int
    public var logGroupName: String
    public var logStreamName: String
    public var logFormat: LogFormat
    public var logLevel: Logger.Level

    public enum LogFormat: Sendable, Equatable {
        case text
        case json
    }

    public init(environment: [String: String]) {
        runtimeAPI = environment["AWS_LAMBDA_RUNTIME_API"].flatMap { $0.isEmpty ? nil : $0 }
        functionName = environment["AWS_LAMBDA_FUNCTION_NAME"] ?? ""
        functionVersion = environment["AWS_LAMBDA_FUNCTION_VERSION"] ?? ""
        memoryLimitInMB = environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"].flatMap { Int($0) } ?? 0
        logGroupName = environment["AWS_LAMBDA_LOG_GROUP_NAME"] ?? ""
        logStreamName = environment["AWS_LAMBDA_LOG_STREAM_NAME"] ?? ""
        logFormat = environment["AWS_LAMBDA_LOG_FORMAT"]?.uppercased() == "JSON" ? .json : .text
        logLevel = environment["AWS_LAMBDA_LOG_LEVEL"].flatMap(LambdaConfiguration.level(named:)) ?? .info
    }

    /// Lambda's level names (Advanced Logging Controls) mapped onto swift-log's levels.
    static func level(named name: String) -> Logger.Level? {
        switch name.uppercased() {
        case "TRACE": .trace
        case "DEBUG": .debug
        case "INFO": .info
        case "WARN", "WARNING": .warning
        case "ERROR": .error
        case "FATAL", "CRITICAL": .critical
        default: nil
        }
    }
}
