import JSON

/// What a secret's `ssl` key asks for, read as AWS's templates read it (`get_ssl_config`).
///
/// | `ssl` | meaning |
/// |---|---|
/// | `true`, `"true"` (any case) | TLS required |
/// | `false`, `"false"` (any case) | no TLS |
/// | absent, or anything else (`1`, `"yes"`, `null`) | TLS, with plain text as a fallback |
///
/// The templates fall back silently; here the fallback happens only when the configuration allows it
/// (`ROTATOR_ALLOW_TLS_FALLBACK`), and then with a warning in the log.
public enum TLSSetting: Sendable, Equatable {
    case required
    case disabled
    case preferred

    /// Reads the `ssl` value of a secret (`nil` when the key is absent).
    public init(sslValue: JSONValue?) {
        switch sslValue {
        case .bool(true)?: self = .required
        case .bool(false)?: self = .disabled
        case .string(let text)? where text.lowercased() == "true": self = .required
        case .string(let text)? where text.lowercased() == "false": self = .disabled
        default: self = .preferred
        }
    }
}
