import CCurl

/// Settings fixed for the life of a client.
public struct HTTPClientConfiguration: Sendable {
    /// How long to wait for a TCP (and TLS) connection.
    public var connectTimeoutMilliseconds: Int
    /// The only CA certificates trusted for HTTPS. `nil` leaves libcurl's built-in default.
    public var caBundlePath: String?
    /// `false` ignores `http_proxy` and friends: the Runtime API is always local.
    public var usesEnvironmentProxy: Bool
    /// Responses larger than this fail with `responseTooLarge` instead of exhausting memory.
    public var maxResponseBytes: Int
    public var userAgent: String

    public init(
        connectTimeoutMilliseconds: Int = 1_000, caBundlePath: String? = nil, usesEnvironmentProxy: Bool = false,
        maxResponseBytes: Int = 16 << 20, userAgent: String = "rotator"
    ) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.caBundlePath = caBundlePath
        self.usesEnvironmentProxy = usesEnvironmentProxy
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }
}

/// A synchronous HTTP/1.1 client on one libcurl easy handle.
///
/// The handle is reused for every request, so libcurl keeps the connection alive between them and
/// reconnects by itself when the server has closed it. Not thread-safe: one client per thread.
///
/// What libcurl keeps of the pointers it is given (https://curl.se/libcurl/c/curl_easy_setopt.html): string options
/// (`CURLOPT_URL`, `CURLOPT_CAINFO`, …) are copied; `CURLOPT_POSTFIELDS` (the body) and `CURLOPT_HTTPHEADER` (the
/// header list) are not, so both live until `curl_easy_perform` returns, and `curl_easy_reset` drops them before the
/// next request; `CURLOPT_ERRORBUFFER` is written during every transfer and lives as long as the handle; the
/// callbacks' context is a collector kept alive across the perform.
public final class HTTPClient {
    public let configuration: HTTPClientConfiguration
    private let handle: UnsafeMutableRawPointer
    /// libcurl writes its detailed error text here during a transfer; it must outlive every transfer.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// - Throws: `HTTPClientError` of kind `invalidRequest` if libcurl cannot give us a handle.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        _ = curlGlobalInitialisation
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(kind: .invalidRequest, curlCode: -1, message: "libcurl could not create a handle")
        }
        self.handle = handle
        self.configuration = configuration
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and returns the response, whatever its status.
    /// - Throws: `HTTPClientError` when no complete response arrived; `isTransient` says whether a retry may help.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        let collector = ResponseCollector(limit: configuration.maxResponseBytes)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }

        // Reset keeps the live connection and caches but clears every option, so no setting leaks
        // from one request into the next.
        curl_easy_reset(handle)
        for field in request.headers {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        // An empty value removes the header curl would add: no 100-continue round trip.
        headerList = curl_slist_append(headerList, "Expect:")

        errorBuffer[0] = 0
        setCommonOptions(request)
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, collectBody)
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, collectHeader)
        let code: CURLcode = withExtendedLifetime(collector) {
            request.body.withUnsafeBufferPointer { body in
                switch request.method {
                case .get:
                    ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                case .delete where body.isEmpty:
                    // A GET's shape (no body, no Content-Length) under another verb
                    // (https://curl.se/libcurl/c/CURLOPT_CUSTOMREQUEST.html).
                    ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                    ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
                case .post, .put, .patch, .delete:
                    ccurl_setopt_long(handle, CURLOPT_POST, 1)
                    if request.method != .post {
                        ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
                    }
                    // POSTFIELDS with an explicit size: curl sends exactly these bytes with a Content-Length,
                    // never chunked. The pointer is only read during curl_easy_perform below.
                    let emptyBody: StaticString = ""
                    let pointer =
                        body.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                        ?? UnsafeMutableRawPointer(mutating: emptyBody.utf8Start)
                    ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer)
                }
                return curl_easy_perform(handle)
            }
        }

        guard code == CURLE_OK else {
            if collector.exceededLimit {
                throw HTTPClientError(
                    kind: .responseTooLarge, curlCode: Int(code.rawValue),
                    message:
                        "the response from \(hostDescription(request.url)) was larger than \(configuration.maxResponseBytes) bytes"
                )
            }
            throw makeError(code, url: request.url)
        }
        var status: Int = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    private func setCommonOptions(_ request: HTTPRequest) {
        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        // HTTP/1.1 with keep-alive: newer libcurl may otherwise try HTTP/2.
        ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        // No signals: we are single-threaded but must not let curl's resolver timeout use SIGALRM.
        // SIGPIPE is ignored process-wide by the runtime, because NOSIGNAL does not cover it.
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMilliseconds)
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds.map { max($0, 1) } ?? 0)
        ccurl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
        if !configuration.usesEnvironmentProxy {
            ccurl_setopt_string(handle, CURLOPT_PROXY, "")
        }
        // Peers are always verified. A configured bundle is the only trust store: libcurl's compiled-in
        // CA folder (a Debian path) is switched off so that behaviour is the same on Amazon Linux.
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath = configuration.caBundlePath {
            ccurl_setopt_string(handle, CURLOPT_CAINFO, caBundlePath)
            ccurl_setopt_string(handle, CURLOPT_CAPATH, nil)
        }
    }

    private func makeError(_ code: CURLcode, url: String) -> HTTPClientError {
        let text = String(cString: errorBuffer)
        let detail = text.isEmpty ? String(cString: curl_easy_strerror(code)) : text
        let kind: HTTPClientError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connect
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            kind = .connectionLost
        case CURLE_SSL_CONNECT_ERROR:
            // libcurl reports a reset or EOF during the TLS handshake this way ("SSL_connect: Connection reset by
            // peer"): transient, like any other dropped connection. A certificate that fails verification has
            // its own code below and is never retried.
            kind = .connectionLost
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_INITFAILED:
            kind = .tls
        default:
            kind = .invalidRequest
        }
        return HTTPClientError(kind: kind, curlCode: Int(code.rawValue), message: "\(hostDescription(url)): \(detail)")
    }

    /// The scheme, host and port of `url`, without path or query, for error messages.
    private func hostDescription(_ url: String) -> String {
        let characters = Array(url)
        guard let colon = characters.firstIndex(of: ":"), characters.count > colon + 2,
            characters[colon + 1] == "/", characters[colon + 2] == "/"
        else { return "the server" }
        let authority = characters[(colon + 3)...].prefix(while: { $0 != "/" && $0 != "?" })
        return String(characters[..<(colon + 3)]) + String(authority)
    }
}

/// libcurl must be initialised once per process before any handle exists; a global `let` is lazy and
/// thread-safe in Swift, which matters when tests create clients in parallel.
private let curlGlobalInitialisation: Void = {
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}()

/// Accumulates one response. Reached from libcurl's C callbacks through an unretained pointer.
private final class ResponseCollector {
    let limit: Int
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    var exceededLimit = false

    init(limit: Int) {
        self.limit = limit
    }
}

private let collectBody: ccurl_data_callback = { data, size, count, context in
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard collector.body.count + length <= collector.limit else {
        collector.exceededLimit = true
        return 0  // Anything but `length` makes libcurl abort the transfer.
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        collector.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}

private let collectHeader: ccurl_data_callback = { data, size, count, context in
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    // Bytes, not Characters: a header line is ASCII, and Character handling cost most of a warm invocation.
    data.withMemoryRebound(to: UInt8.self, capacity: length) { start in
        let line = UnsafeBufferPointer(start: start, count: length)
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after a 1xx response): headers seen so far belonged to that one.
            collector.headers = HTTPHeaders()
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: UnsafeBufferPointer(rebasing: line[..<colon]), as: UTF8.self)
            var first = colon + 1
            var end = line.endIndex
            while first < end, isHeaderSpace(line[first]) { first += 1 }
            while end > first, isHeaderSpace(line[end - 1]) { end -= 1 }
            let value = String(decoding: UnsafeBufferPointer(rebasing: line[first..<end]), as: UTF8.self)
            collector.headers.add(name: name, value: value)
        }
    }
    return length
}

/// Space, tab, CR and LF: what surrounds a header value (https://www.rfc-editor.org/rfc/rfc9110#section-5.5).
private func isHeaderSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
}
