import JSON
import SigV4
import Timekeeping

/// The JSON that credential processes, container endpoints and the instance metadata service answer with:
/// `AccessKeyId`, `SecretAccessKey`, `SessionToken` (processes) or `Token` (endpoints), and an RFC 3339 `Expiration`
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html,
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html).
enum CredentialDocument {
    /// - Parameter origin: names the source in errors, which never quote the document (it holds the secret).
    /// - Parameter requiresVersion1: credential processes must say `"Version": 1`.
    static func read(_ bytes: [UInt8], origin: String, requiresVersion1: Bool = false) throws(CredentialError)
        -> ExpiringCredentials
    {
        guard let document = try? JSONValue(parsing: String(decoding: bytes, as: UTF8.self)),
            document.objectValue != nil
        else {
            throw CredentialError("\(origin) did not answer with a JSON object (\(bytes.count) bytes; not shown)")
        }
        if requiresVersion1 && document["Version"]?.intValue != 1 {
            throw CredentialError("\(origin) must print \"Version\": 1 (the only version the SDKs define)")
        }
        if let code = document["Code"]?.stringValue, code != "Success" {
            throw CredentialError("\(origin) answered Code \"\(code.prefix(64))\"")
        }
        guard let accessKey = document["AccessKeyId"]?.stringValue, !accessKey.isEmpty,
            let secret = document["SecretAccessKey"]?.stringValue, !secret.isEmpty
        else {
            throw CredentialError("\(origin) answered without AccessKeyId and SecretAccessKey")
        }
        let token = document["SessionToken"]?.stringValue ?? document["Token"]?.stringValue
        var expiration: Double?
        if let text = document["Expiration"]?.stringValue {
            guard let parsed = RFC3339.parse(text) else {
                throw CredentialError("\(origin) answered an Expiration that is not an RFC 3339 time")
            }
            expiration = parsed
        }
        return ExpiringCredentials(
            Credentials(
                accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token.flatMap { $0.isEmpty ? nil : $0 }),
            expiration: expiration)
    }
}
