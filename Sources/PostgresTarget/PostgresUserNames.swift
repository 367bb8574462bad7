/// The alternating-users naming rule of AWS's template (`get_alt_username`).
enum PostgresUserNames {
    /// PostgreSQL's identifier limit (NAMEDATALEN − 1), in bytes. The template counts characters; counting
    /// bytes matters for non-ASCII names, which the server would otherwise cut short without an error.
    static let maximumNameBytes = 63
    private static let suffix = "_clone"

    /// `name_clone` for `name`, and `name` for `name_clone`.
    /// - Throws: `PostgresError(.invalidSecret)` with the template's message when the result is too long.
    static func alternate(of username: String) throws(PostgresError) -> String {
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
        guard alternate.utf8.count <= maximumNameBytes else {
            throw .invalidSecret("Unable to clone user, username length with _clone appended would exceed 63 characters")
        }
        return alternate
    }
}
