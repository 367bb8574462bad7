import DatabaseRotation
import RDS
import Synchronization
import Timekeeping

/// RDS's two reads over a directory a test fills: instances and clusters found by identifier or ARN, as RDS finds
/// them (`DescribeDBInstances` accepts either). `RDSClientServerTests` holds `RDSClient` against moto to the same
/// answers.
package final class InMemoryRDS: RDSDescribing, @unchecked Sendable {
    private let instances = Mutex<[String: RDSInstance]>([:])
    private let clusters = Mutex<[String: RDSCluster]>([:])
    private let log = Mutex<[String]>([])
    /// A failure for an action (`DescribeDBInstances`, `DescribeDBClusters`), consulted before it runs.
    package let fault = Mutex<(@Sendable (String) -> RDSError?)?>(nil)

    package init() {}

    /// The actions called so far, each with the identifier asked for.
    package var calls: [String] { log.withLock { $0 } }

    /// A directory for `AlternatingUsersStrategy` that hands out this RDS.
    package var directory: RDSDirectory { RDSDirectory { _ in self } }

    package func add(_ instance: RDSInstance) { instances.withLock { $0[instance.identifier] = instance } }
    package func add(_ cluster: RDSCluster) { clusters.withLock { $0[cluster.identifier] = cluster } }

    package func describeDBInstance(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSInstance? {
        try record("DescribeDBInstances", identifier)
        return instances.withLock { $0[Self.identifier(identifier, kind: "db")] }
    }

    package func describeDBCluster(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSCluster? {
        try record("DescribeDBClusters", identifier)
        return clusters.withLock { $0[Self.identifier(identifier, kind: "cluster")] }
    }

    private func record(_ action: String, _ identifier: String) throws(RDSError) {
        log.withLock { $0.append("\(action) \(identifier)") }
        if let error = fault.withLock({ $0 })?(action) { throw error }
    }

    /// `arn:aws:rds:us-east-1:123456789012:db:name` → `name`; an identifier stays as it is.
    static func identifier(_ text: String, kind: String) -> String {
        guard text.hasPrefix("arn:"), let range = text.range(of: ":\(kind):") else { return text }
        return String(text[range.upperBound...])
    }
}
