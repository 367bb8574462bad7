import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite("HTTP client on one libcurl handle")
struct HTTPClientTests {
    private func server(_ handler: @escaping @Sendable (RecordedRequest) -> ServerAction) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer(handler: handler)
    }

    @Test(
        "a POST carries exactly its bytes with a Content-Length, no Expect and no chunking; headers read back trimmed")
    func postBody() throws {
        let server = try server { _ in
            .respond(status: 201, headers: [("X-Answer", "  spaced value  ")], body: Array("ok".utf8))
        }
        let client = try HTTPClient()
        let body = Array("é\u{0}{\"a\":1}".utf8)
        let response = try client.send(
            HTTPRequest(
                method: .post, url: server.baseURL + "/p", headers: HTTPHeaders(["Content-Type": "application/json"]),
                body: body))
        #expect(response.status == 201)
        #expect(response.body == Array("ok".utf8))
        #expect(response.headers["x-answer"] == "spaced value")
        let request = try #require(server.requests.first)
        #expect(request.body == body)
        #expect(request.header("Content-Length") == String(body.count))
        #expect(request.header("Expect") == nil && request.header("Transfer-Encoding") == nil)
        #expect(request.header("Content-Type") == "application/json")
    }

    @Test("DELETE without a body sends none; PUT, PATCH and DELETE with one send it like a POST, under their verb")
    func otherMethods() throws {
        let server = try server { _ in .respond(status: 204, headers: [], body: []) }
        let client = try HTTPClient()
        let body = Array(#"{"name":"k"}"#.utf8)
        let cases: [(HTTPRequest.Method, [UInt8])] = [(.delete, []), (.put, body), (.patch, body), (.delete, body)]
        for (method, sent) in cases {
            #expect(
                try client.send(HTTPRequest(method: method, url: server.baseURL + "/k/1", body: sent)).status == 204)
        }
        let requests = server.requests
        #expect(requests.map(\.method) == ["DELETE", "PUT", "PATCH", "DELETE"])
        #expect(requests.map(\.body) == cases.map(\.1))
        #expect(requests[0].header("Content-Length") == nil, "a bodiless DELETE announces no body")
        #expect(requests[1].header("Content-Length") == String(body.count))
    }

    @Test("one handle keeps one connection alive across requests, and reconnects when the server closed it")
    func keepAlive() throws {
        let count = Locked(0)
        let server = try server { _ in
            let n = count.withLock { value -> Int in
                value += 1
                return value
            }
            return n == 2 ? .respondThenClose(status: 200) : .respond(status: 200)
        }
        let client = try HTTPClient()
        for _ in 0..<4 { _ = try client.send(HTTPRequest(method: .get, url: server.baseURL)) }
        #expect(server.requests.count == 4)
        #expect(server.connectionCount == 2)
    }

    @Test(
        "errors are classified: refused → connect, dropped → connectionLost, slow → timeout, too big → responseTooLarge"
    )
    func classification() throws {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(maxResponseBytes: 1_000))
        func kind(_ request: HTTPRequest) -> HTTPClientError.Kind? {
            do {
                _ = try client.send(request)
                return nil
            } catch {
                return error.kind
            }
        }
        // Port 9 (discard) has no listener on loopback here: the connection is refused.
        #expect(kind(HTTPRequest(method: .get, url: "http://127.0.0.1:9/")) == .connect)
        let dropping = try server { _ in .close }
        #expect(kind(HTTPRequest(method: .get, url: dropping.baseURL)) == .connectionLost)
        let resetting = try server { _ in .reset }
        #expect(kind(HTTPRequest(method: .get, url: resetting.baseURL)) == .connectionLost)
        let slow = try server { _ in
            usleep(1_500_000)
            return .respond(status: 200)
        }
        #expect(kind(HTTPRequest(method: .get, url: slow.baseURL, timeoutMilliseconds: 200)) == .timeout)
        let big = try server { _ in .respond(status: 200, body: [UInt8](repeating: 0x41, count: 5_000)) }
        #expect(kind(HTTPRequest(method: .get, url: big.baseURL)) == .responseTooLarge)
        #expect(kind(HTTPRequest(method: .get, url: "not a url")) == .invalidRequest)
    }

    @Test("an untrusted certificate is a TLS error, never retried as transient")
    func tlsFailure() throws {
        let error = HTTPClientError(kind: .tls, curlCode: 60, message: "x")
        #expect(!error.isTransient)
        #expect(HTTPClientError(kind: .connectionLost, curlCode: 35, message: "x").isTransient)
    }

    @Test("error messages name the server, never the path or query")
    func errorMessageShowsHostOnly() throws {
        do {
            _ = try HTTPClient().send(HTTPRequest(method: .get, url: "http://127.0.0.1:9/secret-path?token=abc"))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("http://127.0.0.1:9"))
            #expect(!error.message.contains("secret-path") && !error.message.contains("token=abc"))
        }
    }
}
