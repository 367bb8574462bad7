/// The alternating-users naming rule of AWS's templates (`get_alt_username`): `name` ↔ `name_clone`.
public enum UserNames {
    static let suffix = "_clone"

    /// How a server counts a user name's length.
    public enum Unit: Sendable {
        /// PostgreSQL's NAMEDATALEN: bytes.
        case bytes
        /// MySQL and MariaDB: characters.
        case characters
    }

    /// `name_clone` for `name`, and `name` for `name_clone`.
    /// - Parameter maximum: the server's limit in `unit`. The templates count characters; counting bytes matters for
    ///   PostgreSQL's non-ASCII names, which the server would otherwise cut short without an error.
    /// - Throws: `DatabaseError(.invalidSecret)` with the template's message when the result is too long.
    public static func alternate(of username: String, maximum: Int, unit: Unit = .bytes) throws(DatabaseError) -> String
    {
        let bytes = Array(username.utf8)
        let alternate: String
        if bytes.count >= suffix.utf8.count, bytes.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) {
            alternate = String(decoding: bytes.dropLast(suffix.utf8.count), as: UTF8.self)
        } else {
            alternate = username + suffix
        }
        guard !alternate.isEmpty else {
            throw .invalidSecret("Unable to clone user: the username \"_clone\" has no base name to alternate with")
        }
        let length = unit == .bytes ? alternate.utf8.count : alternate.count
        guard length <= maximum else {
            throw .invalidSecret(
                "Unable to clone user, username length with _clone appended would exceed \(maximum) characters")
        }
        return alternate
    }
}
