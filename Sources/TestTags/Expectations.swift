import Rotation
import TestSupport
import Testing

/// The Lambda `errorType` (`Target.LoginFailed`, `Rotation.InvalidSecret`, …) and message of the
/// `RotationError` that `body` throws, or `nil` (recorded as an issue) when it throws nothing or something else.
package func targetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> (
    type: String, message: String
)? {
    do {
        try body()
        Issue.record("expected a RotationError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RotationError {
        return (error.errorType, error.errorMessage)
    } catch {
        Issue.record("expected a RotationError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Records an issue for each secret found in `text`.
package func expectNoSecrets(
    _ secrets: [String], in text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let scanner = LeakScanner()
    for secret in secrets { scanner.watch(secret) }
    for finding in scanner.findings(in: text) {
        Issue.record("\(what): \(finding)", sourceLocation: sourceLocation)
    }
}
