import Rotation

/// Logs in with a secret's credential for one rotation step, for any driver: picks TLS from the secret's `ssl`
/// key and the configuration, falls back to plain text only where allowed (and says so), requires a checked
/// password where a login is meant as proof, and logs one line per attempt.
///
/// It remembers endpoints that proved unreachable during the step, so that trying the pending, current and
/// previous credentials against a host that is down costs one connect timeout, not three (or six with fallback).
final class DatabaseConnector<Driver: DatabaseDriver> {
    let driver: Driver
    let configuration: DatabaseTargetConfiguration
    let context: RotationContext
    private var unreachable: [String: DatabaseError] = [:]

    init(driver: Driver, configuration: DatabaseTargetConfiguration, context: RotationContext) {
        self.driver = driver
        self.configuration = configuration
        self.context = context
    }

    /// Logs in as `secret.username`, into `secret.dbname`.
    /// - Parameter label: which credential this is (`AWSPENDING`, `master`, …), for the log.
    /// - Throws: `DatabaseError` from the last attempt; its message says how to allow or avoid plain text when
    ///   TLS was the problem.
    func connect(_ secret: DatabaseSecret, label: String) throws(DatabaseError) -> Driver.Session {
        let endpoint = "\(secret.host):\(secret.port)"
        if let earlier = unreachable[endpoint] {
            context.logger.info(
                "Not logging in as user '\(secret.username.loggable)' (\(label)) on host '\(secret.host.loggable)': unreachable earlier in this step"
            )
            throw earlier
        }
        let setting = secret.tlsSetting
        if setting == .disabled { return try attempt(secret, tls: .disabled, label: label) }
        let fallback = setting == .preferred && configuration.allowTLSFallback
        guard let caFile = configuration.caFile else {
            guard fallback else {
                throw DatabaseError(
                    .configuration,
                    "TLS is required for host \(secret.host.loggable) but no CA bundle was "
                        + "found: set ROTATOR_DB_CA_FILE or AWS_CA_BUNDLE")
            }
            // Without a CA bundle TLS cannot be verified; plain text is still only for a server without TLS.
            if try serverOffersTLS(secret) {
                throw DatabaseError(
                    .configuration,
                    "host \(secret.host.loggable) offers TLS but no CA bundle was found to "
                        + "verify it, so it is not used in plain text either: set ROTATOR_DB_CA_FILE (or AWS_CA_BUNDLE)"
                )
            }
            context.logger.warning(
                "Host '\(secret.host.loggable)' has no TLS; connecting without TLS because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set"
            )
            return try attempt(secret, tls: .disabled, label: label)
        }
        do {
            return try attempt(secret, tls: .verifyFull(caFile: caFile), label: label)
        } catch {
            // Fall back only when the server has no TLS. A certificate that fails verification is exactly what an
            // attacker on the path would present, and a server that refuses TLS logins (pg_hba.conf hostnossl) has
            // TLS: neither leads to plain text.
            guard driver.meansServerHasNoTLS(error), setting == .preferred else { throw explained(error, secret) }
            guard fallback else {
                throw DatabaseError(
                    error.category,
                    error.message + "; the secret has no valid ssl key, so TLS is required: "
                        + "set \"ssl\": false in the secret, or ROTATOR_ALLOW_TLS_FALLBACK=true to allow plain text")
            }
            context.logger.warning(
                "Host '\(secret.host.loggable)' has no TLS; falling back to plain text (no encryption) as user '\(secret.username.loggable)' because the secret has no ssl key and ROTATOR_ALLOW_TLS_FALLBACK is set"
            )
            return try attempt(secret, tls: .disabled, label: label)
        }
    }

    /// Logs in and requires that the server checked the password: a login under a `trust`, `peer` or `cert` rule
    /// succeeds whatever the password, so it cannot prove one.
    /// - Throws: `DatabaseError(.passwordNotChecked)` for such a login (it is closed), or `connect`'s errors.
    func connectProvingPassword(_ secret: DatabaseSecret, label: String) throws(DatabaseError) -> Driver.Session {
        let session = try connect(secret, label: label)
        guard session.usedPassword else {
            session.close()
            throw DatabaseError(
                .passwordNotChecked,
                "the server let user \(secret.username.loggable) log in on host "
                    + "\(secret.host.loggable) without asking for a password (\(driver.passwordlessLoginCause)), so the "
                    + "\(label) password is unproven; make the server ask that user for a password to rotate it")
        }
        return session
    }

    /// The templates' idempotency rule for `setSecret`: when the pending credential already logs in, and the server
    /// checked its password (a rotation re-driven after a crash), there is nothing to do.
    func pendingAlreadyLogsIn(_ pending: DatabaseSecret) -> Bool {
        do throws(DatabaseError) {
            try connectProvingPassword(pending, label: "AWSPENDING").close()
        } catch {
            if error.category == .passwordNotChecked { context.logger.info("setSecret: \(error.message)") }
            return false
        }
        context.logger.info(
            "setSecret: AWSPENDING secret is already set as password in \(driver.displayName) DB for secret arn \(context.secretId)."
        )
        return true
    }

    /// `connect` or `connectProvingPassword`, with the failure as a value: for the credentials that are expected
    /// to fail now and then.
    func attempt(_ secret: DatabaseSecret, label: String, provingPassword: Bool) -> Result<
        Driver.Session, DatabaseError
    > {
        do throws(DatabaseError) {
            return .success(
                provingPassword
                    ? try connectProvingPassword(secret, label: label) : try connect(secret, label: label))
        } catch {
            return .failure(error)
        }
    }

    private func serverOffersTLS(_ secret: DatabaseSecret) throws(DatabaseError) -> Bool {
        let left = context.deadline.remainingMilliseconds - DatabaseConnectorLimits.deadlineMarginMilliseconds
        return try driver.serverOffersTLS(
            host: secret.host, port: secret.port, within: min(configuration.connectTimeoutMilliseconds, max(left, 0)))
    }

    /// A certificate failure with what to do about the two cases users meet most: RDS's own CAs, and a host that
    /// is another name (CNAME) for the server the certificate names.
    private func explained(_ error: DatabaseError, _ secret: DatabaseSecret) -> DatabaseError {
        guard error.category == .tls else { return error }
        var message = error.message
        let verifiedName = (secret.tlsServerName ?? secret.host).lowercased()
        if verifiedName.hasSuffix(".rds.amazonaws.com") || verifiedName.hasSuffix(".rds.amazonaws.com.cn") {
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
            message +=
                "; RDS certificates chain to the Amazon RDS root CAs, which a system CA bundle does not always hold: "
                + "download the RDS bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem); for the "
                + "function, put it in the zip as rds-ca-bundle.pem (zip -j <zip> rds-ca-bundle.pem, or "
                + "RDS_CA_BUNDLE=<file> make package) and set the DbCaFile parameter to /var/task/rds-ca-bundle.pem; "
                + "on your machine, set ROTATOR_DB_CA_FILE to the downloaded file"
        }
        if message.contains("does not match host name") && secret.tlsServerName == nil {
            message +=
                "; if host is another name (a CNAME) for the server the certificate names, set \"tls_server_name\" "
                + "in the secret to that name"
        }
        return DatabaseError(.tls, message)
    }

    private func attempt(_ secret: DatabaseSecret, tls: DatabaseLogin.TLS, label: String)
        throws(DatabaseError) -> Driver.Session
    {
        let login = DatabaseLogin(
            host: secret.host, serverName: secret.tlsServerName, port: secret.port, user: secret.username,
            password: secret.password, database: secret.dbname, tls: tls)
        let kind = tls == .disabled ? "non SSL/TLS" : "SSL/TLS"
        do {
            let session = try driver.connect(
                login, timeoutMilliseconds: configuration.connectTimeoutMilliseconds, deadline: context.deadline,
                logger: context.logger)
            context.logger.info(
                "Successfully established \(kind) connection as user '\(secret.username.loggable)' with host: '\(secret.host.loggable)'"
            )
            return session
        } catch {
            context.logger.info(
                "Login as user '\(secret.username.loggable)' (\(label)) with host '\(secret.host.loggable)' over \(kind) failed: \(error.description.loggable)"
            )
            if error.category == .network { unreachable["\(secret.host):\(secret.port)"] = error }
            throw error
        }
    }
}

/// Time limits every driver keeps to.
public enum DatabaseConnectorLimits {
    /// How long before the deadline work must be over: time for the error report to reach the Runtime API.
    public static let deadlineMarginMilliseconds: Int64 = 500
    /// An attempt with less time than this left is not started: it could not finish a TLS handshake and a login.
    public static let minimumAttemptMilliseconds: Int64 = 1_000
}
