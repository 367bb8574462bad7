import Foundation
import HTTPClient
import JSON
import SecretsManager
import TestSupport
import Testing
import Timekeeping

/// What goes on the wire and how responses are read, checked at a loopback server.
@Suite struct WireFormatTests {
    @Test func requestShapeAndSignedHeaders() throws {
        let server = try Fixtures.server { _ in
            Fixtures.json(200, #"{"ARN":"a","Name":"n","VersionId":"v","SecretString":"s"}"#)
        }
        let client = try Fixtures.client(server)
        _ = try client.getSecretValue(secretId: "my/secret", versionStage: nil, deadline: .after(milliseconds: 5_000))
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.target == "/")
        #expect(request.header("Host") == "127.0.0.1:\(server.port)")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(request.header("X-Amz-Target") == "secretsmanager.GetSecretValue")
        #expect(request.header("X-Amz-Security-Token") == TestKeys.sessionToken)
        #expect(request.header("x-amz-content-sha256") == nil)
        #expect(request.headerCount("Host") == 1)
        #expect(request.header("User-Agent") != nil)
        let authorization = try #require(request.header("Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=\(TestKeys.accessKeyId)/"))
        #expect(authorization.contains("/us-east-1/secretsmanager/aws4_request, "))
        #expect(
            authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "))
        // Without a version id or stage, AWSCURRENT is asked for explicitly (moto's implicit default differs).
        let body = try JSONValue(parsing: request.body)
        #expect(body["SecretId"]?.stringValue == "my/secret")
        #expect(body["VersionStage"]?.stringValue == "AWSCURRENT")
        #expect(body["VersionId"] == nil)
    }

    @Test func operationBodies() throws {
        let server = try Fixtures.server { request in
            switch request.header("X-Amz-Target") {
            case "secretsmanager.PutSecretValue":
                Fixtures.json(200, #"{"ARN":"a","Name":"n","VersionId":"t","VersionStages":["AWSPENDING"]}"#)
            case "secretsmanager.GetRandomPassword": Fixtures.json(200, #"{"RandomPassword":"pw"}"#)
            case "secretsmanager.GetSecretValue": Fixtures.json(200, #"{"ARN":"a","Name":"n","VersionId":"v1"}"#)
            default: Fixtures.json(200, #"{"ARN":"a","Name":"n"}"#)
            }
        }
        let client = try Fixtures.client(server)
        let deadline = Deadline.after(milliseconds: 5_000)
        let put = try client.putSecretValue(
            secretId: "s", clientRequestToken: "t", secretString: "pässwörd ✓", versionStages: ["AWSPENDING"],
            rotationToken: "rot-token", deadline: deadline)
        #expect(put.versionId == "t")
        #expect(put.versionStages == ["AWSPENDING"])
        try client.updateSecretVersionStage(
            secretId: "s", versionStage: "AWSCURRENT", moveToVersionId: "new", removeFromVersionId: "old",
            deadline: deadline)
        let password = try client.getRandomPassword(
            RandomPasswordRequest(passwordLength: 20, excludeCharacters: "/@\"'\\", excludePunctuation: true),
            deadline: deadline)
        #expect(password == "pw")
        _ = try client.getSecretValue(secretId: "s", versionId: "v1", versionStage: nil, deadline: deadline)

        let bodies = server.requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(
            bodies[0]
                == #"{"SecretId":"s","ClientRequestToken":"t","SecretString":"pässwörd ✓","VersionStages":["AWSPENDING"],"RotationToken":"rot-token"}"#
        )
        #expect(
            bodies[1]
                == #"{"SecretId":"s","VersionStage":"AWSCURRENT","MoveToVersionId":"new","RemoveFromVersionId":"old"}"#)
        #expect(
            bodies[2]
                == #"{"PasswordLength":20,"ExcludeCharacters":"/@\"'\\","ExcludeNumbers":false,"ExcludePunctuation":true,"ExcludeUppercase":false,"ExcludeLowercase":false,"IncludeSpace":false,"RequireEachIncludedType":true}"#
        )
        #expect(bodies[3] == #"{"SecretId":"s","VersionId":"v1"}"#)
        #expect(server.requests[0].header("Content-Length") == String(Array(bodies[0].utf8).count))
    }

    @Test func responsesAreReadLeniently() throws {
        let server = try Fixtures.server { request in
            switch request.header("X-Amz-Target") {
            case "secretsmanager.GetSecretValue":
                Fixtures.json(
                    200,
                    #"{"ARN":"a","Name":"n","VersionId":"v","SecretBinary":"AAEC/w==","VersionStages":["AWSCURRENT"],"CreatedDate":1.5E9,"Extra":null}"#
                )
            default: Fixtures.describeOK
            }
        }
        let client = try Fixtures.client(server)
        let description = try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000))
        #expect(description.arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf")
        #expect(description.rotationEnabled == nil)
        #expect(description.versionIdsToStages.map(\.versionId) == ["v2", "v1", "v0"])
        #expect(description.versionIdsToStages.map(\.stages) == [["AWSPENDING"], ["AWSCURRENT"], []])
        #expect(description.versionId(withStage: "AWSCURRENT") == "v1")
        #expect(description.lastRotatedDate == 1.7095e9)
        #expect(description.nextRotationDate == 1709251198.123)
        let value = try client.getSecretValue(
            secretId: "s", versionStage: "AWSCURRENT", deadline: .after(milliseconds: 5_000))
        #expect(value.secretBinary == [0, 1, 2, 255])
        #expect(value.secretString == nil)
        #expect(value.createdDate == 1.5e9)
    }

    @Test func malformedSuccessResponsesAreInvalidResponse() throws {
        let server = try Fixtures.server { request in
            request.header("X-Amz-Target") == "secretsmanager.DescribeSecret"
                ? Fixtures.json(200, #"{"Name":"no arn"}"#) : .respond(status: 200, body: Array("<html>".utf8))
        }
        let client = try Fixtures.client(server)
        let missing = #expect(throws: SecretsManagerError.self) {
            try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000))
        }
        #expect(missing?.code == .invalidResponse)
        #expect(missing?.message.contains("ARN") == true)
        let notJSON = #expect(throws: SecretsManagerError.self) {
            try client.getRandomPassword(RandomPasswordRequest(), deadline: .after(milliseconds: 5_000))
        }
        #expect(notJSON?.code == .invalidResponse)
        #expect(server.requests.count == 2)
    }

    @Test func listSecretVersionIdsFollowsNextToken() throws {
        let server = try Fixtures.server { request in
            let body = try? JSONValue(parsing: request.body)
            switch body?["NextToken"]?.stringValue {
            case nil:
                return Fixtures.json(
                    200,
                    #"{"Versions":[{"VersionId":"a","VersionStages":["AWSCURRENT"],"CreatedDate":1}],"NextToken":"p2"}"#
                )
            case "p2":
                return Fixtures.json(200, #"{"Versions":[{"VersionId":"b","VersionStages":[]}],"NextToken":"p3"}"#)
            default: return Fixtures.json(200, #"{"Versions":[{"VersionId":"c","VersionStages":["AWSPENDING"]}]}"#)
            }
        }
        let client = try Fixtures.client(server)
        let versions = try client.listSecretVersionIds(
            secretId: "s", includeDeprecated: true, maxResults: 1, deadline: .after(milliseconds: 5_000))
        #expect(versions.map(\.versionId) == ["a", "b", "c"])
        #expect(versions[0].createdDate == 1)
        let first = try JSONValue(parsing: try #require(server.requests.first).body)
        #expect(first["MaxResults"]?.intValue == 1)
        #expect(first["IncludeDeprecated"]?.boolValue == true)
    }

    @Test func repeatedNextTokenStopsPagination() throws {
        let server = try Fixtures.server { _ in Fixtures.json(200, #"{"Versions":[],"NextToken":"same"}"#) }
        let client = try Fixtures.client(server)
        let error = #expect(throws: SecretsManagerError.self) {
            try client.listSecretVersionIds(
                secretId: "s", includeDeprecated: false, deadline: .after(milliseconds: 5_000))
        }
        #expect(error?.code == .invalidResponse)
        #expect(server.requests.count == 2)
    }

    /// Logs carry operation, status, attempt and duration, never bodies or secrets.
    @Test func logsNeverContainBodiesOrCredentials() throws {
        let responses = ScriptedResponses(
            [Fixtures.error(500, "InternalServiceError")],
            then: Fixtures.json(200, #"{"ARN":"a","Name":"n","VersionId":"v","SecretString":"zzRETURNEDzzSECRET"}"#))
        let server = try Fixtures.server { _ in responses.next() }
        let logs = LogRecorder()
        let client = try Fixtures.client(server, logs: logs)
        let value = try client.getSecretValue(
            secretId: "s", versionStage: "AWSPENDING", deadline: .after(milliseconds: 5_000))
        _ = try? client.putSecretValue(
            secretId: "s", clientRequestToken: "t", secretString: "zzSENTzzSECRET", versionStages: ["AWSPENDING"],
            rotationToken: nil, deadline: .after(milliseconds: 5_000))
        #expect(value.secretString == "zzRETURNEDzzSECRET")
        let text = logs.lines.map(\.text).joined(separator: "\n")
        #expect(text.contains("GetSecretValue attempt 1/3: HTTP 500"))
        #expect(text.contains("GetSecretValue attempt 2/3: HTTP 200"))
        for secret in ["zzRETURNEDzzSECRET", "zzSENTzzSECRET", TestKeys.secretAccessKey, TestKeys.sessionToken] {
            #expect(!text.contains(secret))
        }
    }
}
