import CSSL
import DatabaseRotation
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One connection to a Redis (or Valkey) server: TCP, and TLS through OpenSSL when the secret asks for it (Redis
/// serves TLS on a port of its own, so there is no in-band upgrade and no fallback), commands as RESP arrays of
/// bulk strings, replies parsed by `RESP`. Every wait is bounded: the connection and TLS by the login's timeout,
/// commands by the step's deadline.
///
/// Not thread-safe: one session per step.
final class RedisConnection {
    private var socket: Int32 = -1
    private var context: OpaquePointer?
    private var tls: OpaquePointer?
    private var received: [UInt8] = []
    private let deadline: Deadline
    let endpoint: String

    /// Connects and, with `.verifyFull`, completes a TLS handshake that checks the chain against the CA file and the
    /// certificate's name against `serverName ?? host`. `verifying: false` skips both: only to ask whether TLS is
    /// there at all.
    /// - Throws: `DatabaseError` `.network` (no address answered), `.tls` (handshake or verification), `.configuration`
    ///   (an unreadable CA file), `.timeout` (the deadline left no time).
    init(
        host: String, serverName: String?, port: Int, tls setting: DatabaseLogin.TLS, timeoutMilliseconds: Int64,
        deadline: Deadline, verifying: Bool = true
    ) throws(DatabaseError) {
        // A peer that closes while we write would otherwise end the process (SIGPIPE) instead of failing the write.
        signal(SIGPIPE, SIG_IGN)
        self.deadline = deadline
        endpoint = "\(host.loggable):\(port)"
        let connectUntil = min(Deadline.now().epochMilliseconds + timeoutMilliseconds, deadline.epochMilliseconds)
        guard connectUntil > Deadline.now().epochMilliseconds else {
            throw DatabaseError(.timeout, "no time left to connect to \(endpoint)")
        }
        let addresses = try HostResolver.addresses(
            of: host, port: port, within: timeoutMilliseconds, limitedByDeadline: true)
        var lastFailure = "no address"
        for address in addresses {
            switch Self.open(address: address, port: port, until: connectUntil) {
            case .success(let opened): socket = opened
            case .failure(let failure): lastFailure = failure.reason
            }
            if socket >= 0 { break }
        }
        guard socket >= 0 else { throw DatabaseError(.network, "could not connect to \(endpoint): \(lastFailure)") }
        if case .verifyFull(let caFile) = setting {
            do throws(DatabaseError) {
                try startTLS(name: serverName ?? host, caFile: caFile, verifying: verifying, until: connectUntil)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    /// Sends one command and reads its reply; an error reply (`-ERR …`) is returned, not thrown.
    /// - Throws: `DatabaseError` `.network` or `.timeout` when the exchange could not complete, `.query` for a reply
    ///   that is not RESP.
    func command(_ arguments: [String]) throws(DatabaseError) -> RESPValue {
        try write(RESP.encode(arguments))
        while true {
            do throws(RESPError) {
                if let (value, consumed) = try RESP.parse(received[...]) {
                    received.removeFirst(consumed)
                    return value
                }
            } catch {
                throw DatabaseError(.query, "\(endpoint) answered \(error)")
            }
            try readMore()
        }
    }

    func close() {
        if let tls { SSL_free(tls) }
        if let context { SSL_CTX_free(context) }
        tls = nil
        context = nil
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    // MARK: TCP

    private struct OpenFailure: Error { let reason: String }

    private static func open(address: String, port: Int, until: Int64) -> Result<Int32, OpenFailure> {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &list) == 0, let entry = list else {
            return .failure(OpenFailure(reason: "\(address) is not an address"))
        }
        defer { freeaddrinfo(list) }
        let descriptor = Glibc.socket(
            entry.pointee.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failure(OpenFailure(reason: "socket: errno \(errno)")) }
        if connect(descriptor, entry.pointee.ai_addr, entry.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            return .failure(OpenFailure(reason: reason))
        }
        guard SocketWait.wait(for: Int16(POLLOUT), on: descriptor, untilEpochMilliseconds: until) != nil else {
            Glibc.close(descriptor)
            return .failure(OpenFailure(reason: "timed out connecting"))
        }
        var problem: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &problem, &length)
        guard problem == 0 else {
            Glibc.close(descriptor)
            return .failure(OpenFailure(reason: String(cString: strerror(problem))))
        }
        return .success(descriptor)
    }

    // MARK: TLS

    private func startTLS(name: String, caFile: String, verifying: Bool, until: Int64) throws(DatabaseError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw DatabaseError(.tls, "OpenSSL could not create a TLS context")
        }
        self.context = context
        _ = rotator_ssl_ctx_require_tls12(context)
        if verifying {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                ERR_clear_error()
                throw DatabaseError(.configuration, "cannot read the CA file \(caFile) (ROTATOR_DB_CA_FILE)")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        guard let tls = SSL_new(context) else { throw DatabaseError(.tls, "OpenSSL could not create a TLS session") }
        self.tls = tls
        SSL_set_fd(tls, socket)
        if verifying {
            // The certificate must name the host: its DNS name, or for an address its IP SAN.
            if HostResolver.isNumericAddress(name) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls), name)
            } else {
                _ = rotator_ssl_set_server_name(tls, name)
                SSL_set1_host(tls, name)
            }
        }
        while true {
            let result = SSL_connect(tls)
            if result == 1 { return }
            let reason = SSL_get_error(tls, result)
            let wanted: Int16
            switch reason {
            case SSL_ERROR_WANT_READ: wanted = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: wanted = Int16(POLLOUT)
            default:
                let verification = SSL_get_verify_result(tls)
                let library = Self.openSSLError()
                if verification != Int(X509_V_OK) {
                    throw DatabaseError(
                        .tls,
                        "the certificate of \(endpoint) did not verify: "
                            + String(cString: X509_verify_cert_error_string(verification)))
                }
                throw DatabaseError(.tls, "TLS handshake with \(endpoint) failed: \(library)")
            }
            guard SocketWait.wait(for: wanted, on: socket, untilEpochMilliseconds: until) != nil else {
                throw DatabaseError(.network, "TLS handshake with \(endpoint) timed out")
            }
        }
    }

    /// OpenSSL's queued error, as text (it names the failure, never data), or why there is none.
    private static func openSSLError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "the connection was closed (is this a TLS port?)" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Bytes

    private func write(_ bytes: [UInt8]) throws(DatabaseError) {
        var sent = 0
        while sent < bytes.count {
            let count: Int
            if let tls {
                count = bytes[sent...].withUnsafeBytes { Int(SSL_write(tls, $0.baseAddress, Int32($0.count))) }
                if count <= 0 {
                    try waitForTLS(SSL_get_error(tls, Int32(count)), doing: "sending a command")
                    continue
                }
            } else {
                count = bytes[sent...].withUnsafeBytes {
                    Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if count < 0 {
                    guard errno == EAGAIN || errno == EINTR else {
                        throw DatabaseError(.network, "\(endpoint) closed the connection while a command was sent")
                    }
                    try wait(Int16(POLLOUT), doing: "sending a command")
                    continue
                }
            }
            sent += count
        }
    }

    private func readMore() throws(DatabaseError) {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count: Int
            if let tls {
                count = chunk.withUnsafeMutableBytes { Int(SSL_read(tls, $0.baseAddress, Int32($0.count))) }
                if count <= 0 {
                    try waitForTLS(SSL_get_error(tls, Int32(count)), doing: "waiting for a reply")
                    continue
                }
            } else {
                count = chunk.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
                if count < 0 && (errno == EAGAIN || errno == EINTR) {
                    try wait(Int16(POLLIN), doing: "waiting for a reply")
                    continue
                }
                guard count > 0 else {
                    throw DatabaseError(.network, "\(endpoint) closed the connection before replying")
                }
            }
            received += chunk[..<count]
            return
        }
    }

    private func waitForTLS(_ reason: Int32, doing what: String) throws(DatabaseError) {
        switch reason {
        case SSL_ERROR_WANT_READ: try wait(Int16(POLLIN), doing: what)
        case SSL_ERROR_WANT_WRITE: try wait(Int16(POLLOUT), doing: what)
        case SSL_ERROR_ZERO_RETURN:
            throw DatabaseError(.network, "\(endpoint) closed the connection \(what)")
        default:
            throw DatabaseError(.network, "the TLS connection to \(endpoint) failed \(what): \(Self.openSSLError())")
        }
    }

    private func wait(_ events: Int16, doing what: String) throws(DatabaseError) {
        guard SocketWait.wait(for: events, on: socket, untilEpochMilliseconds: deadline.epochMilliseconds) != nil else {
            throw DatabaseError(.timeout, "\(endpoint) did not answer in time (\(what))")
        }
    }
}
