/// One HTTP request. The body is sent with an exact Content-Length, never chunked.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    public var method: Method
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The limit for the whole exchange, in milliseconds; `nil` waits for as long as it takes
    /// (the Runtime API's `GET /next` must never time out: the sandbox is frozen between invocations).
    public var timeoutMilliseconds: Int?

    public init(
        method: Method, url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        timeoutMilliseconds: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
