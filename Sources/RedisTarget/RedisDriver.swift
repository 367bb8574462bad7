import DatabaseRotation
import Logging
import Rotation

/// Redis and Valkey ACL users (https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/) under
/// the shared strategies: single user, alternating users (the clone gets the source's ACL rules, read back and
/// compared), and dual passwords, which Redis has natively (a user may hold several passwords). Passwords reach the
/// server only as `#<SHA-256 hex>` rules, so `MONITOR`, `SLOWLOG` and `ACL LOG` never see one in plain text.
///
/// The RESP client is this module's own (`RESP`, `RedisConnection`): a few hundred lines over the socket code and the
/// OpenSSL that the zip already links, instead of hiredis and its TLS library; nothing runs until a Redis secret is
/// rotated.
package struct RedisDriver: DatabaseDriver {
    package init() {}

    /// The `redis` entry for `RotationLambda.run(targets:)`.
    package static var choice: TargetChoice { DatabaseTarget.choice(RedisDriver()) }

    package var traits: DatabaseTraits {
        DatabaseTraits(
            name: "redis", displayName: "Redis", engines: ["redis", "valkey"], defaultPort: 6379, defaultDatabase: nil,
            // Redis sets no limit on user names; ACL files and log lines stay readable at this length.
            maximumUserNameLength: 128, supportsDualPasswords: true, supportsMasterDualPasswords: true,
            copiesRights: true,
            // `redis://user:password@host` URLs break on these.
            defaultExcludeCharacters: #":/@"'\"#,
            passwordlessLoginCause: "a user with nopass (or a server whose default user has no password)")
    }

    package func connect(_ login: DatabaseLogin, timeoutMilliseconds: Int64, deadline: Deadline, logger: Logger)
        throws(DatabaseError) -> RedisSession
    {
        try RedisSession(login: login, timeoutMilliseconds: timeoutMilliseconds, deadline: deadline, logger: logger)
    }

    /// Whether a TLS handshake completes on the port, certificate unchecked: Redis has no in-band question.
    package func serverOffersTLS(host: String, port: Int, within milliseconds: Int64) throws(DatabaseError) -> Bool {
        do throws(DatabaseError) {
            let probe = try RedisConnection(
                host: host, serverName: nil, port: port, tls: .verifyFull(caFile: ""),
                timeoutMilliseconds: milliseconds,
                deadline: .after(milliseconds: milliseconds), verifying: false)
            probe.close()
            return true
        } catch  where error.category == .tls {
            return false
        }
    }

    /// Never: TLS is on its own port, so a failed handshake says nothing about plain text being safe to use.
    package func meansServerHasNoTLS(_ error: DatabaseError) -> Bool { false }
}
