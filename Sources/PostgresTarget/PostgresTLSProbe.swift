import DatabaseRotation
import Rotation

/// Asks a PostgreSQL server whether it offers TLS, without logging in: the protocol's SSLRequest message, to which
/// the server answers one byte, `S` (yes) or `N` (no)
/// (https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.12).
enum PostgresTLSProbe {
    /// The SSLRequest message: length 8, then the code 1234 5679 (80877103).
    private static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    /// Whether the server at `host:port` offers TLS.
    /// - Throws: `DatabaseError(.network)` when it cannot be reached or gives no answer within `milliseconds`.
    static func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        let answer = try ServerProbe.exchange(
            host: host, port: port, within: milliseconds, sending: sslRequest, until: { !$0.isEmpty })
        switch answer.first {
        case UInt8(ascii: "S"): return true
        case UInt8(ascii: "N"): return false
        default:
            throw DatabaseError(
                .network, "\(host.loggable):\(port) gave an unexpected answer (is it a PostgreSQL server?)")
        }
    }
}
