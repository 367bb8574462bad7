/// The parts of an HTTP request that SigV4 covers, as they will be sent.
public struct SignableRequest: Sendable {
    /// The method, uppercase as sent (`POST`).
    public var method: String
    /// The path as it goes on the wire, in percent-encoded form (`/`, `/a%20b/`); empty means `/`.
    public var path: String
    /// The query string as it goes on the wire, without the `?`; empty when there is none.
    public var query: String
    /// The headers to sign, in the order they are sent. Names may have any case; `host` must be among them.
    public var headers: [(name: String, value: String)]
    /// The exact body bytes sent.
    public var body: [UInt8]

    public init(
        method: String, path: String = "/", query: String = "", headers: [(name: String, value: String)],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of the header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == wanted })?.value
    }
}
