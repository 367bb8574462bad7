import Foundation
import JSON
import Testing

/// A Secrets Manager request signed by botocore, from `Tests/Vectors/secretsmanager-sigv4.json`.
/// Produced by `python3 scripts/sigv4_vectors.py > Tests/Vectors/secretsmanager-sigv4.json` (botocore's
/// SigV4Auth at a frozen time; the script's docstring says exactly what it signs). Fake credentials.
struct BotocoreVector: Sendable, CustomTestStringConvertible {
    var name: String
    var endpoint: String
    var region: String
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String?
    var epochSeconds: Int64
    var operation: String
    var body: String
    var amzDate: String
    var host: String
    var signedHeaders: String
    var canonicalRequest: String
    var stringToSign: String
    var signature: String
    var authorization: String

    var testDescription: String { name }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/secretsmanager-sigv4.json")

    /// Every vector; empty if the file is missing or malformed (`vectorsArePresent` then fails).
    static let all: [BotocoreVector] = (try? load()) ?? []

    static func load() throws -> [BotocoreVector] {
        let document = try JSONValue(parsing: Array(try Data(contentsOf: file)))
        return (document["vectors"]?.arrayValue ?? []).map { vector in
            let expected = vector["expected"]
            return BotocoreVector(
                name: vector["name"]?.stringValue ?? "", endpoint: vector["endpoint"]?.stringValue ?? "",
                region: vector["region"]?.stringValue ?? "", accessKeyId: vector["accessKeyId"]?.stringValue ?? "",
                secretAccessKey: vector["secretAccessKey"]?.stringValue ?? "",
                sessionToken: vector["sessionToken"]?.stringValue,
                epochSeconds: Int64(vector["epochSeconds"]?.intValue ?? 0),
                operation: vector["operation"]?.stringValue ?? "", body: vector["body"]?.stringValue ?? "",
                amzDate: expected?["amzDate"]?.stringValue ?? "", host: expected?["host"]?.stringValue ?? "",
                signedHeaders: expected?["signedHeaders"]?.stringValue ?? "",
                canonicalRequest: expected?["canonicalRequest"]?.stringValue ?? "",
                stringToSign: expected?["stringToSign"]?.stringValue ?? "",
                signature: expected?["signature"]?.stringValue ?? "",
                authorization: expected?["authorization"]?.stringValue ?? "")
        }
    }
}
