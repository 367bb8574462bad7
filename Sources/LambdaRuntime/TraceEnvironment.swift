#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `_X_AMZN_TRACE_ID` in the process environment, as Lambda's runtimes set it for each invocation
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), without the heap growing by one trace header
/// per invocation.
///
/// glibc's `setenv` allocates a new `NAME=value` string for every value it has not seen and never frees the old ones
/// (they may still be referenced by a `getenv` caller), so a new trace id each invocation leaked about 144 bytes each
/// time. Here the variable lives in one buffer this process owns, handed to `putenv`, which puts the pointer itself
/// into the environment (https://man7.org/linux/man-pages/man3/putenv.3.html): a new value is copied into the same
/// buffer. Only the loop's thread writes it; values too long for the buffer (none seen in practice) fall back to
/// `setenv`.
final class TraceEnvironment: @unchecked Sendable {
    static let name = "_X_AMZN_TRACE_ID"
    /// Room for the name, `=`, a value and the NUL. X-Ray trace headers are well under 256 bytes
    /// (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
    static let capacity = 1_024

    /// The process has one environment, so one buffer.
    static let shared = TraceEnvironment()

    private let buffer: UnsafeMutablePointer<CChar>
    private let prefixLength: Int
    /// Whether `buffer` is in the environment now.
    private var installed = false

    private init() {
        buffer = .allocate(capacity: Self.capacity)
        buffer.initialize(repeating: 0, count: Self.capacity)
        var length = 0
        for byte in (Self.name + "=").utf8 {
            buffer[length] = CChar(bitPattern: byte)
            length += 1
        }
        prefixLength = length
    }

    /// Sets the variable to `traceID`, or removes it for `nil`.
    func set(_ traceID: String?) {
        guard let traceID else {
            unsetenv(Self.name)
            installed = false
            return
        }
        let bytes = traceID.utf8
        guard prefixLength + bytes.count + 1 <= Self.capacity, !bytes.contains(0) else {
            if installed { unsetenv(Self.name) }
            installed = false
            setenv(Self.name, traceID, 1)
            return
        }
        var offset = prefixLength
        for byte in bytes {
            buffer[offset] = CChar(bitPattern: byte)
            offset += 1
        }
        buffer[offset] = 0
        if !installed {
            unsetenv(Self.name)
            installed = putenv(buffer) == 0
            if !installed { setenv(Self.name, traceID, 1) }
        }
    }
}
