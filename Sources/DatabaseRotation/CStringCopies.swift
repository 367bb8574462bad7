#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Copies of strings in C memory that stay at one address until this object goes: for C calls whose library keeps
/// the pointer after the call returns.
///
/// A `String` passed straight to a C parameter is valid only for that one call: Swift may hand over a temporary
/// copy (always for strings of up to 15 bytes) and free it as the call returns. A non-blocking client library that
/// suspends and resumes (MariaDB Connector/C's `*_start`/`*_cont` pairs keep every argument of the `_start` call:
/// https://mariadb.com/kb/en/using-the-non-blocking-library/) would read freed memory. Hold the copies with
/// `withExtendedLifetime` (or a `defer` that mentions them) until the library is done. Each copy is wiped before it
/// is freed, because some of them are passwords.
public final class CStringCopies {
    private var copies: [(pointer: UnsafeMutablePointer<CChar>, count: Int)] = []

    public init() {}

    deinit {
        for copy in copies {
            // explicit_bzero, unlike memset, is not removed as a dead store before free
            // (https://man7.org/linux/man-pages/man3/bzero.3.html).
            explicit_bzero(copy.pointer, copy.count)
            free(copy.pointer)
        }
    }

    /// A NUL-terminated copy of every UTF-8 byte of `text` (a NUL inside is copied too: pass the byte count where
    /// the library takes a length), valid until this object goes; `nil` for `nil`.
    public func copy(_ text: String?) -> UnsafePointer<CChar>? {
        guard let text else { return nil }
        let count = text.utf8.count
        guard let memory = malloc(count + 1) else { return nil }
        let pointer = memory.bindMemory(to: CChar.self, capacity: count + 1)
        var bytes = text
        bytes.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { source in
                if let base = source.baseAddress { pointer.update(from: base, count: count) }
            }
        }
        pointer[count] = 0
        copies.append((pointer, count + 1))
        return UnsafePointer(pointer)
    }
}
