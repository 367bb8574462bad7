import Rotation

/// `rotator doctor`'s database checks and `rotator repair`'s credential test, for every driver. Nothing here
/// changes the database: logins and read-only queries only.
extension DatabaseTarget: DiagnosableTarget {
    public func verifyCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck {
        let connector = DatabaseConnector(driver: driver, configuration: configuration, context: context)
        do throws(DatabaseError) {
            let secret = try DatabaseSecret(value, driver: driver, validation: validation(for: value))
            try connector.connectProvingPassword(secret, label: label).close()
            return .works
        } catch {
            switch error.category {
            case .network, .tls, .timeout, .connectionFailed:
                return .unreachable("\(error.category.rawValue): \(error.message)")
            default:
                return .fails("\(error.category.rawValue): \(error.message)")
            }
        }
    }

    public func diagnose(current: SecretValue, previous: SecretValue?, context: RotationContext) -> [DiagnosticCheck] {
        var checks: [DiagnosticCheck] = []
        let secret: DatabaseSecret
        do throws(DatabaseError) {
            secret = try DatabaseSecret(current, driver: driver, validation: validation(for: current))
        } catch {
            return [.failed("database secret", error.message, advice: "fix the secret's JSON as the message says")]
        }
        let name = secret.tlsServerName ?? secret.host
        do throws(DatabaseError) {
            let addresses = try HostResolver.addresses(
                of: secret.host, port: secret.port, within: configuration.connectTimeoutMilliseconds,
                limitedByDeadline: false)
            checks.append(.passed("name resolution", "\(secret.host.loggable) is \(addresses.joined(separator: ", "))"))
        } catch {
            return checks + [
                .failed(
                    "name resolution", error.message,
                    advice: "in a VPC, the function needs the VPC's DNS; check the host name in the secret")
            ]
        }
        do throws(DatabaseError) {
            let offersTLS = try driver.serverOffersTLS(
                host: secret.host, port: secret.port, within: configuration.connectTimeoutMilliseconds)
            if !offersTLS && secret.tlsSetting != .disabled {
                checks.append(
                    .failed(
                        "TCP and TLS", "\(secret.host.loggable):\(secret.port) answers but has no TLS",
                        advice: "turn TLS on in the server, or set \"ssl\": false in the secret (plain text)"))
            } else {
                checks.append(
                    .passed(
                        "TCP and TLS",
                        "\(secret.host.loggable):\(secret.port) answers\(offersTLS ? " and offers TLS" : " (no TLS; the secret says ssl false)")"
                    ))
            }
        } catch {
            return checks + [
                .failed(
                    "TCP and TLS", error.message,
                    advice: "security groups / firewall: the function must reach \(secret.host.loggable):\(secret.port)"
                )
            ]
        }
        let connector = DatabaseConnector(driver: driver, configuration: configuration, context: context)
        let session: Driver.Session
        switch connector.attempt(secret, label: "AWSCURRENT", provingPassword: true) {
        case .success(let opened):
            session = opened
            let tls =
                secret.tlsSetting == .disabled
                ? "plain text" : "TLS verified against \(configuration.caFile ?? "?") for \(name.loggable)"
            checks.append(.passed("login with AWSCURRENT", "as \(session.account) over \(tls)"))
        case .failure(let error):
            return checks + [
                .failed(
                    "login with AWSCURRENT", "\(error.category.rawValue): \(error.message)",
                    advice: error.category == .tls
                        ? "see the message: the CA bundle (ROTATOR_DB_CA_FILE, the RDS bundle) or tls_server_name"
                        : "the current password does not work: `rotator repair` finds the one that does")
            ]
        }
        defer { session.close() }
        let alternating = configuration.usesAlternatingUsers(current)
        if let previous {
            switch verifyCredential(previous, label: "AWSPREVIOUS", context: context) {
            case .works: checks.append(.passed("login with AWSPREVIOUS", "works too"))
            case .fails(let reason) where !alternating:
                checks.append(.passed("login with AWSPREVIOUS", "refused, as after a single-user rotation (\(reason))"))
            case .fails(let reason):
                checks.append(
                    .failed(
                        "login with AWSPREVIOUS", reason,
                        advice:
                            "applications still using the previous user fail until the next rotation sets its password")
                )
            case .unreachable(let reason):
                checks.append(.skipped("login with AWSPREVIOUS", "cannot tell: \(reason)"))
            case .cannotTell: break
            }
        } else {
            checks.append(.skipped("login with AWSPREVIOUS", "no AWSPREVIOUS version"))
        }
        if alternating {
            checks += masterChecks(secret, duty: .createAndUpdateUsers, context: context, connector: connector)
        } else if configuration.setsPasswordsAsMaster(current) {
            checks += masterChecks(secret, duty: .setUsersPasswords, context: context, connector: connector)
        } else {
            checks.append(privilegeCheck(session, duty: .changeOwnPassword))
        }
        return checks
    }

    private func masterChecks(
        _ secret: DatabaseSecret, duty: PrivilegeDuty, context: RotationContext, connector: DatabaseConnector<Driver>
    ) -> [DiagnosticCheck] {
        let strategy = AlternatingUsersStrategy(driver: driver, configuration: configuration, rds: rds)
        let master: DatabaseSecret
        let masterARN: String
        let foundThroughRDS: Bool
        do {
            (master, masterARN, foundThroughRDS) = try strategy.masterSecretAndSource(for: secret, context: context)
        } catch {
            let message =
                (error as? DatabaseError)?.message ?? (error as? RotationError)?.errorMessage
                ?? "could not read it (\(type(of: error)))"
            return [
                .failed(
                    "master secret", message,
                    advice: "masterarn must name a readable secret with engine, host, port, username and password, "
                        + "or an RDS-managed one (rds!…) with rds:DescribeDBInstances or rds:DescribeDBClusters allowed"
                )
            ]
        }
        let found: DiagnosticCheck =
            foundThroughRDS
            ? .passed(
                "master secret",
                "RDS-managed: its aws:rds tag names the database, which RDS says is \(master.engine) at \(master.host.loggable):\(master.port)"
            )
            : .passed("master secret", "\(masterARN) names \(master.host.loggable):\(master.port)")
        switch connector.attempt(master, label: "master", provingPassword: false) {
        case .success(let session):
            defer { session.close() }
            return [
                found, .passed("master login", "as \(session.account) (master secret \(masterARN))"),
                privilegeCheck(session, duty: duty),
            ]
        case .failure(let error):
            return [found, .failed("master login", "\(error.category.rawValue): \(error.message)")]
        }
    }

    private func privilegeCheck(_ session: Driver.Session, duty: PrivilegeDuty) -> DiagnosticCheck {
        do throws(DatabaseError) {
            let missing = try session.missingPrivileges(for: duty)
            guard missing.isEmpty else {
                return .failed(
                    "privileges",
                    "\(duty.isMasters ? "the master" : "the user") lacks \(missing.joined(separator: ", "))",
                    advice: duty.isMasters
                        ? "grant them to the master, or use a master that has them"
                        : "grant them to the user")
            }
            switch duty {
            case .changeOwnPassword: return .passed("privileges", "the user may change its own password")
            case .createAndUpdateUsers:
                return .passed("privileges", "the master may create users and grant their rights")
            case .setUsersPasswords: return .passed("privileges", "the master may set the user's passwords")
            }
        } catch {
            return .skipped("privileges", "could not read them (\(error.message))")
        }
    }

    /// How the strategy for `value` reads it: alternating users need `masterarn` and allow a `_clone` name.
    func validation(for value: SecretValue) -> DatabaseSecret.Validation {
        configuration.usesAlternatingUsers(value) ? .alternatingUsers : .singleUser
    }
}
