/// A rotation that cannot go on. Each case maps to a Lambda `errorType` a user can search for, and its
/// message says what to do. Messages name secrets, versions, users and hosts; never a secret value.
public enum RotationError: Error, Sendable {
    case missingVersion(stage: String, secretId: String)
    /// A target's own failure: `errorType` is `Target.<reason>` (for example `Target.LoginFailed`).
    case target(reason: String, message: String)
}
