import SigV4
import Synchronization
import Timekeeping

/// Where a client's signing credentials come from. Clients ask before every request, so temporary credentials
/// (an assumed role, a container's or an instance's role) are replaced before they expire.
///
/// `source` says where they came from, for `--verbose` and error messages; nothing here ever shows a key.
public protocol CredentialProvider: Sendable {
    /// e.g. `environment (AWS_ACCESS_KEY_ID)` or `profile "ops": AssumeRole arn:aws:iam::…:role/rotator`.
    var source: String { get }
    /// The credentials to sign the next request with.
    func credentials() throws(CredentialError) -> Credentials
}

/// Credentials could not be obtained: the message names the source, the file, the variable or the endpoint, and
/// what to do; never a key, a token, or what a credential process printed.
public struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Long-term keys, or temporary ones the caller handed over (Lambda's environment): used as they are.
public struct StaticCredentialProvider: CredentialProvider {
    public let source: String
    private let value: Credentials

    public init(_ credentials: Credentials, source: String) {
        value = credentials
        self.source = source
    }

    public func credentials() -> Credentials { value }
}

/// Credentials and when they stop working (seconds since the epoch); `nil` for keys that do not expire.
package struct ExpiringCredentials: Sendable {
    package var credentials: Credentials
    package var expiration: Double?

    package init(_ credentials: Credentials, expiration: Double?) {
        self.credentials = credentials
        self.expiration = expiration
    }
}

/// Temporary credentials fetched on first use and fetched again before they expire, as the SDKs do: an advisory
/// window in which a failed refresh keeps the old credentials, then a mandatory one in which it is an error
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html).
/// Thread-safe; one fetch at a time.
package final class RefreshingCredentialProvider: CredentialProvider {
    package let source: String
    private let fetch: @Sendable () throws(CredentialError) -> ExpiringCredentials
    private let clock: @Sendable () -> Double
    private let cache = Mutex<Cached?>(nil)

    private struct Cached {
        var value: ExpiringCredentials
        var fetchedAt: Double
    }

    /// What to do with cached credentials at a given time.
    package enum Freshness: Equatable, Sendable {
        case fresh
        /// Refresh, but keep using these if that fails.
        case refreshAdvised
        /// Refresh; these are too close to expiry to sign with.
        case refreshRequired
    }

    /// - Parameter clock: wall-clock seconds since the epoch; tests move it.
    package init(
        source: String, clock: @escaping @Sendable () -> Double = WallClock.seconds,
        fetch: @escaping @Sendable () throws(CredentialError) -> ExpiringCredentials
    ) {
        self.source = source
        self.clock = clock
        self.fetch = fetch
    }

    package func credentials() throws(CredentialError) -> Credentials {
        try cache.withLock { cached throws(CredentialError) -> Credentials in
            let now = clock()
            if let current = cached {
                switch Self.freshness(now: now, fetchedAt: current.fetchedAt, expiration: current.value.expiration) {
                case .fresh:
                    return current.value.credentials
                case .refreshAdvised:
                    guard let renewed = try? fetch() else { return current.value.credentials }
                    cached = Cached(value: renewed, fetchedAt: now)
                    return renewed.credentials
                case .refreshRequired:
                    break
                }
            }
            let fetched = try fetch()
            if let expiration = fetched.expiration, expiration <= now {
                throw CredentialError("\(source) gave credentials that had already expired: check this machine's clock")
            }
            cached = Cached(value: fetched, fetchedAt: now)
            return fetched.credentials
        }
    }

    /// A refresh is advised from 15 minutes before expiry and required from 10 minutes before, as the SDKs do; for
    /// credentials shorter-lived than an hour, from the last quarter and the last sixth of their life instead (a
    /// 15-minute role: advised after 11¼ minutes, required after 12½), so they are not fetched on every request.
    /// Credentials without an expiration stay fresh.
    package static func freshness(now: Double, fetchedAt: Double, expiration: Double?) -> Freshness {
        guard let expiration else { return .fresh }
        let lifetime = max(expiration - fetchedAt, 0)
        let left = expiration - now
        if left <= min(600, lifetime / 6) { return .refreshRequired }
        if left <= min(900, lifetime / 4) { return .refreshAdvised }
        return .fresh
    }
}

/// Wall-clock time, for credential expirations and role session names.
package enum WallClock {
    @Sendable package static func seconds() -> Double { Double(Deadline.now().epochMilliseconds) / 1_000 }
}
