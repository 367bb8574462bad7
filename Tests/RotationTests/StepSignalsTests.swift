import JSON
import LambdaRuntime
import Rotation
import TestSupport
import Testing

@Suite("Step outcome lines and their metrics (EMF)")
struct StepSignalsTests {
    let failure = StepOutcome(
        step: "setSecret", secretId: "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf", target: "postgres",
        strategy: "single", durationMilliseconds: 12.34, errorType: "Target.Network")
    let success = StepOutcome(
        step: "createSecret", secretId: "s", target: "generic", strategy: nil, durationMilliseconds: 3,
        errorType: nil)

    func line(_ outcome: StepOutcome, format: LambdaConfiguration.LogFormat = .text, metrics: Bool = true) -> String {
        StepSignals(functionName: "rotator-fn", metrics: metrics, format: format, write: { _ in })
            .line(outcome, requestID: "req-1", epochMilliseconds: 1_764_590_400_123).serialized
    }

    @Test("a failure: the step, target, strategy, error type and category, and valid EMF for both metrics")
    func failureLine() throws {
        let text = line(failure)
        #expect(EmbeddedMetricFormat.problems(in: text).isEmpty, "\(EmbeddedMetricFormat.problems(in: text))")
        let object = try #require(try JSONValue(parsing: text).objectValue)
        #expect(object["Step"] == .string("setSecret") && object["Target"] == .string("postgres"))
        #expect(object["Strategy"] == .string("single") && object["Outcome"] == .string("failure"))
        #expect(object["ErrorType"] == .string("Target.Network") && object["Category"] == .string("network"))
        #expect(object["StepFailures"] == .number("1") && object["StepDuration"] == .number("12.3"))
        #expect(object["FunctionName"] == .string("rotator-fn"))
        let directives = try #require(object["_aws"]?.objectValue?["CloudWatchMetrics"]?.arrayValue)
        #expect(directives.count == 2)
        #expect(object["_aws"]?.objectValue?["Timestamp"] == .number("1764590400123"))
        #expect(object["timestamp"] == nil, "text format: bare EMF, no Lambda JSON-format members")
    }

    @Test("a success has no failure metric; JSON log format adds timestamp, level, requestId")
    func successLine() throws {
        let text = line(success, format: .json)
        #expect(EmbeddedMetricFormat.problems(in: text).isEmpty)
        let object = try #require(try JSONValue(parsing: text).objectValue)
        #expect(object["StepFailures"] == nil && object["Category"] == nil && object["Strategy"] == nil)
        #expect(object["_aws"]?.objectValue?["CloudWatchMetrics"]?.arrayValue?.count == 1)
        #expect(object["level"] == .string("INFO") && object["requestId"] == .string("req-1"))
        #expect(object["timestamp"] == .string("2025-12-01T12:00:00.123Z"))
        #expect(object["message"] == .string("createSecret succeeded in 3.0 ms"))
        #expect(try JSONValue(parsing: line(failure, format: .json)).objectValue?["level"] == .string("ERROR"))
    }

    @Test("ROTATOR_METRICS=off keeps the line without the metric part; bad settings are refused")
    func settings() throws {
        let off = line(failure, metrics: false)
        #expect(!off.contains("_aws") && off.contains("\"Category\":\"network\""))
        #expect(!EmbeddedMetricFormat.problems(in: off).isEmpty, "the validator rejects a line without _aws")
        let configuration = LambdaConfiguration(environment: ["AWS_LAMBDA_FUNCTION_NAME": "f"])
        #expect(try StepSignals(environment: [:], configuration: configuration).metrics)
        #expect(try !StepSignals(environment: ["ROTATOR_METRICS": "off"], configuration: configuration).metrics)
        #expect(
            try StepSignals(environment: ["ROTATOR_METRICS_NAMESPACE": "Team/Rotation"], configuration: configuration)
                .namespace == "Team/Rotation")
        #expect(throws: ConfigurationError.self) {
            try StepSignals(environment: ["ROTATOR_METRICS": "maybe"], configuration: configuration)
        }
        #expect(throws: ConfigurationError.self) {
            try StepSignals(environment: ["ROTATOR_METRICS_NAMESPACE": "bad{name}"], configuration: configuration)
        }
    }

    @Test("the validator catches a broken record: no number for a metric, a dimension without its member, a bad unit")
    func validatorHasTeeth() {
        let broken = #"""
            {"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Missing"]],"Metrics":[{"Name":"M","Unit":"Parsecs"}]}]},"M":"text"}
            """#
        let problems = EmbeddedMetricFormat.problems(in: broken)
        #expect(problems.contains("dimension Missing has no string member"))
        #expect(problems.contains("metric M has no number member"))
        #expect(problems.contains { $0.contains("Parsecs") })
        #expect(EmbeddedMetricFormat.problems(in: #"{"_aws":{"Timestamp":"x"}}"#).count == 2)
    }

    @Test(
        "every error type has a category that says where to look",
        arguments: [
            ("Target.Network", FailureCategory.network), ("SecretsManager.NetworkError", .network),
            ("Target.TLS", .tls), ("SecretsManager.TLSError", .tls), ("Target.LoginFailed", .authentication),
            ("SecretsManager.AccessDeniedException", .permission), ("Target.Permission", .permission),
            ("SecretsManager.DecryptionFailure", .permission), ("Target.ConfigInvalid", .configuration),
            ("Runtime.ConfigInvalid", .configuration), ("SecretsManager.DeadlineExceeded", .deadline),
            ("Target.Timeout", .deadline), ("Rotation.InvalidSecret", .secret), ("Rotation.NotPending", .state),
            ("Rotation.InvalidEvent", .input), ("Target.QueryFailed", .other), ("Something.New", .other),
        ])
    func categories(errorType: String, category: FailureCategory) {
        #expect(FailureCategory(errorType: errorType) == category)
    }
}
