import Foundation
import HTTPClient
import JSON
import Logging
import Testing

@testable import SecretsManager

/// The client's signed requests equal botocore's for the same endpoint, credentials, time and body
/// (Tests/Vectors/secretsmanager-sigv4.json, made by `python3 scripts/sigv4_vectors.py`). This covers the
/// endpoint parsing, the Host header with and without port, the header set and the signer together.
@Suite struct RequestSigningTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var json: JSONValue
        var testDescription: String { json["name"]?.stringValue ?? "?" }
        func string(_ key: String) -> String { json[key]?.stringValue ?? "" }
        func expected(_ key: String) -> String { json["expected"]?[key]?.stringValue ?? "" }
    }

    static let vectors: [Vector] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors/secretsmanager-sigv4.json")
        guard let data = try? Data(contentsOf: file), let document = try? JSONValue(parsing: Array(data)) else {
            return []
        }
        return (document["vectors"]?.arrayValue ?? []).map(Vector.init(json:))
    }()

    @Test func vectorsLoaded() {
        #expect(Self.vectors.count == 4)
    }

    @Test(arguments: vectors)
    func clientSignsLikeBotocore(_ vector: Vector) throws {
        var environment = [
            "AWS_REGION": vector.string("region"), "AWS_ACCESS_KEY_ID": vector.string("accessKeyId"),
            "AWS_SECRET_ACCESS_KEY": vector.string("secretAccessKey"),
            "SECRETS_MANAGER_ENDPOINT": vector.string("endpoint"),
        ]
        if let token = vector.json["sessionToken"]?.stringValue { environment["AWS_SESSION_TOKEN"] = token }
        let client = try SecretsManagerClient(
            configuration: try SecretsManagerConfiguration(environment: environment), logger: Logger(label: "test"))
        let seconds = Int64(vector.json["epochSeconds"]?.intValue ?? 0)
        client.clock = { seconds }
        let request = try client.request(
            vector.string("operation"), Array(vector.string("body").utf8), timeoutMilliseconds: 1_000)
        #expect(request.headers["Host"] == vector.expected("host"))
        #expect(request.headers["X-Amz-Date"] == vector.expected("amzDate"))
        #expect(request.headers["X-Amz-Security-Token"] == vector.json["sessionToken"]?.stringValue)
        #expect(request.headers["Authorization"] == vector.expected("authorization"))
        #expect(request.headers["x-amz-content-sha256"] == nil)
        #expect(request.url.hasSuffix("/"))
        // Signing twice reuses the cached key and gives the same result.
        let again = try client.request(
            vector.string("operation"), Array(vector.string("body").utf8), timeoutMilliseconds: 1_000)
        #expect(again.headers["Authorization"] == vector.expected("authorization"))
    }
}
