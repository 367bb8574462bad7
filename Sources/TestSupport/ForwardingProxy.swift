import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 proxy on a loopback port in front of a real server (moto), which forwards each request unchanged
/// (the `Host` header included, so SigV4 signatures still verify) unless `decide` picks a fault for it.
///
/// The faults are the ones a real server cannot be made to produce on cue: a response lost after the server
/// applied the request, a connection reset before it got there, a 5xx or throttling answer, a slow answer.
package final class ForwardingProxy: @unchecked Sendable {
    /// What the proxy does with one request.
    package enum Fault: Sendable, Equatable {
        /// Forward it and pass the answer back.
        case none
        /// Forward it, let the server apply it, then close the connection without answering.
        case dropResponse
        /// Reset the connection without forwarding.
        case reset
        /// Answer with this status and JSON body without forwarding.
        case respond(status: Int, body: String)
        /// Wait this long, then forward.
        case delay(milliseconds: Int)
    }

    /// One request as the proxy saw it.
    package struct Exchange: Sendable {
        /// 0 for the first request the proxy received.
        package var index: Int
        /// The `X-Amz-Target` operation (`DescribeSecret`, …), a Query API request's `Action` (RDS's
        /// `DescribeDBInstances`, …), or the path for other requests.
        package var operation: String
        package var fault: Fault
    }

    package let server: LoopbackHTTPServer
    private let exchanges = Locked<[Exchange]>([])

    /// - Parameters:
    ///   - upstreamPort: the real server's port on 127.0.0.1.
    ///   - decide: the fault for a request, given its index and operation; called on the proxy's threads.
    ///   - onAnswered: called when the real server's answer to a forwarded request has arrived, before it is passed
    ///     on (or dropped): the moment to crash a client "after the call".
    package init(
        upstreamPort: Int, decide: @escaping @Sendable (_ index: Int, _ operation: String) -> Fault,
        onAnswered: (@Sendable (_ index: Int, _ operation: String) -> Void)? = nil
    ) throws {
        let exchanges = self.exchanges
        let counter = Locked(0)
        server = try LoopbackHTTPServer { request in
            let index = counter.withLock { value -> Int in
                defer { value += 1 }
                return value
            }
            let operation =
                request.header("X-Amz-Target").map { String($0.split(separator: ".").last ?? "") }
                ?? Self.queryAction(request.bodyText) ?? request.target
            let fault = decide(index, operation)
            exchanges.withLock { $0.append(Exchange(index: index, operation: operation, fault: fault)) }
            switch fault {
            case .reset:
                return .reset
            case .respond(let status, let body):
                return .respond(
                    status: status, headers: [("Content-Type", "application/x-amz-json-1.1")], body: Array(body.utf8))
            case .delay(let milliseconds):
                usleep(UInt32(milliseconds) * 1_000)
                fallthrough
            case .none, .dropResponse:
                guard let answer = ForwardingProxy.forward(request, to: upstreamPort) else { return .close }
                onAnswered?(index, operation)
                return fault == .dropResponse
                    ? .close : .respond(status: answer.status, headers: answer.headers, body: answer.body)
            }
        }
    }

    /// `http://127.0.0.1:<port>`, the endpoint to give the code under test.
    package var endpoint: String { server.baseURL }

    /// Every request so far, with the fault it got.
    package var log: [Exchange] { exchanges.withLock { $0 } }

    package func stop() { server.stop() }

    /// Sends `request` to 127.0.0.1:`port` on a new connection and reads the whole answer.
    static func forward(_ request: RecordedRequest, to port: Int) -> (
        status: Int, headers: [(String, String)], body: [UInt8]
    )? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return nil }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var head = "\(request.method) \(request.target) HTTP/1.1\r\n"
        for (name, value) in request.headers where !["connection", "content-length"].contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + request.body
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes {
                send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard result > 0 else { return nil }
            sent += result
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: chunk[..<count])
        }
        return parse(response)
    }

    private static func parse(_ response: [UInt8]) -> (status: Int, headers: [(String, String)], body: [UInt8])? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(response.count - 3, 0)).first(where: { response[$0..<$0 + 4].elementsEqual(marker) })
        else {
            return nil
        }
        var lines = String(decoding: response[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            // The proxy frames its own answer (Content-Length) and keeps its own connection.
            guard !["content-length", "connection", "transfer-encoding"].contains(name.lowercased()) else { continue }
            headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(response[(end + 4)...])
        let length = lines.first(where: { $0.lowercased().hasPrefix("content-length:") })
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        if let length, length <= body.count { body = Array(body[..<length]) }
        return (status, headers, body)
    }

    /// The `Action` of a form-encoded Query API body (`Action=DescribeDBInstances&Version=…`).
    static func queryAction(_ body: String) -> String? {
        body.split(separator: "&").first { $0.hasPrefix("Action=") }.map { String($0.dropFirst(7)) }
    }
}
