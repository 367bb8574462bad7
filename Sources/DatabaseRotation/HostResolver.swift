import Rotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Host-name resolution with a time limit.
///
/// Database client libraries resolve a host name with a blocking `getaddrinfo`, outside any timeout they are
/// given (libpq: https://www.postgresql.org/docs/15/libpq-connect.html, `connect_timeout` applies per address once
/// resolved), so a DNS server that does not answer could hold a rotation past the Lambda deadline. The name is
/// resolved here instead, on a thread of its own that is abandoned if it does not answer in time, and the driver
/// connects to the addresses (keeping the name for certificate verification).
public enum HostResolver {
    /// The numeric addresses of `host`, in resolver order without repeats; an IP literal is returned as is.
    /// - Throws: `DatabaseError(.network)` when the name does not resolve, or not within `milliseconds`
    ///   (`.timeout` when `limitedByDeadline`: the Lambda deadline, not the attempt's own limit, ran out).
    public static func addresses(of host: String, port: Int, within milliseconds: Int64, limitedByDeadline: Bool)
        throws(DatabaseError) -> [String]
    {
        if isNumericAddress(host) { return [host] }
        let resolution = Resolution(host: host, port: port)
        guard resolution.start() else {
            throw DatabaseError(.network, "could not start resolving host name \"\(host.loggable)\"")
        }
        switch resolution.wait(milliseconds: milliseconds) {
        case .resolved(let addresses):
            return addresses
        case .failed(let reason):
            throw DatabaseError(.network, "could not translate host name \"\(host.loggable)\" to address: \(reason)")
        case .timedOut:
            throw DatabaseError(
                limitedByDeadline ? .timeout : .network,
                "could not resolve host name \"\(host.loggable)\" within \(milliseconds) ms (no answer from DNS"
                    + (limitedByDeadline ? "; limited by the Lambda deadline)" : ")"))
        }
    }

    public static func isNumericAddress(_ host: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }
}

/// One `getaddrinfo` call on a detached thread; the waiter may give up while the thread is still in the resolver.
private final class Resolution: @unchecked Sendable {
    enum Outcome {
        case resolved([String])
        case failed(String)
        case timedOut
    }

    let host: String
    let port: Int
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var outcome: Outcome?

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        pthread_mutex_init(lock, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(finished, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(finished)
        pthread_mutex_destroy(lock)
        finished.deallocate()
        lock.deallocate()
    }

    /// Starts the resolver thread, which keeps this object alive until it is done.
    func start() -> Bool {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let resolution = Unmanaged<Resolution>.fromOpaque(argument).takeRetainedValue()
                resolution.finish(with: resolution.resolve())
                return nil
            }, retained)
        guard created == 0 else {
            Unmanaged<Resolution>.fromOpaque(retained).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    func wait(milliseconds: Int64) -> Outcome {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Int64(now.tv_nsec) + max(milliseconds, 0) * 1_000_000
        var until = timespec(tv_sec: now.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while outcome == nil {
            if pthread_cond_timedwait(finished, lock, &until) == ETIMEDOUT { break }
        }
        return outcome ?? .timedOut
    }

    private func finish(with result: Outcome) {
        pthread_mutex_lock(lock)
        outcome = result
        pthread_cond_signal(finished)
        pthread_mutex_unlock(lock)
    }

    private func resolve() -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else { return .failed(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = list
        while let current = entry {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(
                current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0,
                NI_NUMERICHOST) == 0
            {
                let address = String(
                    decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            entry = current.pointee.ai_next
        }
        return addresses.isEmpty ? .failed("no address") : .resolved(addresses)
    }
}
