/// The alternating-users naming rule of AWS's templates (`get_alt_username`): `name` ↔ `name_clone`.
public enum UserNames {
    static let suffix = "_clone"

    /// `name_clone` for `name`, and `name` for `name_clone`.
    /// - Parameter maximumBytes: the server's limit. The templates count characters; counting bytes matters for
    ///   non-ASCII names, which a server would otherwise cut short without an error.
    /// - Throws: `DatabaseError(.invalidSecret)` with the template's message when the result is too long.
    public static func alternate(of username: String, maximumBytes: Int) throws(DatabaseError) -> String {
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
        guard alternate.utf8.count <= maximumBytes else {
            throw .invalidSecret(
                "Unable to clone user, username length with _clone appended would exceed \(maximumBytes) characters")
        }
        return alternate
    }
}
