import DatabaseRotation
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Asks a PostgreSQL server whether it offers TLS, without logging in: the protocol's SSLRequest message, to which
/// the server answers one byte, `S` (yes) or `N` (no)
/// (https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.12).
///
/// Used before falling back to plain text when no CA bundle exists to verify TLS: plain text is allowed only
/// when the server has no TLS, never merely because the client cannot check a certificate.
enum PostgresTLSProbe {
    /// The SSLRequest message: length 8, then the code 1234 5679 (80877103).
    private static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    /// Whether the server at `host:port` offers TLS.
    /// - Throws: `DatabaseError(.network)` when it cannot be reached or gives no answer within `milliseconds`.
    static func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        let until = Deadline.now().epochMilliseconds + milliseconds
        let addresses = try HostResolver.addresses(of: host, port: port, within: milliseconds, limitedByDeadline: false)
        var lastFailure = "no address"
        for address in addresses {
            switch ask(address: address, port: port, untilEpochMilliseconds: until) {
            case .success(let answer): return answer
            case .failure(let failure): lastFailure = failure.reason
            }
        }
        throw DatabaseError(.network, "could not ask \(host.loggable):\(port) whether it offers TLS: \(lastFailure)")
    }

    private static func ask(address: String, port: Int, untilEpochMilliseconds until: Int64) -> Result<
        Bool, ProbeFailure
    > {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &list) == 0, let entry = list else {
            return .failure(ProbeFailure("not an address"))
        }
        defer { freeaddrinfo(list) }
        let socket = Glibc.socket(
            entry.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { return .failure(ProbeFailure("socket: errno \(errno)")) }
        defer { close(socket) }
        if connect(socket, entry.pointee.ai_addr, entry.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
            return .failure(ProbeFailure("connect: errno \(errno)"))
        }
        guard PostgresConnection.wait(for: Int16(POLLOUT), on: socket, untilEpochMilliseconds: until) else {
            return .failure(ProbeFailure("timed out connecting"))
        }
        var problem: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(socket, SOL_SOCKET, SO_ERROR, &problem, &length)
        guard problem == 0 else { return .failure(ProbeFailure(String(cString: strerror(problem)))) }
        let sent = sslRequest.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == sslRequest.count else { return .failure(ProbeFailure("could not send the request")) }
        guard PostgresConnection.wait(for: Int16(POLLIN), on: socket, untilEpochMilliseconds: until) else {
            return .failure(ProbeFailure("no answer in time"))
        }
        var answer: UInt8 = 0
        guard recv(socket, &answer, 1, 0) == 1 else {
            return .failure(ProbeFailure("the server closed the connection"))
        }
        switch answer {
        case UInt8(ascii: "S"): return .success(true)
        case UInt8(ascii: "N"): return .success(false)
        default: return .failure(ProbeFailure("unexpected answer (is it a PostgreSQL server?)"))
        }
    }
}

private struct ProbeFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
