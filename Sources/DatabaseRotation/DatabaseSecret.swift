import JSON
import Rotation

/// The connection fields of a database secret, checked the way AWS's templates check them
/// (`get_secret_dict`), with the same messages for missing keys and a wrong engine.
public struct DatabaseSecret: Sendable {
    /// Which template's order of checks to follow: the single-user templates check the engine first, the
    /// alternating-users ones check that `engine` is present along with the other required keys first.
    public enum Validation: Sendable {
        case singleUser
        case alternatingUsers
    }

    /// One of the driver's engines (`postgres`, `aurora-postgresql`, …).
    public var engine: String
    /// The server's host name or address; compared between versions and with the master's.
    public var host: String
    /// `port`, the driver's default when absent.
    public var port: Int
    /// The role that logs in (and whose password changes, in single-user rotation).
    public var username: String
    /// The role's password. Never logged, never in an error message.
    public var password: String
    /// `dbname`, the driver's default when absent or null.
    public var dbname: String?
    /// The raw `ssl` value; kept raw because the previous version inherits the current one's.
    public var ssl: JSONValue?
    /// `masterarn`, when present and a non-empty string.
    public var masterARN: String?
    /// The raw `masterarn` value, so that a wrong type is reported instead of read as "absent".
    public var masterARNValue: JSONValue?
    /// `tls_server_name`: the name the server's certificate must carry, when `host` is another name for the same
    /// server (a CNAME to an RDS endpoint, whose certificate names only the RDS endpoint). `nil`: `host` itself.
    public var tlsServerName: String?

    public var tlsSetting: TLSSetting { TLSSetting(sslValue: ssl) }

    /// Reads and checks a secret value for `driver`'s engines, port and database defaults.
    /// - Throws: `DatabaseError(.invalidSecret)` with the template's message, such as
    ///   `host key is missing from secret JSON`.
    public init(_ value: SecretValue, driver: some DatabaseDriver, validation: Validation) throws(DatabaseError) {
        guard case .json(let object) = value else {
            throw .invalidSecret(
                "Secret value is not a JSON object; a \(driver.displayName) secret needs engine, host, "
                    + "username and password keys")
        }
        var required = ["host", "username", "password"]
        switch validation {
        case .singleUser:
            guard let engine = object["engine"]?.stringValue, driver.engines.contains(engine) else {
                throw .invalidSecret(driver.wrongEngineMessage)
            }
        case .alternatingUsers:
            required.append("engine")
        }
        for key in required where object[key] == nil {
            throw .invalidSecret("\(key) key is missing from secret JSON")
        }
        guard let engine = object["engine"]?.stringValue, driver.engines.contains(engine) else {
            throw .invalidSecret(driver.wrongEngineMessage)
        }
        self.engine = engine
        self.host = try Self.hostName(object, "host")
        self.username = try Self.string(object, "username")
        self.password = try Self.string(object, "password")
        self.port = try Self.port(object["port"], default: driver.defaultPort)
        switch object["dbname"] {
        case nil, .null?: self.dbname = driver.defaultDatabase
        case .string?: self.dbname = try Self.string(object, "dbname")
        case let other?: throw .invalidSecret("dbname in secret JSON must be a string, not a \(other.typeName)")
        }
        self.ssl = object["ssl"]
        self.masterARNValue = object["masterarn"]
        self.masterARN = object["masterarn"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        self.tlsServerName = object["tls_server_name"] == nil ? nil : try Self.hostName(object, "tls_server_name")
    }

    /// A required string. Empty is refused like missing: client libraries would fill in their defaults (libpq: the
    /// OS user for `user`, `PGPASSWORD` or `~/.pgpass` for `password`, the user name for `dbname`).
    private static func string(_ object: JSONObject, _ key: String) throws(DatabaseError) -> String {
        guard let value = object[key] else { throw .invalidSecret("\(key) key is missing from secret JSON") }
        guard let text = value.stringValue else {
            throw .invalidSecret("\(key) in secret JSON must be a string, not a \(value.typeName)")
        }
        guard !text.isEmpty else { throw .invalidSecret("\(key) in secret JSON is empty") }
        // Client libraries take C strings: a NUL would cut the value short without a word.
        guard !text.utf8.contains(0) else { throw .invalidSecret("\(key) in secret JSON contains a NUL character") }
        return text
    }

    /// One host name or address. Client libraries read more into `host`: a leading `/` names a Unix-socket
    /// directory (no TLS, no network), a comma separates several hosts to try; neither belongs in a rotated secret.
    private static func hostName(_ object: JSONObject, _ key: String) throws(DatabaseError) -> String {
        let text = try string(object, key)
        guard !text.hasPrefix("/"), !text.contains(","), !text.contains(where: { $0 == " " || $0.isNewline }) else {
            throw .invalidSecret(
                "\(key) in secret JSON must be one host name or IP address (no Unix-socket path, no "
                    + "comma-separated list, no spaces)")
        }
        return text
    }

    /// `int(port)` as the templates do it: a number or a string of digits, `defaultPort` when absent.
    private static func port(_ value: JSONValue?, default defaultPort: Int) throws(DatabaseError) -> Int {
        let port: Int?
        switch value {
        case nil: return defaultPort
        case .number(let literal)?:
            port = Int(literal) ?? Double(literal).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil }
        case .string(let text)?: port = Int(text.trimmingSpaces)
        default: port = nil
        }
        guard let port, (1...65_535).contains(port) else {
            throw .invalidSecret(
                "port in secret JSON must be a number from 1 to 65535 (a number or a string of digits)")
        }
        return port
    }
}

extension String {
    /// The string without leading and trailing ASCII white space (Python's `int()` allows it around digits).
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
