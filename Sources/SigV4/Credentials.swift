/// AWS credentials: an access key id, its secret, and for temporary credentials a session token.
///
/// Every textual form (`description`, `debugDescription`, `dump`, string interpolation) shows the access key
/// id and whether a token is present, never the secret key or the token: these values end up in logs.
public struct Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Present for temporary credentials (`ASIA…` keys from STS or the Lambda execution role).
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: "
            + (sessionToken == nil ? "none)" : "<redacted>)")
    }

    public var debugDescription: String { description }

    /// Reflection (`dump`, debuggers, test failure output) sees only the redacted form.
    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }
}
