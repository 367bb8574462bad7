/// An endpoint URL taken apart into what the client needs: the URL to send to, and the `Host` header value
/// to sign (lowercase host, plus `:port` only when it is not the scheme's default).
/// Parsed once, when the configuration is read.
public struct ServiceEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `https://host[:port][/path]`, without a trailing slash.
    public let url: String
    public let scheme: String
    public let host: String
    public let port: Int?
    /// The request path: `/` unless the endpoint URL has a path of its own (a proxy prefix).
    public let path: String

    public var description: String { url }

    /// The `Host` value that is sent and signed. `https://x:443` signs `x`, `http://x:443` signs `x:443`.
    package var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    /// Whether the host is this machine: `localhost`, an address in 127.0.0.0/8, or `::1`.
    package var isLoopback: Bool {
        if host == "localhost" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The URL each request is posted to.
    package var requestURL: String {
        "\(scheme)://\(hostHeader)\(path)"
    }

    /// Parses an `http://` or `https://` URL with a host and an optional port and path.
    /// - Throws: a configuration error naming `source` (the variable it came from) when the URL is unusable.
    public init(parsing text: String, source: String) throws(SecretsManagerConfigurationError) {
        // A URL with user information may carry a password: never repeat it.
        let shown = text.contains("@") ? "a URL with user information, not shown" : "\"\(text)\""
        let invalid = SecretsManagerConfigurationError(
            "\(source) must be an http:// or https:// URL with a host, without user information or query (got \(shown))"
        )
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw invalid
        }
        let rest = text.dropFirst(scheme.count + 3)
        guard !rest.contains("?"), !rest.contains("#"), !rest.contains("@"), !rest.contains(" ") else { throw invalid }
        let authority = rest.prefix(while: { $0 != "/" })
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty { path = "/" }

        var host = Substring(authority)
        var port: Int?
        // An IPv6 literal keeps its brackets in both the URL and the Host header.
        let portSeparator: Substring.Index?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid }
            let afterClose = authority.index(after: close)
            portSeparator = afterClose < authority.endIndex && authority[afterClose] == ":" ? afterClose : nil
            guard portSeparator != nil || afterClose == authority.endIndex else { throw invalid }
        } else {
            portSeparator = authority.lastIndex(of: ":")
        }
        if let separator = portSeparator {
            host = authority[..<separator]
            guard let number = Int(authority[authority.index(after: separator)...]), (1...65_535).contains(number)
            else {
                throw invalid
            }
            port = number
        }
        guard !host.isEmpty else { throw invalid }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.path = path
        self.url = "\(scheme)://\(self.host)\(port.map { ":\($0)" } ?? "")\(path == "/" ? "" : path)"
    }
}
