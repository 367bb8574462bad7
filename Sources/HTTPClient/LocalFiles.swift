#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The file-system reads configuration needs, behind closures so tests can substitute them.
public struct LocalFiles: Sendable {
    /// The file's text, or `nil` when it cannot be read.
    public var read: @Sendable (String) -> String?
    public var exists: @Sendable (String) -> Bool

    public init(read: @escaping @Sendable (String) -> String?, exists: @escaping @Sendable (String) -> Bool) {
        self.read = read
        self.exists = exists
    }

    public static let system = LocalFiles(read: readFile, exists: { access($0, F_OK) == 0 })

    /// Reads at most 1 MiB: credentials and config files are small, and a huge file is a mistake.
    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes.append(contentsOf: chunk[..<count])
        }
        return nil
    }
}

/// The system's CA bundles, tried in order when no bundle is named: Amazon Linux (Lambda), Debian/Ubuntu, others.
/// Lambda's `provided.al2023` has only the first; a libcurl built on Debian looks only for the second.
public enum SystemCABundle {
    public static let paths = [
        "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem",
    ]

    /// The first of `paths` that exists.
    public static func find(in files: LocalFiles = .system) -> String? { paths.first(where: files.exists) }
}
