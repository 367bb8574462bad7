import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A few bytes exchanged with a database server before any login: how the drivers ask whether a server offers TLS
/// (PostgreSQL answers an SSLRequest; MySQL-family servers say so in their greeting).
///
/// Used before falling back to plain text when no CA bundle exists to verify TLS: plain text is allowed only
/// when the server has no TLS, never merely because the client cannot check a certificate.
public enum ServerProbe {
    /// Connects to `host:port`, sends `request`, and reads until `isComplete` says the answer is whole.
    /// - Returns: the first address's answer, or, when it cannot be reached, the next address's.
    /// - Throws: `DatabaseError(.network)` when no address answers within `milliseconds`.
    public static func exchange(
        host: String, port: Int, within milliseconds: Int64, sending request: [UInt8],
        until isComplete: ([UInt8]) -> Bool
    ) throws(DatabaseError) -> [UInt8] {
        let until = Deadline.now().epochMilliseconds + milliseconds
        let addresses = try HostResolver.addresses(of: host, port: port, within: milliseconds, limitedByDeadline: false)
        var lastFailure = "no address"
        for address in addresses {
            switch exchange(address: address, port: port, request: request, until: until, isComplete: isComplete) {
            case .success(let answer): return answer
            case .failure(let failure): lastFailure = failure.reason
            }
        }
        throw DatabaseError(.network, "could not ask \(host.loggable):\(port) whether it offers TLS: \(lastFailure)")
    }

    private static func exchange(
        address: String, port: Int, request: [UInt8], until: Int64, isComplete: ([UInt8]) -> Bool
    ) -> Result<[UInt8], ProbeFailure> {
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
        guard SocketWait.wait(for: Int16(POLLOUT), on: socket, untilEpochMilliseconds: until) != nil else {
            return .failure(ProbeFailure("timed out connecting"))
        }
        var problem: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(socket, SOL_SOCKET, SO_ERROR, &problem, &length)
        guard problem == 0 else { return .failure(ProbeFailure(String(cString: strerror(problem)))) }
        if !request.isEmpty {
            let sent = request.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count else { return .failure(ProbeFailure("could not send the request")) }
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !isComplete(answer) {
            guard SocketWait.wait(for: Int16(POLLIN), on: socket, untilEpochMilliseconds: until) != nil else {
                return .failure(ProbeFailure("no answer in time"))
            }
            let received = recv(socket, &buffer, buffer.count, 0)
            if received < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard received > 0 else { return .failure(ProbeFailure("the server closed the connection")) }
            answer += buffer.prefix(received)
            guard answer.count <= 65_536 else { return .failure(ProbeFailure("the answer is too long")) }
        }
        return .success(answer)
    }
}

private struct ProbeFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
