import JSON
import Logging
import RDS
import Rotation

/// The master secret's database as RDS knows it, and the replica rule that goes with it, as AWS's multi-user
/// templates have them:
/// - a master secret that holds exactly `username` and `password` is RDS-managed
///   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html): its tag
///   `aws:rds:primaryDBInstanceArn` or `aws:rds:primaryDBClusterArn` names the database, and `DescribeDBInstances` or
///   `DescribeDBClusters` gives its host, port and engine;
/// - a user whose host is not the master's may still be on the same database: a read replica of the master's
///   instance, or the reader endpoint or a reader member of the master's Aurora cluster.
struct MasterDatabase {
    /// The RDS resource an RDS-managed master secret names.
    enum Resource: Equatable {
        case instance(arn: String)
        case cluster(arn: String)
    }

    /// The longest DB ARN the templates accept (`MAX_RDS_DB_INSTANCE_ARN_LENGTH`).
    static let maximumARNLength = 256

    let rds: RDSDirectory
    let context: RotationContext

    /// Whether a master secret's value is RDS-managed: exactly the keys `username` and `password`.
    static func isRDSManaged(_ value: SecretValue) -> Bool {
        guard let object = value.object else { return false }
        return Set(object.keys) == ["username", "password"]
    }

    /// Which RDS resource the master secret's tags name.
    /// - Throws: `DatabaseError.invalidSecret` when neither tag is there, or the ARN is too long or of another kind.
    func resource(ofMaster masterARN: String) throws -> Resource {
        // Tag keys match in any case, as the templates match them.
        let tags = try context.tags(ofSecret: masterARN)
        func tag(_ key: String) -> String? { tags.first { $0.key.lowercased() == key.lowercased() }?.value }
        let instance = tag("aws:rds:primaryDBInstanceArn")
        let cluster = tag("aws:rds:primaryDBClusterArn")
        guard let arn = instance ?? cluster else {
            throw DatabaseError.invalidSecret(
                "Master secret \(masterARN) holds only username and password, and has neither an "
                    + "aws:rds:primaryDBInstanceArn nor an aws:rds:primaryDBClusterArn tag, so its database cannot be "
                    + "found: name the secret RDS made for the database (rds!db-… or rds!cluster-…), or add engine, "
                    + "host and port to this one")
        }
        guard arn.count <= Self.maximumARNLength else {
            throw DatabaseError.invalidSecret(
                "\(arn.loggable) is not a valid DB Instance ARN. It exceeds the maximum length of \(Self.maximumARNLength)."
            )
        }
        if instance != nil, arn.contains(":db:") { return .instance(arn: arn) }
        if instance == nil, arn.contains(":cluster:") { return .cluster(arn: arn) }
        throw DatabaseError.invalidSecret(
            "\(arn.loggable), named by master secret \(masterARN)'s aws:rds tag, is not a DB "
                + (instance != nil ? "instance ARN (arn:…:rds:…:db:…)" : "cluster ARN (arn:…:rds:…:cluster:…)"))
    }

    /// The master secret with `engine`, `host` and `port` from RDS added, and the cluster when it names one.
    /// - Throws: `DatabaseError.invalidSecret` (the templates' texts) when RDS has no such database or it has no
    ///   endpoint yet; the RDS failure's category otherwise (an access denial names the permission to add).
    func resolve(_ value: SecretValue, masterARN: String) throws -> (SecretValue, RDSCluster?) {
        guard case .json(var object) = value else { return (value, nil) }
        let resource = try resource(ofMaster: masterARN)
        let client = try lookup { logger throws(RDSError) in try rds.client(logger: logger) }
        let endpoint: (engine: String, host: String?, port: Int?)
        var cluster: RDSCluster?
        switch resource {
        case .instance(let arn):
            let found = try described("Instance", arn) { arn, deadline throws(RDSError) in
                try client.describeDBInstance(arn, deadline: deadline)
            }
            endpoint = (found.engine, found.address, found.port)
        case .cluster(let arn):
            let found = try described("Cluster", arn) { arn, deadline throws(RDSError) in
                try client.describeDBCluster(arn, deadline: deadline)
            }
            endpoint = (found.engine, found.endpoint, found.port)
            cluster = found
        }
        guard let host = endpoint.host, let port = endpoint.port else {
            throw DatabaseError(
                .configuration,
                "The database of RDS-managed master secret \(masterARN) has no endpoint yet (it is being created or "
                    + "modified): rotate again once it is available")
        }
        object["engine"] = .string(endpoint.engine)
        object["host"] = .string(host)
        object["port"] = .integer(port)
        context.logger.info(
            "setSecret: Found the database of RDS-managed master secret \(masterARN) through RDS: \(endpoint.engine) at \(host):\(port)."
        )
        return (.json(object), cluster)
    }

    /// Whether `userHost` reaches the same database as `masterHost`: a read replica of the master's instance (its
    /// `ReadReplicaSourceDBInstanceIdentifier`), or the reader endpoint or a reader member of the master's cluster.
    /// Hosts are RDS endpoints whose first label is the instance or cluster identifier.
    /// - Returns: `nil` when it is; otherwise why not, for the refusal's message ("cannot tell" is not "yes").
    func sameDatabase(userHost: String, masterHost: String, cluster known: RDSCluster?) -> String? {
        let userID = Self.identifier(of: userHost)
        let masterID = Self.identifier(of: masterHost)
        do {
            let client = try lookup { logger throws(RDSError) in try rds.client(logger: logger) }
            if known != nil || masterHost.lowercased().contains(".cluster-") {
                guard
                    let cluster = try known
                        ?? lookup({ _ throws(RDSError) in
                            try client.describeDBCluster(masterID, deadline: context.deadline)
                        })
                else {
                    return "RDS has no cluster \(masterID)"
                }
                if cluster.readerEndpoint?.lowercased() == userHost.lowercased() { return nil }
                if cluster.members.contains(where: { $0.instanceIdentifier.lowercased() == userID && !$0.isWriter }) {
                    return nil
                }
                return
                    "\(userHost) is neither the reader endpoint nor a reader instance of cluster \(cluster.identifier)"
            }
            guard
                let instance = try lookup({ _ throws(RDSError) in
                    try client.describeDBInstance(userID, deadline: context.deadline)
                })
            else {
                return "RDS has no instance \(userID)"
            }
            guard let source = instance.readReplicaSourceIdentifier else {
                return "instance \(userID) is not a read replica"
            }
            // A cross-Region replica names its source by ARN.
            let sourceID = String(source.split(separator: ":").last ?? Substring(source)).lowercased()
            return sourceID == masterID
                ? nil : "instance \(userID) is a read replica of \(sourceID), not of \(masterID)"
        } catch {
            context.logger.warning(
                "setSecret: Could not check whether \(userHost) is a replica of \(masterHost): \(error)")
            return "could not ask RDS (\(error))"
        }
    }

    /// What `describe` says of the DB instance or cluster `arn`.
    /// - Throws: the templates' `… is not a valid DB Instance ARN. No Instances found …` when RDS has none.
    private func described<Value>(
        _ kind: String, _ arn: String, _ describe: (String, Deadline) throws(RDSError) -> Value?
    ) throws(DatabaseError) -> Value {
        guard let found = try lookup({ _ throws(RDSError) in try describe(arn, context.deadline) }) else {
            throw DatabaseError.invalidSecret(
                "\(arn) is not a valid DB \(kind) ARN. No \(kind)s found when using DescribeDB\(kind)s RDS API to get connection params."
            )
        }
        return found
    }

    /// The first label of an RDS endpoint: the instance or cluster identifier (identifiers are lowercase).
    static func identifier(of host: String) -> String {
        String(host.split(separator: ".").first ?? Substring(host)).lowercased()
    }

    /// An RDS call, its failure as the `DatabaseError` a user acts on.
    private func lookup<Value>(_ body: (Logger) throws(RDSError) -> Value) throws(DatabaseError) -> Value {
        do {
            return try body(context.logger)
        } catch {
            let category: DatabaseError.Category =
                switch error.code {
                case _ where error.isAccessDenied: .permission
                case "Network", "TLS": .network
                case "DeadlineExceeded": .timeout
                default: .configuration
                }
            throw DatabaseError(category, "RDS: \(error)")
        }
    }
}
