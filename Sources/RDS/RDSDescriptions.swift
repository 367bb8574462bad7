import Timekeeping

/// What the rotation needs to know about a DB instance (`DescribeDBInstances`).
public struct RDSInstance: Sendable, Equatable {
    public var identifier: String
    /// `postgres`, `mysql`, `mariadb`, `aurora-postgresql`…
    public var engine: String
    /// `Endpoint.Address`; absent while the instance is being created.
    public var address: String?
    public var port: Int?
    /// The instance this one is a read replica of (an identifier, or an ARN for a cross-Region source).
    public var readReplicaSourceIdentifier: String?
    /// The Aurora cluster the instance belongs to.
    public var clusterIdentifier: String?

    public init(
        identifier: String, engine: String, address: String?, port: Int?, readReplicaSourceIdentifier: String? = nil,
        clusterIdentifier: String? = nil
    ) {
        self.identifier = identifier
        self.engine = engine
        self.address = address
        self.port = port
        self.readReplicaSourceIdentifier = readReplicaSourceIdentifier
        self.clusterIdentifier = clusterIdentifier
    }
}

/// What the rotation needs to know about an Aurora (or Multi-AZ) DB cluster (`DescribeDBClusters`).
public struct RDSCluster: Sendable, Equatable {
    /// A member instance and whether it is the writer.
    public struct Member: Sendable, Equatable {
        public var instanceIdentifier: String
        public var isWriter: Bool

        public init(instanceIdentifier: String, isWriter: Bool) {
            self.instanceIdentifier = instanceIdentifier
            self.isWriter = isWriter
        }
    }

    public var identifier: String
    public var engine: String
    /// The writer (cluster) endpoint.
    public var endpoint: String?
    public var readerEndpoint: String?
    public var port: Int?
    public var members: [Member]

    public init(
        identifier: String, engine: String, endpoint: String?, readerEndpoint: String?, port: Int?, members: [Member]
    ) {
        self.identifier = identifier
        self.engine = engine
        self.endpoint = endpoint
        self.readerEndpoint = readerEndpoint
        self.port = port
        self.members = members
    }
}

/// The two RDS reads a rotation makes: `RDSClient` asks RDS; tests hold an in-memory directory to the same shape.
public protocol RDSDescribing: AnyObject {
    /// The instance `identifier` (an identifier or an ARN), or `nil` when RDS has none by that name.
    func describeDBInstance(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSInstance?
    /// The cluster `identifier` (an identifier or an ARN), or `nil` when RDS has none by that name.
    func describeDBCluster(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSCluster?
}
