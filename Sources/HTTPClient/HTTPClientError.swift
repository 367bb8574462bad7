/// A request that got no complete HTTP response. Callers branch on `kind`: `connect`, `connectionLost`
/// and `timeout` are transient and may be retried; `tls` and `invalidRequest` are not.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached (refused, unresolvable, connect timeout).
        case connect
        /// The connection broke while sending or receiving.
        case connectionLost
        /// The whole exchange took longer than the request's timeout.
        case timeout
        /// The TLS handshake or certificate verification failed.
        case tls
        /// The response body was larger than the client accepts.
        case responseTooLarge
        /// The request could not be made at all (bad URL, unsupported option).
        case invalidRequest
    }

    public var kind: Kind
    /// libcurl's error code, for support; the text below already explains it.
    public var curlCode: Int
    /// libcurl's own explanation. It names hosts and certificate problems, never request bodies.
    public var message: String

    public init(kind: Kind, curlCode: Int, message: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
    }

    public var isTransient: Bool { kind == .connect || kind == .connectionLost || kind == .timeout }

    public var description: String { message }
}
