import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy in front of a database server that reads enough of its protocol to tell connection attempts and
/// statements apart, so a test can crash the client or cut the connection at exactly one of them: PostgreSQL's
/// frontend/backend protocol (https://www.postgresql.org/docs/15/protocol-flow.html) or the MySQL client/server
/// protocol (https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html), or Redis's RESP
/// (https://redis.io/docs/latest/develop/reference/protocol-spec/). Plain text only
/// (`"ssl": false`): the proxy must see the messages, and what crashes do does not depend on encryption. A
/// PostgreSQL client that asks for TLS anyway is told the server has none.
package final class DatabaseWireProxy: @unchecked Sendable {
    package enum Dialect: Sendable {
        case postgres
        case mysql
        case redis
    }

    /// A point in a client's conversation with the server.
    package enum Event: Sendable, Equatable {
        /// A client connected; the proxy has not connected to the server yet.
        case connect
        /// The server ended the startup: ReadyForQuery (logged in) or ErrorResponse (refused). Not forwarded yet.
        case connected(succeeded: Bool)
        /// The client sent a statement (`Q`, or the `P` that starts one); `verb` is its first word (`ALTER`). Not
        /// forwarded yet.
        case statement(verb: String)
        /// The server answered that statement (its ReadyForQuery). Not forwarded yet.
        case statementDone(verb: String)
    }

    /// What the proxy does at an event.
    package enum Action: Sendable {
        case pass
        /// Close both sides now: the client sees a broken connection; the server, a client that went away.
        case cut
    }

    private let listener: Int32
    package let port: Int
    private let upstreamPort: Int
    private let dialect: Dialect
    private let observe: @Sendable (_ connection: Int, _ event: Event) -> Action
    private let record: (@Sendable (_ fromClient: Bool, _ message: [UInt8]) -> Void)?
    private let state = Locked(ProxyState())

    private struct ProxyState {
        var connections = 0
        var sockets: Set<Int32> = []
        var stopped = false
    }

    /// - Parameters:
    ///   - record: given every whole message, both directions, as it passes (a test's wire capture).
    ///   - observe: called on the proxy's threads at each event, in order for each connection; connections are
    ///     numbered from 1.
    package init(
        upstreamPort: Int, dialect: Dialect,
        record: (@Sendable (_ fromClient: Bool, _ message: [UInt8]) -> Void)? = nil,
        observe: @escaping @Sendable (_ connection: Int, _ event: Event) -> Action
    ) throws {
        self.upstreamPort = upstreamPort
        self.dialect = dialect
        self.record = record
        self.observe = observe
        (listener, port) = try Self.listen()
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    package func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for socket in state.sockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if state.withLock({ $0.stopped }) || errno != EINTR { return }
                continue
            }
            let number = state.withLock { state -> Int in
                state.connections += 1
                state.sockets.insert(client)
                return state.connections
            }
            Thread { [self] in relay(client, number: number) }.start()
        }
    }

    private func relay(_ client: Int32, number: Int) {
        defer { forget(client) }
        let conversation: any Conversation =
            switch dialect {
            case .postgres: PostgresConversation()
            case .mysql: MySQLConversation()
            case .redis: RedisConversation()
            }
        // A request for TLS is answered here, before the attempt counts as a connection: a client that gives up on
        // a server without TLS never reached the server, and makes no call a test could crash after.
        var clientReader = ByteReader(socket: client)
        var startup: [UInt8]?
        if dialect == .postgres {
            while let message = conversation.read(from: &clientReader, fromClient: true) {
                if let answer = conversation.answerInstead(of: message) {
                    guard Self.send(answer, to: client) else { return }
                    continue
                }
                startup = message
                break
            }
            guard startup != nil else { return }
        }
        guard observe(number, .connect) == .pass, let server = Self.connect(port: upstreamPort) else { return }
        state.withLock { _ = $0.sockets.insert(server) }
        defer { forget(server) }
        if let startup, !Self.send(startup, to: server) { return }
        let upstream = Thread { [self, clientReader] in
            pump(
                from: client, to: server, number: number, conversation: conversation, fromClient: true,
                reader: clientReader)
        }
        upstream.start()
        pump(
            from: server, to: client, number: number, conversation: conversation, fromClient: false,
            reader: ByteReader(socket: server))
        conversation.finished.wait()
    }

    /// Copies whole messages from `source` to `destination`, observing the ones that matter; ends both sockets
    /// when either side closes or an observer cuts.
    private func pump(
        from source: Int32, to destination: Int32, number: Int, conversation: any Conversation, fromClient: Bool,
        reader: ByteReader
    ) {
        defer {
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            if fromClient { conversation.finished.signal() }
        }
        var reader = reader
        while let message = conversation.read(from: &reader, fromClient: fromClient) {
            if let event = conversation.event(for: message, fromClient: fromClient), observe(number, event) == .cut {
                return
            }
            record?(fromClient, message)
            guard Self.send(message, to: destination) else { return }
        }
    }

    private func forget(_ socket: Int32) {
        state.withLock { state in
            state.sockets.remove(socket)
            close(socket)
        }
    }

    private static func listen() throws -> (Int32, Int) {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, length) == 0 && Glibc.listen(socketFD, 64) == 0
                    && getsockname(socketFD, $0, &length) == 0
            }
        }
        guard socketFD >= 0, ok else { throw ServerError("DatabaseWireProxy: cannot listen: errno \(errno)") }
        return (socketFD, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func connect(port: Int) -> Int32? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if connected { return socketFD }
        close(socketFD)
        return nil
    }

    private static func send(_ bytes: [UInt8], to socket: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if result <= 0 { return false }
            sent += result
        }
        return true
    }
}

/// Buffered reads from one socket.
struct ByteReader {
    let socket: Int32
    var buffer: [UInt8] = []

    init(socket: Int32) {
        self.socket = socket
    }

    /// The next `count` bytes, left in the buffer; `nil` when the socket closed first.
    mutating func peek(_ count: Int) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while buffer.count < count {
            let received = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<received])
        }
        return Array(buffer[..<count])
    }

    /// The bytes up to and including the next CRLF, taken out of the buffer; `nil` when the socket closed first.
    mutating func takeLine() -> [UInt8]? {
        var searched = 0
        while true {
            if let end = buffer[searched...].firstIndex(of: 10), end > 0, buffer[end - 1] == 13 {
                return take(end + 1)
            }
            searched = buffer.count
            guard searched < 1 << 20, peek(buffer.count + 1) != nil else { return nil }
        }
    }

    /// The next `count` bytes, taken out of the buffer.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard peek(count) != nil else { return nil }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }
}
