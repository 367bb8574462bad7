import HTTPClient
import Logging
import SecretsManager
import Synchronization
import TestSupport
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

/// The client over HTTP on a loopback server: signing, throttling retried, pages followed by `Marker`.
@Suite struct RDSClientLoopbackTests {
    static let page1 = """
        <DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult>\
        <DBInstances><DBInstance><DBInstanceIdentifier>first</DBInstanceIdentifier><Engine>postgres</Engine>\
        <Endpoint><Address>first.x.eu-west-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>\
        </DBInstance></DBInstances><Marker>page-2</Marker></DescribeDBInstancesResult></DescribeDBInstancesResponse>
        """
    static let page2 = """
        <DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>\
        <DBInstanceIdentifier>second</DBInstanceIdentifier><Engine>postgres</Engine>\
        <ReadReplicaSourceDBInstanceIdentifier>first</ReadReplicaSourceDBInstanceIdentifier>\
        </DBInstance></DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>
        """
    static let throttled = """
        <ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
        </ErrorResponse>
        """

    @Test("a throttled call is retried; a Marker asks for the next page; every request is SigV4-signed for rds")
    func pagesAndRetries() throws {
        let answers = ScriptedAnswers([
            (400, Self.throttled), (200, Self.page1), (200, Self.page2),
        ])
        let server = try LoopbackHTTPServer { _ in
            let (status, body) = answers.next()
            return .respond(status: status, headers: [("Content-Type", "text/xml")], body: Array(body.utf8))
        }
        let environment = RDSClientTests.environment.merging(["AWS_ENDPOINT_URL_RDS": server.baseURL]) { $1 }
        let client = try RDSClient(
            configuration: try RDSConfiguration(environment: environment), logger: Logger(label: "rds"),
            randomUnit: { 0 })
        // The first instance of the pages: the one asked for (RDS answers one for an identifier; moto pages lists).
        let found = try client.describeDBInstance("first", deadline: .after(milliseconds: 10_000))
        #expect(found?.address == "first.x.eu-west-1.rds.amazonaws.com" && found?.port == 5432)
        let requests = server.requests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.header("Authorization")?.contains("/eu-west-1/rds/aws4_request") == true })
        #expect(
            requests.map(\.bodyText) == [
                "Action=DescribeDBInstances&DBInstanceIdentifier=first&Version=2014-10-31",
                "Action=DescribeDBInstances&DBInstanceIdentifier=first&Version=2014-10-31",
                "Action=DescribeDBInstances&DBInstanceIdentifier=first&Marker=page-2&Version=2014-10-31",
            ])
    }

    @Test("an access denial is not retried and says what to allow; a not-found fault is no instance")
    func deniedAndNotFound() throws {
        let server = try LoopbackHTTPServer { request in
            let body =
                request.bodyText.contains("nope")
                ? "<ErrorResponse><Error><Code>DBInstanceNotFound</Code><Message>DBInstance nope not found.</Message></Error></ErrorResponse>"
                : "<ErrorResponse><Error><Code>AccessDenied</Code><Message>User: x is not authorized to perform: rds:DescribeDBClusters</Message></Error></ErrorResponse>"
            return .respond(status: request.bodyText.contains("nope") ? 404 : 403, headers: [], body: Array(body.utf8))
        }
        let environment = RDSClientTests.environment.merging(["AWS_ENDPOINT_URL_RDS": server.baseURL]) { $1 }
        let client = try RDSClient(
            configuration: try RDSConfiguration(environment: environment), logger: Logger(label: "rds"),
            randomUnit: { 0 })
        #expect(try client.describeDBInstance("nope", deadline: .after(milliseconds: 10_000)) == nil)
        let error = #expect(throws: RDSError.self) {
            try client.describeDBCluster("mine", deadline: .after(milliseconds: 10_000))
        }
        #expect(error?.isAccessDenied == true)
        #expect(error?.message.contains("Allow rds:DescribeDBClusters to the function's role") == true)
        #expect(server.requests.count == 2, "the denial was not retried")
    }
}

/// Answers in order, then the last one again.
final class ScriptedAnswers: Sendable {
    private let answers: Mutex<[(Int, String)]>

    init(_ answers: [(Int, String)]) { self.answers = Mutex(answers) }

    func next() -> (Int, String) {
        answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
    }
}
