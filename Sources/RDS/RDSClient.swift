import HTTPClient
import Logging
import SecretsManager
import Timekeeping
import XML

/// A synchronous client for the two RDS reads a rotation makes, over RDS's Query API
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/Welcome.html): form-encoded POSTs with
/// `Version=2014-10-31`, SigV4-signed for service `rds`, XML answers read by `XMLReader`, pages followed by `Marker`,
/// the SDKs' standard retries bounded by the call's deadline.
///
/// Not thread-safe: one client per thread, like `SecretsManagerClient`.
public final class RDSClient: RDSDescribing {
    public let configuration: RDSConfiguration
    private let query: QueryProtocolClient
    /// No identifier lookup pages far; a service that keeps sending markers is not followed forever.
    static let maximumPages = 20

    /// - Throws: `RDSError` with code `Network` when libcurl cannot create a handle.
    public init(
        configuration: RDSConfiguration, logger: Logger,
        randomUnit: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) throws(RDSError) {
        do throws(QueryError) {
            query = try QueryProtocolClient(
                service: "RDS", signingName: "rds", version: "2014-10-31", endpoint: configuration.endpoint,
                region: configuration.region, credentials: configuration.credentials,
                caBundlePath: configuration.caBundlePath, maxAttempts: configuration.maxAttempts,
                connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds, logger: logger,
                randomUnit: randomUnit)
        } catch {
            throw RDSError(error)
        }
        self.configuration = configuration
    }

    public func describeDBInstance(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSInstance? {
        let found = try pages("DescribeDBInstances", ["DBInstanceIdentifier": identifier], deadline: deadline) {
            result in result.child("DBInstances")?.children("DBInstance") ?? []
        }
        guard let instance = found.first else { return nil }
        return RDSInstance(
            identifier: instance.text("DBInstanceIdentifier") ?? identifier, engine: instance.text("Engine") ?? "",
            address: instance.text("Endpoint", "Address").flatMap { $0.isEmpty ? nil : $0 },
            port: instance.text("Endpoint", "Port").flatMap { Int($0) },
            readReplicaSourceIdentifier: instance.text("ReadReplicaSourceDBInstanceIdentifier").flatMap {
                $0.isEmpty ? nil : $0
            },
            clusterIdentifier: instance.text("DBClusterIdentifier").flatMap { $0.isEmpty ? nil : $0 })
    }

    public func describeDBCluster(_ identifier: String, deadline: Deadline) throws(RDSError) -> RDSCluster? {
        let found = try pages("DescribeDBClusters", ["DBClusterIdentifier": identifier], deadline: deadline) {
            result in result.child("DBClusters")?.children("DBCluster") ?? []
        }
        guard let cluster = found.first else { return nil }
        let members = (cluster.child("DBClusterMembers")?.children("DBClusterMember") ?? []).compactMap { member in
            member.text("DBInstanceIdentifier").map {
                RDSCluster.Member(instanceIdentifier: $0, isWriter: member.text("IsClusterWriter") == "true")
            }
        }
        return RDSCluster(
            identifier: cluster.text("DBClusterIdentifier") ?? identifier, engine: cluster.text("Engine") ?? "",
            endpoint: cluster.text("Endpoint").flatMap { $0.isEmpty ? nil : $0 },
            readerEndpoint: cluster.text("ReaderEndpoint").flatMap { $0.isEmpty ? nil : $0 },
            port: cluster.text("Port").flatMap { Int($0) }, members: members)
    }

    /// Every item of every page of `action`. A "not found" fault (`DBInstanceNotFound`, `DBClusterNotFoundFault`)
    /// is an empty list, as the templates read it.
    private func pages(
        _ action: String, _ parameters: [String: String], deadline: Deadline,
        items: (XMLElement) -> [XMLElement]
    ) throws(RDSError) -> [XMLElement] {
        var found: [XMLElement] = []
        var marker: String?
        for _ in 0..<Self.maximumPages {
            var query = parameters
            if let marker { query["Marker"] = marker }
            let result: XMLElement
            do {
                result = try call(action, query, deadline: deadline)
            } catch  where error.code.hasSuffix("NotFound") || error.code.hasSuffix("NotFoundFault") {
                return found
            }
            found += items(result)
            marker = result.text("Marker").flatMap { $0.isEmpty ? nil : $0 }
            if marker == nil { return found }
        }
        throw RDSError(
            code: "InvalidResponse", message: "\(action) kept sending a Marker after \(Self.maximumPages) pages")
    }

    /// One action, retried as the standard mode does; returns its `<ActionResult>` element.
    func call(_ action: String, _ parameters: [String: String], deadline: Deadline) throws(RDSError) -> XMLElement {
        do throws(QueryError) {
            return try query.call(action, parameters, deadline: deadline) { Self.explain($0, action: action) }
        } catch {
            throw RDSError(error)
        }
    }

    /// `Action=…&Version=2014-10-31&…`, names sorted so a request is the same bytes each time.
    static func formBody(action: String, _ parameters: [String: String]) -> String {
        QueryProtocolClient.formBody(action: action, version: "2014-10-31", parameters)
    }

    /// The `<ErrorResponse><Error><Code>…` of a failed call, with what to allow when access was denied; an answer
    /// that is not one is described, never echoed.
    static func error(in response: HTTPResponse, action: String) -> RDSError {
        RDSError(explain(QueryProtocolClient.error(in: response, action: action), action: action))
    }

    private static func explain(_ error: QueryError, action: String) -> QueryError {
        guard ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"].contains(error.code) else {
            return error
        }
        var explained = error
        explained.message +=
            " Allow rds:\(action) to the function's role (template.yaml adds rds:DescribeDBInstances and "
            + "rds:DescribeDBClusters when MasterSecretArns is set)."
        return explained
    }
}
