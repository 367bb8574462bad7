import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy in front of a PostgreSQL server that reads enough of the frontend/backend protocol
/// (https://www.postgresql.org/docs/15/protocol-flow.html) to tell connection attempts and statements apart, so a
/// test can crash the client or cut the connection at exactly one of them. Plain text only (`"ssl": false`): the
/// proxy must see the messages, and what crashes do does not depend on encryption.
public final class PostgresWireProxy: @unchecked Sendable {
    /// A point in a client's conversation with the server.
    public enum Event: Sendable, Equatable {
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
    public enum Action: Sendable {
        case pass
        /// Close both sides now: the client sees a broken connection; the server, a client that went away.
        case cut
    }

    private let listener: Int32
    public let port: Int
    private let upstreamPort: Int
    private let observe: @Sendable (_ connection: Int, _ event: Event) -> Action
    private let state = Locked(ProxyState())

    private struct ProxyState {
        var connections = 0
        var sockets: Set<Int32> = []
        var stopped = false
    }

    /// - Parameter observe: called on the proxy's threads at each event, in order for each connection; connections
    ///   are numbered from 1.
    public init(upstreamPort: Int, observe: @escaping @Sendable (_ connection: Int, _ event: Event) -> Action) throws {
        self.upstreamPort = upstreamPort
        self.observe = observe
        (listener, port) = try Self.listen()
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    public func stop() {
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
        guard observe(number, .connect) == .pass, let server = Self.connect(port: upstreamPort) else { return }
        state.withLock { _ = $0.sockets.insert(server) }
        defer { forget(server) }
        let conversation = Conversation()
        let upstream = Thread { [self] in
            pump(from: client, to: server, number: number, conversation: conversation, fromClient: true)
        }
        upstream.start()
        pump(from: server, to: client, number: number, conversation: conversation, fromClient: false)
        conversation.finished.wait()
    }

    /// Copies whole messages from `source` to `destination`, observing the ones that matter; ends both sockets
    /// when either side closes or an observer cuts.
    private func pump(
        from source: Int32, to destination: Int32, number: Int, conversation: Conversation, fromClient: Bool
    ) {
        defer {
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            if fromClient { conversation.finished.signal() }
        }
        var reader = MessageReader(socket: source, firstIsUntyped: fromClient)
        while let message = reader.next() {
            if let event = conversation.event(for: message, fromClient: fromClient), observe(number, event) == .cut {
                return
            }
            guard Self.send(message.bytes, to: destination) else { return }
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
        guard socketFD >= 0, ok else { throw ServerError("PostgresWireProxy: cannot listen: errno \(errno)") }
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

/// What one client connection has said so far, to name the server's answers.
private final class Conversation: @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var started = false
    private var verb: String?

    func event(for message: Message, fromClient: Bool) -> PostgresWireProxy.Event? {
        lock.lock()
        defer { lock.unlock() }
        if fromClient {
            guard let verb = message.statementVerb else { return nil }
            self.verb = verb
            return .statement(verb: verb)
        }
        switch message.type {
        case UInt8(ascii: "Z") where !started:
            started = true
            return .connected(succeeded: true)
        case UInt8(ascii: "E") where !started:
            return .connected(succeeded: false)
        case UInt8(ascii: "Z"):
            defer { verb = nil }
            return verb.map { .statementDone(verb: $0) }
        default:
            return nil
        }
    }
}

/// One protocol message: type byte (none for the startup message), then a 4-byte length that counts itself.
private struct Message {
    var type: UInt8?
    var bytes: [UInt8]

    /// The first word of the SQL of a `Q` (simple query) or `P` (Parse: statement name, then the query).
    var statementVerb: String? {
        guard let type, type == UInt8(ascii: "Q") || type == UInt8(ascii: "P") else { return nil }
        var body = bytes.dropFirst(5)
        if type == UInt8(ascii: "P") { body = body.drop(while: { $0 != 0 }).dropFirst() }
        let sql = String(decoding: body.prefix(while: { $0 != 0 }), as: UTF8.self)
        return String(sql.split(whereSeparator: { $0 == " " || $0 == "\n" }).first ?? "").uppercased()
    }
}

private struct MessageReader {
    let socket: Int32
    var firstIsUntyped: Bool
    var buffer: [UInt8] = []

    init(socket: Int32, firstIsUntyped: Bool) {
        self.socket = socket
        self.firstIsUntyped = firstIsUntyped
    }

    mutating func next() -> Message? {
        let header = firstIsUntyped ? 4 : 5
        guard fill(header) else { return nil }
        let lengthBytes = buffer[(header - 4)..<header]
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        guard length >= 4, fill(header - 4 + length) else { return nil }
        let total = header - 4 + length
        let message = Message(type: firstIsUntyped ? nil : buffer[0], bytes: Array(buffer[..<total]))
        buffer.removeFirst(total)
        firstIsUntyped = false
        return message
    }

    private mutating func fill(_ count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while buffer.count < count {
            let received = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return false }
            buffer.append(contentsOf: chunk[..<received])
        }
        return true
    }
}
