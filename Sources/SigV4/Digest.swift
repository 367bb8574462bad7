import CCrypto

/// SHA-256 and HMAC-SHA256 through OpenSSL's one-shot functions, plus lowercase hex.
///
/// One-shot calls keep no context between uses, so the functions are pure and safe from any thread.
public enum Digest {
    /// The SHA-256 digest (32 bytes) of `bytes`.
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        withContiguousBytes(bytes) { input in
            output.withUnsafeMutableBufferPointer { digest in
                _ = SHA256(input.baseAddress, input.count, digest.baseAddress)
            }
        }
        return output
    }

    /// The HMAC-SHA256 (32 bytes) of `message` under `key`.
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        withContiguousBytes(key) { keyBytes in
            withContiguousBytes(message) { messageBytes in
                output.withUnsafeMutableBufferPointer { digest in
                    _ = HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                        messageBytes.baseAddress, messageBytes.count, digest.baseAddress, &length)
                }
            }
        }
        return output
    }

    /// Lowercase hex SHA-256 of `bytes`: the form SigV4 uses for payload and canonical-request hashes.
    public static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        hex(sha256(bytes))
    }

    /// Lowercase hexadecimal text of `bytes`.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The SHA-256 of the empty string, the payload hash of a request without a body.
    public static let emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

/// Calls `body` with contiguous storage for `bytes`, copying only when the collection has none.
/// An empty input gets a valid (non-nil) base address: an empty Swift array may have none, and
/// OpenSSL's one-shot functions expect a pointer even for zero bytes.
@inline(__always)
private func withContiguousBytes<Result>(
    _ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result
) -> Result {
    if bytes.isEmpty {
        let placeholder: [UInt8] = [0]
        return placeholder.withUnsafeBufferPointer { body(UnsafeBufferPointer(start: $0.baseAddress, count: 0)) }
    }
    if let result = bytes.withContiguousStorageIfAvailable(body) {
        return result
    }
    return Array(bytes).withUnsafeBufferPointer(body)
}
