import Rotation

/// Logs in with a secret's credential for one rotation step: picks TLS from the secret's `ssl` key and the
/// configuration, falls back to plain text only where allowed (and says so), and logs one line per attempt.
///
/// It remembers endpoints that proved unreachable during the step, so that trying the pending, current and
/// previous credentials against a host that is down costs one connect timeout, not three (or six with fallback).
final class PostgresConnector {
    let configuration: PostgresTargetConfiguration
    let context: RotationContext
    private var unreachable: [String: PostgresError] = [:]

    init(configuration: PostgresTargetConfiguration, context: RotationContext) {
        self.configuration = configuration
        self.context = context
    }

    /// Logs in as `secret.username`, into `secret.dbname`.
    /// - Parameter label: which credential this is (`AWSPENDING`, `master`, …), for the log.
    /// - Throws: `PostgresError` from the last attempt; its message says how to allow or avoid plain text when
    ///   TLS was the problem.
    func connect(_ secret: PostgresSecret, label: String) throws(PostgresError) -> PostgresConnection {
        let endpoint = "\(secret.host):\(secret.port)"
        if let earlier = unreachable[endpoint] {
            context.logger.info("Not logging in as user '\(secret.username.loggable)' (\(label)) on host '\(secret.host.loggable)': unreachable earlier in this step")
            throw earlier
        }
        let setting = secret.tlsSetting
        if setting == .disabled { return try attempt(secret, tls: .disabled, label: label) }
        let fallback = setting == .preferred && configuration.allowTLSFallback
        guard let caFile = configuration.caFile else {
            guard fallback else {
                throw PostgresError(.configuration, "TLS is required for host \(secret.host.loggable) but no CA bundle was "
                    + "found: set ROTATOR_DB_CA_FILE or AWS_CA_BUNDLE")
            }
            context.logger.warning("No CA bundle found for TLS; connecting to host '\(secret.host.loggable)' without TLS because ROTATOR_ALLOW_TLS_FALLBACK is set")
            return try attempt(secret, tls: .disabled, label: label)
        }
        do {
            return try attempt(secret, tls: .verifyFull(rootCertificateFile: caFile), label: label)
        } catch {
            // Fall back only when the server cannot do TLS. A certificate that fails verification is exactly what
            // an attacker on the path would present, so it never leads to plain text.
            let tlsProblem = error.message.contains("server does not support SSL") || error.message.contains("no pg_hba.conf entry")
            guard tlsProblem, setting == .preferred else { throw error }
            guard fallback else {
                throw PostgresError(error.category, error.message + "; the secret has no valid ssl key, so TLS is required: "
                    + "set \"ssl\": false in the secret, or ROTATOR_ALLOW_TLS_FALLBACK=true to allow plain text")
            }
            context.logger.warning("TLS connection as user '\(secret.username.loggable)' to host '\(secret.host.loggable)' failed; falling back to plain text (no encryption) because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set")
            return try attempt(secret, tls: .disabled, label: label)
        }
    }

    /// `connect`, with the failure as a value: for the credentials that are expected to fail now and then.
    /// The templates' idempotency rule for `setSecret`: when the pending credential already logs in (a rotation
    /// re-driven after a crash), there is nothing to do.
    func pendingAlreadyLogsIn(_ pending: PostgresSecret) -> Bool {
        guard case .success(let connection) = attempt(pending, label: "AWSPENDING") else { return false }
        connection.close()
        context.logger.info(
            "setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn \(context.secretId).")
        return true
    }

    func attempt(_ secret: PostgresSecret, label: String) -> Result<PostgresConnection, PostgresError> {
        do throws(PostgresError) {
            return .success(try connect(secret, label: label))
        } catch {
            return .failure(error)
        }
    }

    private func attempt(_ secret: PostgresSecret, tls: PostgresConnectionParameters.TLS, label: String)
        throws(PostgresError) -> PostgresConnection
    {
        let parameters = PostgresConnectionParameters(
            host: secret.host, port: secret.port, user: secret.username, password: secret.password,
            database: secret.dbname, tls: tls)
        let kind = tls == .disabled ? "non SSL/TLS" : "SSL/TLS"
        do {
            let connection = try PostgresConnection(
                parameters: parameters, connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
                deadline: context.deadline)
            context.logger.info("Successfully established \(kind) connection as user '\(secret.username.loggable)' with host: '\(secret.host.loggable)'")
            return connection
        } catch {
            context.logger.info("Login as user '\(secret.username.loggable)' (\(label)) with host '\(secret.host.loggable)' over \(kind) failed: \(error.description.loggable)")
            if error.category == .network { unreachable["\(secret.host):\(secret.port)"] = error }
            throw error
        }
    }
}
