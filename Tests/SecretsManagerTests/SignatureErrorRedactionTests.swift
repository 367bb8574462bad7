import Foundation
import HTTPClient
import JSON
import SecretsManager
import TestSupport
import Testing

/// AWS's JSON services answer a bad signature with the canonical request they expected, which holds every signed
/// header, `x-amz-security-token` included. None of it may reach an error message.
@Suite struct SignatureErrorRedactionTests {
    /// The shape of a real `InvalidSignatureException` (aws/aws-sdk-cpp#17), with the request's own token.
    static func awsSignatureError(echoing token: String) -> ServerAction {
        let message =
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            + "Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical "
            + "String for this request should have been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:"
            + "127.0.0.1\nx-amz-date:20261122T150000Z\nx-amz-security-token:\(token)\nx-amz-target:secretsmanager."
            + "DescribeSecret\n\ncontent-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\nThe String-to-Sign should have "
            + "been\n'AWS4-HMAC-SHA256\n20261122T150000Z\n20261122/us-east-1/secretsmanager/aws4_request\nabc'\n"
        let body = JSONValue.object(
            JSONObject(["__type": .string("InvalidSignatureException"), "message": .string(message)]))
        return .respond(
            status: 400, headers: [("Content-Type", "application/x-amz-json-1.1")], body: body.serializedBytes)
    }

    @Test func canonicalRequestInSignatureErrorsIsCutOff() throws {
        let server = try Fixtures.server { request in
            Self.awsSignatureError(echoing: request.header("X-Amz-Security-Token") ?? "missing")
        }
        let client = try Fixtures.client(server, maxAttempts: 1)
        do {
            _ = try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000))
            Issue.record("expected an error")
        } catch {
            #expect(error.code.rawValue == "InvalidSignatureException")
            #expect(error.code.isAuthenticationFailure)
            #expect(error.message.hasPrefix("The request signature we calculated does not match"))
            #expect(!error.message.contains(TestKeys.sessionToken))
            #expect(!error.message.contains("x-amz-security-token:"))
            #expect(!"\(error)".contains(TestKeys.sessionToken))
        }
    }

    @Test func echoedCredentialsAreRedactedWhereverTheyAppear() throws {
        let server = try Fixtures.server { request in
            let token = request.header("X-Amz-Security-Token") ?? "missing"
            return Fixtures.error(
                400, "UnrecognizedClientException", "token \(token) and key \(TestKeys.secretAccessKey) rejected")
        }
        let client = try Fixtures.client(server, maxAttempts: 1)
        do {
            _ = try client.describeSecret(secretId: "s", deadline: .after(milliseconds: 5_000))
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.contains(TestKeys.sessionToken))
            #expect(!error.message.contains(TestKeys.secretAccessKey))
            #expect(error.message.contains("<redacted>"))
        }
    }
}
