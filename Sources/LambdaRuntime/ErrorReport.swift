import JSON

/// An error that knows how Lambda should report it: `errorType` is what users search for
/// (`Rotation.NotEnabled`, `Runtime.ConfigInvalid`, …) and `errorMessage` says what went wrong and what to do.
/// Neither may contain a secret.
public protocol LambdaReportableError: Error {
    var errorType: String { get }
    var errorMessage: String { get }
}

/// The standard Lambda error document: `{"errorMessage", "errorType", "stackTrace": []}`.
public struct ErrorReport: Sendable, Equatable, LambdaReportableError {
    public var errorType: String
    public var errorMessage: String

    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }

    /// The report for any error. Errors that are not `LambdaReportableError` are named by their type only,
    /// because their description is not ours to vet for secrets.
    public init(_ error: any Error, fallbackType: String = "Function.UnhandledError") {
        if let reportable = error as? any LambdaReportableError {
            self.init(errorType: reportable.errorType, errorMessage: reportable.errorMessage)
        } else {
            let typeName = String(describing: type(of: error))
            self.init(
                errorType: fallbackType,
                errorMessage: "The handler failed with an error of type \(typeName), which carries no report.")
        }
    }

    /// The JSON body for `/invocation/{id}/error` and `/init/error`.
    public var body: [UInt8] {
        JSONValue.object(
            JSONObject([
                "errorMessage": .string(errorMessage),
                "errorType": .string(errorType),
                "stackTrace": .array([]),
            ])
        ).serializedBytes
    }

    /// A header value can't hold control characters: they would end the header early.
    var headerSafeType: String {
        String(errorType.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
    }
}
