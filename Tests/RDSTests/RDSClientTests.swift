import HTTPClient
import SecretsManager
import Testing

@testable import RDS

/// The RDS client's request and answer handling, without a server.
@Suite struct RDSClientTests {
    static let environment = [
        "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-key-example",
    ]

    @Test("the form body: Action and Version, parameters percent-encoded, in a stable order")
    func formBody() {
        #expect(
            RDSClient.formBody(
                action: "DescribeDBInstances",
                ["DBInstanceIdentifier": "arn:aws:rds:eu-west-1:1:db:a b", "Marker": "m/1"])
                == "Action=DescribeDBInstances&DBInstanceIdentifier=arn%3Aaws%3Ards%3Aeu-west-1%3A1%3Adb%3Aa%20b&Marker=m%2F1&Version=2014-10-31"
        )
    }

    @Test("an error answer: its code and message; an access denial says what to allow; other answers are not echoed")
    func errors() {
        let denied = RDSClient.error(
            in: HTTPResponse(
                status: 403, headers: HTTPHeaders(),
                body: Array(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: x is not authorized to perform: rds:DescribeDBInstances</Message></Error></ErrorResponse>"
                        .utf8)), action: "DescribeDBInstances")
        #expect(denied.code == "AccessDenied" && denied.isAccessDenied)
        #expect(denied.message.contains("Allow rds:DescribeDBInstances to the function's role"))
        let html = RDSClient.error(
            in: HTTPResponse(
                status: 502, headers: HTTPHeaders(), body: Array("<html>proxy says password=hunter2</html>".utf8)),
            action: "DescribeDBClusters")
        #expect(html.code == "HTTP502")
        #expect(!html.message.contains("hunter2"))
    }

    @Test("the endpoint: RDS's own for the region and partition, FIPS, dual-stack, or AWS_ENDPOINT_URL_RDS")
    func endpoints() throws {
        func url(_ extra: [String: String]) throws -> String {
            try RDSConfiguration(environment: Self.environment.merging(extra) { $1 }).endpoint.url
        }
        #expect(try url([:]) == "https://rds.eu-west-1.amazonaws.com")
        #expect(try url(["AWS_REGION": "cn-north-1"]) == "https://rds.cn-north-1.amazonaws.com.cn")
        #expect(try url(["AWS_USE_FIPS_ENDPOINT": "true"]) == "https://rds-fips.eu-west-1.amazonaws.com")
        #expect(try url(["AWS_USE_DUALSTACK_ENDPOINT": "true"]) == "https://rds.eu-west-1.api.aws")
        #expect(
            try url(["AWS_ENDPOINT_URL": "https://vpce-1.rds.eu-west-1.vpce.amazonaws.com"])
                == "https://vpce-1.rds.eu-west-1.vpce.amazonaws.com")
        #expect(
            try url(["AWS_ENDPOINT_URL": "https://a.example", "AWS_ENDPOINT_URL_RDS": "http://127.0.0.1:5000"])
                == "http://127.0.0.1:5000")
        let fips = #expect(throws: RDSError.self) {
            try url(["AWS_ENDPOINT_URL_RDS": "https://x.example", "AWS_USE_FIPS_ENDPOINT": "true"])
        }
        #expect(fips?.code == "Configuration")
        let plain = #expect(throws: RDSError.self) { try url(["AWS_ENDPOINT_URL_RDS": "http://rds.example"]) }
        #expect(plain?.message.contains("plain http://") == true)
    }
}
