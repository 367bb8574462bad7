import JSON
import LambdaRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How one rotation step ended.
public struct StepOutcome: Sendable, Equatable {
    /// `createSecret` … `finishSecret`, or `unknown` for an event that was not a rotation event.
    public var step: String
    public var secretId: String?
    /// The target's name (`postgres`) and its strategy for this secret (`single`, `alternating`, `dual`), once known.
    public var target: String?
    public var strategy: String?
    public var durationMilliseconds: Double
    /// `nil` on success.
    public var errorType: String?

    public init(
        step: String, secretId: String?, target: String?, strategy: String?, durationMilliseconds: Double,
        errorType: String?
    ) {
        self.step = step
        self.secretId = secretId
        self.target = target
        self.strategy = strategy
        self.durationMilliseconds = durationMilliseconds
        self.errorType = errorType
    }

    public var category: FailureCategory? { errorType.map(FailureCategory.init(errorType:)) }
}

/// One line per step in the function's log that says how it ended, and is at the same time a CloudWatch Embedded
/// Metric Format record: CloudWatch Logs turns it into metrics, with no API call and no permission
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
///
/// Metrics, in `ROTATOR_METRICS_NAMESPACE` (default `Rotator`): `StepDuration` (milliseconds) by `FunctionName` and
/// `Step`; `StepFailures` (count, written only for a failure) by `FunctionName`, and by `FunctionName` and
/// `Category`. `ROTATOR_METRICS=off` keeps the line but leaves out the metric part.
///
/// EMF needs the line to be a JSON object on its own, so with Lambda's text log format the line is bare JSON; with
/// the JSON format (`AWS_LAMBDA_LOG_FORMAT=JSON`) it also carries the format's `timestamp`, `level`, `message` and
/// `requestId` (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
public struct StepSignals: Sendable {
    public var namespace: String
    public var functionName: String
    public var metrics: Bool
    public var format: LambdaConfiguration.LogFormat
    /// Where lines go: standard output in Lambda.
    let write: @Sendable (String) -> Void

    public init(
        namespace: String = "Rotator", functionName: String, metrics: Bool = true,
        format: LambdaConfiguration.LogFormat, write: @escaping @Sendable (String) -> Void = StepSignals.standardOutput
    ) {
        self.namespace = namespace
        self.functionName = functionName
        self.metrics = metrics
        self.format = format
        self.write = write
    }

    /// The settings from the environment (`ROTATOR_METRICS`, `ROTATOR_METRICS_NAMESPACE`) and Lambda's configuration.
    /// - Throws: `ConfigurationError` for a value it does not know, or a namespace CloudWatch would refuse.
    public init(environment: [String: String], configuration: LambdaConfiguration) throws(ConfigurationError) {
        let switchText = (environment["ROTATOR_METRICS"] ?? "on").lowercased()
        guard ["on", "off", "true", "false", "1", "0"].contains(switchText) else {
            throw ConfigurationError("ROTATOR_METRICS must be on or off, not \"\(switchText.loggable)\"")
        }
        let namespace = environment["ROTATOR_METRICS_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "Rotator"
        // CloudWatch namespaces: 1 to 255 characters, letters, digits and . - _ / # : (no leading colon).
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/#: ")
        guard namespace.count <= 255, namespace.allSatisfy(allowed.contains), !namespace.hasPrefix(":") else {
            throw ConfigurationError(
                "ROTATOR_METRICS_NAMESPACE \"\(namespace.loggable)\" is not a CloudWatch namespace (letters, digits "
                    + "and . - _ / # : only, at most 255)")
        }
        self.init(
            namespace: namespace, functionName: configuration.functionName,
            metrics: ["on", "true", "1"].contains(switchText), format: configuration.logFormat)
    }

    /// Writes the line for `outcome`.
    public func record(
        _ outcome: StepOutcome, requestID: String?, epochMilliseconds: Int64 = Deadline.now().epochMilliseconds
    ) {
        write(line(outcome, requestID: requestID, epochMilliseconds: epochMilliseconds).serialized)
    }

    /// The line as a JSON object.
    public func line(_ outcome: StepOutcome, requestID: String?, epochMilliseconds: Int64) -> JSONObject {
        var object = JSONObject()
        let failed = outcome.errorType != nil
        if format == .json {
            let seconds = Int(epochMilliseconds / 1_000)
            object["timestamp"] = .string(
                RFC3339.format(seconds: seconds, milliseconds: Int(epochMilliseconds % 1_000)))
            object["level"] = .string(failed ? "ERROR" : "INFO")
            if let requestID { object["requestId"] = .string(requestID) }
        }
        let duration = (outcome.durationMilliseconds * 10).rounded() / 10
        object["message"] = .string(
            failed
                ? "\(outcome.step) failed after \(duration) ms: \(outcome.errorType ?? "")"
                : "\(outcome.step) succeeded in \(duration) ms")
        if metrics {
            var directives: [JSONValue] = [
                directive(dimensions: [["FunctionName", "Step"]], metric: "StepDuration", unit: "Milliseconds")
            ]
            if failed {
                directives.append(
                    directive(
                        dimensions: [["FunctionName"], ["FunctionName", "Category"]], metric: "StepFailures",
                        unit: "Count"))
            }
            object["_aws"] = .object(
                JSONObject(["Timestamp": .integer(Int(epochMilliseconds)), "CloudWatchMetrics": .array(directives)]))
        }
        object["FunctionName"] = .string(functionName.isEmpty ? "local" : functionName)
        object["Step"] = .string(outcome.step)
        object["Outcome"] = .string(failed ? "failure" : "success")
        if let target = outcome.target { object["Target"] = .string(target) }
        if let strategy = outcome.strategy { object["Strategy"] = .string(strategy) }
        if let secretId = outcome.secretId { object["SecretId"] = .string(secretId) }
        if let errorType = outcome.errorType, let category = outcome.category {
            object["ErrorType"] = .string(errorType)
            object["Category"] = .string(category.rawValue)
            object["StepFailures"] = .integer(1)
        }
        object["StepDuration"] = .number(String(duration))
        return object
    }

    private func directive(dimensions: [[String]], metric: String, unit: String) -> JSONValue {
        .object(
            JSONObject([
                "Namespace": .string(namespace),
                "Dimensions": .array(dimensions.map { .array($0.map(JSONValue.string)) }),
                "Metrics": .array([.object(JSONObject(["Name": .string(metric), "Unit": .string(unit)]))]),
            ]))
    }

    /// One `write(2)` of the line to standard output, as the log handler does.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = Glibc.write(1, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
