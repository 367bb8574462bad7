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
            // Without a CA bundle TLS cannot be verified; plain text is still only for a server without TLS.
            if try serverOffersTLS(secret) {
                throw PostgresError(.configuration, "host \(secret.host.loggable) offers TLS but no CA bundle was found to "
                    + "verify it, so it is not used in plain text either: set ROTATOR_DB_CA_FILE (or AWS_CA_BUNDLE)")
            }
            context.logger.warning("Host '\(secret.host.loggable)' has no TLS; connecting without TLS because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set")
            return try attempt(secret, tls: .disabled, label: label)
        }
        do {
            return try attempt(secret, tls: .verifyFull(rootCertificateFile: caFile), label: label)
        } catch {
            // Fall back only when the server has no TLS. A certificate that fails verification is exactly what an
            // attacker on the path would present, and a server that refuses TLS logins (pg_hba.conf hostnossl) has
            // TLS: neither leads to plain text.
            guard error.message.contains("server does not support SSL"), setting == .preferred else {
                throw explained(error, secret)
            }
            guard fallback else {
                throw PostgresError(error.category, error.message + "; the secret has no valid ssl key, so TLS is required: "
                    + "set \"ssl\": false in the secret, or ROTATOR_ALLOW_TLS_FALLBACK=true to allow plain text")
            }
            context.logger.warning("Host '\(secret.host.loggable)' has no TLS; falling back to plain text (no encryption) as user '\(secret.username.loggable)' because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set")
            return try attempt(secret, tls: .disabled, label: label)
        }
    }

    /// Logs in and requires that the server checked the password: a login under a `trust`, `peer` or `cert` rule
    /// succeeds whatever the password, so it cannot prove one.
    /// - Throws: `PostgresError(.passwordNotChecked)` for such a login (it is closed), or `connect`'s errors.
    func connectProvingPassword(_ secret: PostgresSecret, label: String) throws(PostgresError) -> PostgresConnection {
        let connection = try connect(secret, label: label)
        guard connection.usedPassword else {
            connection.close()
            throw PostgresError(.passwordNotChecked, "the server let user \(secret.username.loggable) log in on host "
                + "\(secret.host.loggable) without asking for a password (a trust, peer or cert rule in pg_hba.conf), "
                + "so the \(label) password is unproven; give that user a password rule (scram-sha-256) to rotate it")
        }
        return connection
    }

    /// The templates' idempotency rule for `setSecret`: when the pending credential already logs in, and the server
    /// checked its password (a rotation re-driven after a crash), there is nothing to do.
    func pendingAlreadyLogsIn(_ pending: PostgresSecret) -> Bool {
        do throws(PostgresError) {
            try connectProvingPassword(pending, label: "AWSPENDING").close()
        } catch {
            if error.category == .passwordNotChecked { context.logger.info("setSecret: \(error.message)") }
            return false
        }
        context.logger.info(
            "setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn \(context.secretId).")
        return true
    }

    /// `connect`, with the failure as a value: for the credentials that are expected to fail now and then.
    func attempt(_ secret: PostgresSecret, label: String) -> Result<PostgresConnection, PostgresError> {
        do throws(PostgresError) {
            return .success(try connect(secret, label: label))
        } catch {
            return .failure(error)
        }
    }

    /// `connectProvingPassword`, with the failure as a value.
    func attemptProvingPassword(_ secret: PostgresSecret, label: String) -> Result<PostgresConnection, PostgresError> {
        do throws(PostgresError) {
            return .success(try connectProvingPassword(secret, label: label))
        } catch {
            return .failure(error)
        }
    }

    private func serverOffersTLS(_ secret: PostgresSecret) throws(PostgresError) -> Bool {
        let left = context.deadline.remainingMilliseconds - PostgresConnection.deadlineMarginMilliseconds
        return try PostgresTLSProbe.serverOffersTLS(
            host: secret.host, port: secret.port, within: min(configuration.connectTimeoutMilliseconds, max(left, 0)))
    }

    /// A certificate failure with what to do about the two cases users meet most: RDS's own CAs, and a host that
    /// is another name (CNAME) for the server the certificate names.
    private func explained(_ error: PostgresError, _ secret: PostgresSecret) -> PostgresError {
        guard error.category == .tls else { return error }
        var message = error.message
        let verifiedName = (secret.tlsServerName ?? secret.host).lowercased()
        if verifiedName.hasSuffix(".rds.amazonaws.com") || verifiedName.hasSuffix(".rds.amazonaws.com.cn") {
            message += "; RDS certificates chain to the Amazon RDS root CAs, which Lambda's system CA bundle does not "
                + "always hold: download the RDS bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem),"
                + " package it with RDS_CA_BUNDLE=<file> make package and set the DbCaFile parameter "
                + "(ROTATOR_DB_CA_FILE=/var/task/rds-ca-bundle.pem)"
        }
        if message.contains("does not match host name") && secret.tlsServerName == nil {
            message += "; if host is another name (a CNAME) for the server the certificate names, set \"tls_server_name\" "
                + "in the secret to that name"
        }
        return PostgresError(.tls, message)
    }

    private func attempt(_ secret: PostgresSecret, tls: PostgresConnectionParameters.TLS, label: String)
        throws(PostgresError) -> PostgresConnection
    {
        let parameters = PostgresConnectionParameters(
            host: secret.host, serverName: secret.tlsServerName, port: secret.port, user: secret.username,
            password: secret.password, database: secret.dbname, tls: tls)
        let kind = tls == .disabled ? "non SSL/TLS" : "SSL/TLS"
        do {
            let connection = try PostgresConnection(
                parameters: parameters, connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
                deadline: context.deadline, logger: context.logger)
            context.logger.info("Successfully established \(kind) connection as user '\(secret.username.loggable)' with host: '\(secret.host.loggable)'")
            return connection
        } catch {
            context.logger.info("Login as user '\(secret.username.loggable)' (\(label)) with host '\(secret.host.loggable)' over \(kind) failed: \(error.description.loggable)")
            if error.category == .network { unreachable["\(secret.host):\(secret.port)"] = error }
            throw error
        }
    }
}
