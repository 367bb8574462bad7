import HTTPClient
import SecretsManager
import Testing

@testable import SecretsManager

/// Error bodies as AWS, moto and proxies send them.
@Suite struct ErrorDecodingTests {
    static func decode(_ status: Int, _ body: String, headers: HTTPHeaders = HTTPHeaders()) -> SecretsManagerError {
        SecretsManagerError(response: HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    @Test func awsJSONWithMessageCapitalised() {
        let error = Self.decode(
            400,
            #"{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}"#,
            headers: HTTPHeaders(["x-amzn-RequestId": "req-123"]))
        #expect(error.code == .resourceNotFound)
        #expect(error.message == "Secrets Manager can't find the specified secret.")
        #expect(error.httpStatus == 400)
        #expect(error.requestId == "req-123")
        #expect(
            "\(error)"
                == "ResourceNotFoundException: Secrets Manager can't find the specified secret. (HTTP 400, request id req-123)"
        )
    }

    @Test(arguments: [
        ("com.amazonaws.secretsmanager#InvalidRequestException", "InvalidRequestException"),
        (
            "InvalidRequestException:http://internal.amazon.com/coral/com.amazon.coral.validate/",
            "InvalidRequestException"
        ),
        ("aws.protocoltests#FooError:http://internal.amazon.com/", "FooError"),
        (" ThrottlingException ", "ThrottlingException"),
    ])
    func codeLosesNamespaceAndSuffix(type: String, expected: String) {
        #expect(Self.decode(400, #"{"__type":"\#(type)","message":"m"}"#).code.rawValue == expected)
    }

    @Test func motoJSONWithLowercaseMessage() {
        let error = Self.decode(
            404,
            #"{"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"}"#
        )
        #expect(error.code == .resourceNotFound)
        #expect(error.message.hasSuffix("staging label: AWSPENDING"))
    }

    @Test func motoXML403GivesTheAuthenticationCode() {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check &amp; retry.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>
            """
        let error = Self.decode(403, body)
        #expect(error.code == .signatureDoesNotMatch)
        #expect(error.code.isAuthenticationFailure)
        #expect(
            error.message
                == "The request signature we calculated does not match the signature you provided. Check & retry.")
        #expect(
            Self.decode(403, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>").code
                == .invalidClientTokenId)
    }

    @Test func htmlAndEmptyBodiesStillGiveACodeAndAMessage() {
        let html = Self.decode(
            500,
            "<!doctype html><html><head><title>500 Internal Server Error</title></head><body>Traceback...</body></html>",
            headers: HTTPHeaders(["Content-Type": "text/html; charset=utf-8"]))
        #expect(html.code.rawValue == "HTTP500")
        #expect(html.message.contains("500 Internal Server Error"))
        #expect(html.message.contains("text/html"))
        #expect(!html.message.contains("Traceback"))
        let empty = Self.decode(502, "")
        #expect(empty.code.rawValue == "HTTP502")
        #expect(empty.httpStatus == 502)
        // JSON without __type: the error-type header, else the status.
        #expect(
            Self.decode(400, "{}", headers: HTTPHeaders(["x-amzn-ErrorType": "ValidationException:http://x"])).code
                .rawValue == "ValidationException")
        #expect(Self.decode(418, #"{"message":"teapot"}"#).code.rawValue == "HTTP418")
    }

    @Test func longMessagesAreClippedToOneLine() {
        let long = String(repeating: "x", count: 5_000)
        let error = Self.decode(400, #"{"__type":"InvalidParameterException","message":"line1\n\#(long)"}"#)
        #expect(error.message.count <= SecretsManagerError.maximumMessageLength + 1)
        #expect(!error.message.contains("\n"))
    }
}
