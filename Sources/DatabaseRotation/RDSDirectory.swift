import Logging
import RDS
import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where alternating-users rotation asks RDS about databases: made on first use, as most secrets never need it
/// (only an RDS-managed master secret, or a user's host that differs from the master's, does).
public final class RDSDirectory: @unchecked Sendable {
    private let make: (Logger) throws(RDSError) -> any RDSDescribing
    /// Guards `made`; the client itself is used by one thread at a time, as a Lambda handles one event at a time.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var made: (any RDSDescribing)?

    public init(make: @escaping (Logger) throws(RDSError) -> any RDSDescribing) {
        self.make = make
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// An RDS client for the function's own environment (region, credentials, `AWS_ENDPOINT_URL_RDS`).
    public static func fromEnvironment(_ environment: [String: String]) -> RDSDirectory {
        RDSDirectory { logger throws(RDSError) in
            try RDSClient(configuration: try RDSConfiguration(environment: environment), logger: logger)
        }
    }

    /// For tests that name no RDS: every lookup fails with a configuration error.
    public static var none: RDSDirectory {
        RDSDirectory { _ throws(RDSError) in
            throw RDSError(code: "Configuration", message: "no RDS client is configured")
        }
    }

    /// The client, made now if it was not yet.
    func client(logger: Logger) throws(RDSError) -> any RDSDescribing {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let made { return made }
        let client = try make(logger)
        made = client
        return client
    }
}
