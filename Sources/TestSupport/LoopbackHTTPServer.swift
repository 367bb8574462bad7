import Foundation
import Synchronization
import Timekeeping

#if canImport(Glibc)
    import Glibc
#endif

/// One request as the server received it, byte for byte.
package struct RecordedRequest: Sendable {
    package var method: String
    package var target: String
    /// Header lines in arrival order, names as sent.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// How many requests the same TCP connection carried before this one (0 for a new connection).
    package var indexOnConnection: Int
    package var connectionNumber: Int
    /// CLOCK_MONOTONIC time at which the request's last byte arrived, in nanoseconds.
    package var receivedAtNanoseconds: UInt64

    package func header(_ name: String) -> String? {
        headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value
    }

    package func headerCount(_ name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }

    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the server does with a request.
package enum ServerAction: Sendable {
    /// Answer with this status, headers and body, then keep the connection open for the next request.
    case respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
    /// Answer, then close the connection (without announcing it, as a frozen-and-thawed peer would).
    case respondThenClose(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
    /// Close the connection without answering: the client sees a dropped connection.
    case close
    /// Reset the connection (RST) without answering.
    case reset
}

/// A real HTTP/1.1 server on a free loopback port, for tests and benchmarks. Each connection gets a thread;
/// `handler` decides the answer to every request.
package final class LoopbackHTTPServer: @unchecked Sendable {
    package let port: Int
    private let listener: Int32
    private let handler: @Sendable (RecordedRequest) -> ServerAction
    private let keepsRequests: Bool
    private let state = Mutex(State())

    private struct State {
        var requests: [RecordedRequest] = []
        var connections = 0
        var stopped = false
        var openSockets: Set<Int32> = []
    }

    /// Starts listening on 127.0.0.1 on a port the kernel picks.
    /// - Parameter keepsRequests: `false` for long runs (a fuzzer's 100,000 requests): `requests` stays empty.
    package init(keepsRequests: Bool = true, handler: @escaping @Sendable (RecordedRequest) -> ServerAction) throws {
        self.keepsRequests = keepsRequests
        self.handler = handler
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var reuse: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(socketFD, 64) == 0 else {
            close(socketFD)
            throw ServerError("bind/listen on 127.0.0.1 failed: errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.listener = socketFD
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        stop()
    }

    /// `host:port`, the form of `AWS_LAMBDA_RUNTIME_API`.
    package var hostAndPort: String { "127.0.0.1:\(port)" }
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    package var requests: [RecordedRequest] { state.withLock { $0.requests } }
    /// How many TCP connections clients opened.
    package var connectionCount: Int { state.withLock { $0.connections } }

    /// Waits until at least `count` requests arrived, or `timeout` seconds passed; returns whether they did.
    @discardableResult
    package func waitForRequests(_ count: Int, timeout: Double = 10) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if state.withLock({ $0.requests.count }) >= count { return true }
            usleep(2_000)
        }
        return false
    }

    /// Stops accepting and drops open connections. Safe to call more than once (deinit calls it again):
    /// only the first call touches the descriptors, whose numbers may belong to another server afterwards.
    package func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            // Only shut down here: the accept thread closes the listener when it leaves accept(), and connection
            // threads close their sockets under this lock, so no number can be reused while we touch it.
            shutdown(listener, Int32(SHUT_RDWR))
            for socket in state.openSockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if state.withLock({ $0.stopped }) { return }
                if errno == EINTR { continue }
                return
            }
            var noDelay: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let number = state.withLock { state -> Int in
                state.connections += 1
                state.openSockets.insert(client)
                return state.connections
            }
            let thread = Thread { [self] in serve(client, connectionNumber: number) }
            thread.start()
        }
    }

    private func serve(_ client: Int32, connectionNumber: Int) {
        var reader = SocketReader(socket: client)
        var index = 0
        defer {
            state.withLock { state in
                state.openSockets.remove(client)
                close(client)
            }
        }
        while let request = reader.readRequest(indexOnConnection: index, connectionNumber: connectionNumber) {
            index += 1
            if keepsRequests { state.withLock { $0.requests.append(request) } }
            switch handler(request) {
            case .respond(let status, let headers, let body):
                guard write(client, response(status, headers, body)) else { return }
            case .respondThenClose(let status, let headers, let body):
                _ = write(client, response(status, headers, body))
                return
            case .close:
                return
            case .reset:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return
            }
        }
    }

    private func response(_ status: Int, _ headers: [(String, String)], _ body: [UInt8]) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    private func write(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result <= 0 { return false }
            sent += result
        }
        return true
    }

    private func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 413: "Request Entity Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

package struct ServerError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Reads HTTP/1.1 requests (headers, then a Content-Length body) from a socket.
struct SocketReader {
    let socket: Int32
    var buffer: [UInt8] = []

    init(socket: Int32) {
        self.socket = socket
    }

    mutating func readRequest(indexOnConnection: Int, connectionNumber: Int) -> RecordedRequest? {
        guard let headEnd = readUntilHeaderEnd() else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 2).map(String.init)
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
        let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap { Int($0.value) } ?? 0
        while buffer.count < length {
            guard fill() else { return nil }
        }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return RecordedRequest(
            method: requestLine[0], target: requestLine[1], headers: headers, body: body,
            indexOnConnection: indexOnConnection, connectionNumber: connectionNumber,
            receivedAtNanoseconds: MonotonicClock.nanoseconds())
    }

    private mutating func readUntilHeaderEnd() -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for start in searchFrom...(buffer.count - 4) where buffer[start..<start + 4].elementsEqual(marker) {
                    return start
                }
                searchFrom = buffer.count - 3
            }
            guard fill() else { return nil }
        }
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }
}
