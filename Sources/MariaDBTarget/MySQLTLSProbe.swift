import DatabaseRotation

/// Asks a MySQL-family server whether it offers TLS, without logging in: the server speaks first, and its greeting
/// (Protocol::HandshakeV10) has the capability flag CLIENT_SSL when it does
/// (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html).
enum MySQLTLSProbe {
    /// CLIENT_SSL in the lower capability flags.
    private static let clientSSL: UInt16 = 0x0800

    static func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        let packet = try ServerProbe.exchange(
            host: host, port: port, within: milliseconds, sending: [], until: isWholePacket)
        return try capabilities(greeting: packet, host: host, port: port) & clientSSL != 0
    }

    /// Whether `bytes` hold one whole packet: a 3-byte little-endian length, a sequence number, the payload.
    static func isWholePacket(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        return bytes.count >= 4 + length
    }

    /// The lower capability flags of a greeting packet: after the protocol version 10, the NUL-terminated server
    /// version, the 4-byte connection id, 8 bytes of scramble and a filler byte.
    static func capabilities(greeting packet: [UInt8], host: String, port: Int) throws(DatabaseError) -> UInt16 {
        let payload = packet.dropFirst(4)
        guard let version = payload.first, version == 10 else {
            // 0xFF is an error packet: too many connections, a blocked host.
            throw DatabaseError(
                .network,
                payload.first == 0xFF
                    ? "\(host.loggable):\(port) refused the connection before the login"
                    : "\(host.loggable):\(port) sent no MySQL greeting (is it a MySQL or MariaDB server?)")
        }
        guard let end = payload.dropFirst().firstIndex(of: 0), end + 1 + 4 + 8 + 1 + 2 <= payload.endIndex else {
            throw DatabaseError(.network, "\(host.loggable):\(port) sent a greeting too short to read")
        }
        let flags = end + 1 + 4 + 8 + 1
        return UInt16(payload[flags]) | UInt16(payload[flags + 1]) << 8
    }
}
