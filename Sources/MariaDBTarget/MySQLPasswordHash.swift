import CCrypto

/// A password in the form a MySQL-family server stores, computed here, so that the statement that sets it (and
/// every log that records the statement) holds a hash, never the password.
package enum MySQLPasswordHash {
    /// `mysql_native_password`: `*` and the uppercase hex of SHA1(SHA1(password))
    /// (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html).
    package static func native(_ password: String) -> String {
        "*" + hex(sha1(sha1(Array(password.utf8)))).uppercased()
    }

    /// `caching_sha2_password`'s stored form: `$A$005$`, a 20-character salt, and the 43-character SHA-256-crypt
    /// digest of 5000 rounds (Drepper's SHA-crypt, https://www.akkadia.org/drepper/SHA-crypt.txt, with MySQL's
    /// 20-byte salt: mysql-server `sql/auth/sha2_password.cc`). The salt is drawn from the crypt alphabet, so the
    /// hash needs no escaping and can never contain `rounds=` or `$`.
    package static func cachingSHA2(_ password: String, salt: [UInt8]? = nil) -> String {
        let salt = salt ?? (0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }
        return "$A$005$" + String(decoding: salt, as: UTF8.self)
            + sha256Crypt(Array(password.utf8), salt: salt, rounds: 5_000)
    }

    private static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The digest part of SHA-256-crypt: steps 1–21 of Drepper's specification, base-64 in its own byte order.
    static func sha256Crypt(_ key: [UInt8], salt: [UInt8], rounds: Int) -> String {
        let b = sha256(key + salt + key)
        var a = key + salt
        var remaining = key.count
        while remaining > 32 {
            a += b
            remaining -= 32
        }
        a += b.prefix(remaining)
        var bits = key.count
        while bits > 0 {
            a += bits & 1 == 1 ? b : key
            bits >>= 1
        }
        let digestA = sha256(a)
        let p = repeated(sha256(Array(repeating: key, count: key.count).flatMap { $0 }), to: key.count)
        let s = repeated(sha256(Array(repeating: salt, count: 16 + Int(digestA[0])).flatMap { $0 }), to: salt.count)
        var c = digestA
        for round in 0..<rounds {
            var input = round & 1 == 1 ? p : c
            if round % 3 != 0 { input += s }
            if round % 7 != 0 { input += p }
            input += round & 1 == 1 ? c : p
            c = sha256(input)
        }
        let order: [(Int, Int, Int)] = [
            (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5), (6, 16, 26), (27, 7, 17),
            (18, 28, 8), (9, 19, 29),
        ]
        var text = ""
        for (first, second, third) in order { text += encode(c[first], c[second], c[third], count: 4) }
        return text + encode(0, c[31], c[30], count: 3)
    }

    private static func encode(_ high: UInt8, _ middle: UInt8, _ low: UInt8, count: Int) -> String {
        var word = UInt32(high) << 16 | UInt32(middle) << 8 | UInt32(low)
        var text = ""
        for _ in 0..<count {
            text.unicodeScalars.append(Unicode.Scalar(alphabet[Int(word & 63)]))
            word >>= 6
        }
        return text
    }

    private static func repeated(_ digest: [UInt8], to count: Int) -> [UInt8] {
        Array((0..<(count / digest.count + 1)).flatMap { _ in digest }.prefix(count))
    }

    static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { input in _ = SHA1(input.baseAddress, input.count, &output) }
        return output
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { input in _ = SHA256(input.baseAddress, input.count, &output) }
        return output
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
