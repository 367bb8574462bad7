import HTTPClient

/// The four calls of the Runtime API, over one kept-alive HTTP/1.1 connection.
final class RuntimeAPIClient {
    private let http: HTTPClient
    private let base: String
    private let postTimeoutMilliseconds: Int

    /// - Parameters:
    ///   - hostAndPort: `AWS_LAMBDA_RUNTIME_API`, such as `127.0.0.1:9001`.
    ///   - postTimeoutMilliseconds: how long a POST may take (tests shorten it).
    init(hostAndPort: String, postTimeoutMilliseconds: Int = RuntimeAPIClient.defaultPostTimeoutMilliseconds)
        throws(HTTPClientError)
    {
        self.postTimeoutMilliseconds = postTimeoutMilliseconds
        // A short connect timeout: the API is local, so a slow connect means it is gone. No proxy, ever.
        http = try HTTPClient(
            configuration: HTTPClientConfiguration(
                connectTimeoutMilliseconds: 1_000, usesEnvironmentProxy: false,
                maxResponseBytes: 8 << 20, userAgent: "rotator-lambda-runtime"))
        base = "http://\(hostAndPort)/2018-06-01/runtime"
    }

    /// Waits for the next event. No timeout: between events the sandbox may be frozen for any length of time.
    func next() throws(HTTPClientError) -> HTTPResponse {
        try http.send(HTTPRequest(method: .get, url: base + "/invocation/next"))
    }

    /// Posts the handler's result; returns the API's status code.
    func postResponse(requestID: String, body: [UInt8]) throws(HTTPClientError) -> Int {
        try post(path: "/invocation/\(Self.pathSegment(requestID))/response", body: body, errorType: nil)
    }

    /// Posts a failed invocation; returns the API's status code.
    func postError(requestID: String, report: ErrorReport) throws(HTTPClientError) -> Int {
        try post(
            path: "/invocation/\(Self.pathSegment(requestID))/error", body: report.body,
            errorType: report.headerSafeType)
    }

    /// Posts a failed initialisation; returns the API's status code.
    func postInitError(report: ErrorReport) throws(HTTPClientError) -> Int {
        try post(path: "/init/error", body: report.body, errorType: report.headerSafeType)
    }

    /// How long a POST may take. The API is on the same host and answers in well under a millisecond; one that
    /// does not answer at all must not hang the function: the loop retries a bounded number of times, then exits.
    static let defaultPostTimeoutMilliseconds = 5_000

    private func post(path: String, body: [UInt8], errorType: String?) throws(HTTPClientError) -> Int {
        var headers = HTTPHeaders(["Content-Type": "application/json"])
        if let errorType { headers.add(name: RuntimeHeader.functionErrorType, value: errorType) }
        let request = HTTPRequest(
            method: .post, url: base + path, headers: headers, body: body,
            timeoutMilliseconds: postTimeoutMilliseconds)
        return try http.send(request).status
    }

    /// The request id as one URL path segment. Lambda's ids are UUIDs; anything else is percent-encoded
    /// so that a hostile header value cannot change the URL we post to.
    static func pathSegment(_ requestID: String) -> String { URIEncoding.encode(requestID) }
}
