import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What one client connection has said so far, to name the server's answers. Each direction has a thread of its
/// own, so implementations lock their state.
protocol Conversation: AnyObject, Sendable {
    var finished: DispatchSemaphore { get }
    /// The next whole message from one side, or `nil` when that side closed.
    func read(from reader: inout ByteReader, fromClient: Bool) -> [UInt8]?
    func event(for message: [UInt8], fromClient: Bool) -> DatabaseWireProxy.Event?
    /// The proxy's own answer to a client message that must not reach the server, or `nil` to forward it.
    func answerInstead(of message: [UInt8]) -> [UInt8]?
}

/// PostgreSQL: a type byte (none for the startup message), then a 4-byte length that counts itself.
final class PostgresConversation: Conversation, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var clientSentStartup = false
    private var started = false
    private var verb: String?

    func read(from reader: inout ByteReader, fromClient: Bool) -> [UInt8]? {
        let untyped = fromClient && !lock.withLock({ clientSentStartup })
        let header = untyped ? 4 : 5
        guard let head = reader.peek(header) else { return nil }
        let length = head[(header - 4)...].reduce(0) { $0 << 8 | Int($1) }
        guard length >= 4, let message = reader.take(header - 4 + length) else { return nil }
        // After the startup message, typed messages follow; an SSLRequest or GSSENCRequest comes before it.
        if untyped && Self.encryptionRequest(message) == nil { lock.withLock { clientSentStartup = true } }
        return message
    }

    /// An SSLRequest or GSSENCRequest (before the startup message) is answered `N`, as a server without TLS answers it
    /// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL): the client goes on in plain
    /// text if it may, and the proxy can read every statement. A secret with `"ssl": false` never asks.
    func answerInstead(of message: [UInt8]) -> [UInt8]? {
        lock.withLock { clientSentStartup } ? nil : Self.encryptionRequest(message).map { _ in [UInt8(ascii: "N")] }
    }

    /// The request code of an SSLRequest (80877103) or GSSENCRequest (80877104), or `nil` for another message.
    static func encryptionRequest(_ message: [UInt8]) -> UInt32? {
        guard message.count == 8, message[0...3] == [0, 0, 0, 8] else { return nil }
        let code = message[4...7].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return code == 80_877_103 || code == 80_877_104 ? code : nil
    }

    func event(for message: [UInt8], fromClient: Bool) -> DatabaseWireProxy.Event? {
        lock.lock()
        defer { lock.unlock() }
        if fromClient {
            guard let verb = Self.statementVerb(message) else { return nil }
            self.verb = verb
            return .statement(verb: verb)
        }
        switch message.first {
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

    /// The first word of the SQL of a `Q` (simple query) or `P` (Parse: statement name, then the query).
    private static func statementVerb(_ bytes: [UInt8]) -> String? {
        guard let type = bytes.first, type == UInt8(ascii: "Q") || type == UInt8(ascii: "P") else { return nil }
        var body = bytes.dropFirst(5)
        if type == UInt8(ascii: "P") { body = body.drop(while: { $0 != 0 }).dropFirst() }
        return firstWord(of: body.prefix(while: { $0 != 0 }))
    }
}

/// MySQL and MariaDB: packets of a 3-byte little-endian length and a sequence number. The server speaks first
/// (its greeting); the login ends with an OK (0x00) or ERR (0xFF) packet; a statement is a COM_QUERY (0x03), and
/// its answer ends with OK or ERR, or for a result set with its last EOF packet (0xFE, short) — one after the
/// columns and one after the rows, or only the last when the client asked for CLIENT_DEPRECATE_EOF.
final class MySQLConversation: Conversation, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var serverPackets = 0
    private var clientPackets = 0
    private var started = false
    private var deprecateEOF = false
    private var verb: String?
    /// Packets of the current answer, and the EOF packets among them.
    private var answerPackets = 0
    private var eofPackets = 0

    /// Every packet goes through (TLS is offered in the greeting, which a secret with `"ssl": false` declines).
    func answerInstead(of message: [UInt8]) -> [UInt8]? { nil }

    func read(from reader: inout ByteReader, fromClient: Bool) -> [UInt8]? {
        guard let head = reader.peek(4) else { return nil }
        let length = Int(head[0]) | Int(head[1]) << 8 | Int(head[2]) << 16
        return reader.take(4 + length)
    }

    func event(for packet: [UInt8], fromClient: Bool) -> DatabaseWireProxy.Event? {
        lock.lock()
        defer { lock.unlock() }
        let payload = packet.dropFirst(4)
        if fromClient {
            clientPackets += 1
            if clientPackets == 1, payload.count >= 4 {
                // The handshake response's capability flags: CLIENT_DEPRECATE_EOF is 1 << 24.
                deprecateEOF = payload[payload.startIndex + 3] & 0x01 != 0
            }
            guard started, packet[3] == 0, payload.first == 0x03 else { return nil }
            let verb = firstWord(of: payload.dropFirst())
            self.verb = verb
            answerPackets = 0
            eofPackets = 0
            return .statement(verb: verb)
        }
        serverPackets += 1
        guard serverPackets > 1, let first = payload.first else { return nil }  // the greeting
        if !started {
            switch first {
            case 0x00:
                started = true
                return .connected(succeeded: true)
            case 0xFF: return .connected(succeeded: false)
            default: return nil  // an auth switch or more data
            }
        }
        guard let verb else { return nil }
        answerPackets += 1
        let isEOF = first == 0xFE && payload.count < (deprecateEOF ? 0xFF_FFFF : 9)
        if isEOF { eofPackets += 1 }
        let done =
            (answerPackets == 1 && (first == 0x00 || first == 0xFF)) || (answerPackets > 1 && first == 0xFF)
            || (isEOF && (deprecateEOF || eofPackets == 2))
        guard done else { return nil }
        self.verb = nil
        return .statementDone(verb: verb)
    }
}

/// Redis: every message is one RESP value; the client's are commands (arrays of bulk strings), each answered by one
/// reply. The login is the first `AUTH`; a statement's verb is its command (`ACL SETUSER` for ACL's subcommands).
final class RedisConversation: Conversation, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var started = false
    private var loggingIn = false
    private var verb: String?

    func answerInstead(of message: [UInt8]) -> [UInt8]? { nil }

    func read(from reader: inout ByteReader, fromClient: Bool) -> [UInt8]? {
        var message: [UInt8] = []
        return Self.value(from: &reader, into: &message, depth: 0) ? message : nil
    }

    /// Appends one whole RESP value's bytes to `message`; `false` when the socket closed first or it is not RESP.
    private static func value(from reader: inout ByteReader, into message: inout [UInt8], depth: Int) -> Bool {
        guard depth < 8, let line = reader.takeLine(), let kind = line.first else { return false }
        message += line
        let number = Int(String(decoding: line.dropFirst().dropLast(2), as: UTF8.self)) ?? -1
        switch kind {
        case UInt8(ascii: "$") where number >= 0:
            guard let content = reader.take(number + 2) else { return false }
            message += content
        case UInt8(ascii: "*") where number > 0:
            for _ in 0..<number {
                guard value(from: &reader, into: &message, depth: depth + 1) else { return false }
            }
        default:
            break
        }
        return true
    }

    func event(for message: [UInt8], fromClient: Bool) -> DatabaseWireProxy.Event? {
        lock.lock()
        defer { lock.unlock() }
        if fromClient {
            let words = Self.bulkStrings(message).map { $0.uppercased() }
            let verb = words.first == "ACL" && words.count > 1 ? "ACL \(words[1])" : words.first ?? ""
            if !started && verb == "AUTH" {
                loggingIn = true
                return nil
            }
            self.verb = verb
            return .statement(verb: verb)
        }
        if !started && loggingIn {
            loggingIn = false
            started = message.first == UInt8(ascii: "+")
            return .connected(succeeded: started)
        }
        defer { verb = nil }
        return verb.map { .statementDone(verb: $0) }
    }

    /// The bulk strings of a command, as text (only the first two are ever looked at).
    private static func bulkStrings(_ message: [UInt8]) -> [String] {
        var strings: [String] = []
        var index = message.startIndex
        func line() -> ArraySlice<UInt8>? {
            guard let end = message[index...].firstIndex(of: 13), end + 1 < message.endIndex else { return nil }
            defer { index = end + 2 }
            return message[index..<end]
        }
        guard let header = line(), header.first == UInt8(ascii: "*") else { return [] }
        while strings.count < 2, let bulk = line(), bulk.first == UInt8(ascii: "$"),
            let length = Int(String(decoding: bulk.dropFirst(), as: UTF8.self)), index + length <= message.endIndex
        {
            strings.append(String(decoding: message[index..<(index + length)], as: UTF8.self))
            index += length + 2
        }
        return strings
    }
}

/// The first word of a statement's text, in capitals (`ALTER`).
func firstWord(of sql: some Collection<UInt8>) -> String {
    let text = String(decoding: sql, as: UTF8.self)
    return String(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first ?? "").uppercased()
}
