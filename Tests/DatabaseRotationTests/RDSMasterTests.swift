import DatabaseRotation
import DatabaseTestKit
import JSON
import RDS
import Rotation
import SecretsManager
import TestSupport
import Testing

/// RDS-managed master secrets and replicas, as AWS's multi-user templates accept them, on the in-memory database
/// and RDS: the master's database found through its tag, users on a read replica or an Aurora reader accepted as
/// the same database, and every way it can go wrong refused with a message that says what to do.
@Suite("RDS-managed masters and replicas in process")
struct RDSMasterTests {
    static let instanceARN = "arn:aws:rds:us-east-1:123456789012:db:appdb"
    static let clusterARN = "arn:aws:rds:us-east-1:123456789012:cluster:appcluster"
    static let writerHost = "appdb.c1abcdefghij.us-east-1.rds.amazonaws.com"
    static let clusterHost = "appcluster.cluster-c1abcdefghij.us-east-1.rds.amazonaws.com"
    static let readerHost = "appcluster.cluster-ro-c1abcdefghij.us-east-1.rds.amazonaws.com"

    static func instance(_ id: String, replicaOf source: String? = nil) -> RDSInstance {
        RDSInstance(
            identifier: id, engine: "memdb", address: "\(id).c1abcdefghij.us-east-1.rds.amazonaws.com", port: 5432,
            readReplicaSourceIdentifier: source)
    }

    static var cluster: RDSCluster {
        RDSCluster(
            identifier: "appcluster", engine: "memdb", endpoint: clusterHost, readerEndpoint: readerHost, port: 5432,
            members: [
                .init(instanceIdentifier: "appcluster-1", isWriter: true),
                .init(instanceIdentifier: "appcluster-2", isWriter: false),
            ])
    }

    func user(_ lab: DatabaseLab, _ name: String = "app", host: String, master: String) -> String {
        lab.secret(
            user: name, password: "start-Pw1!", host: host, rights: ["SELECT", "INSERT"],
            extra: JSONObject(["masterarn": .string(master)]))
    }

    @Test("an RDS-managed instance master: its database found through the tag and DescribeDBInstances, never written")
    func instanceMaster() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.add(Self.instance("appdb"))
        let master = lab.rdsManagedMaster(tag: ("aws:rds:primaryDBInstanceArn", Self.instanceARN))
        let masterBefore = try lab.memory.stages(secretId: master)
        let arn = user(lab, host: Self.writerHost, master: master)
        try lab.rotate(arn)
        #expect(try lab.field(arn, "AWSCURRENT", "username") == "app_clone")
        #expect(lab.database.account("app_clone")?.rights == ["SELECT", "INSERT"])
        #expect(lab.rds.calls == ["DescribeDBInstances \(Self.instanceARN)"])
        #expect(try lab.memory.stages(secretId: master) == masterBefore, "the RDS-managed secret is never written")
        #expect(lab.logs.allText.contains("memdb at \(Self.writerHost):5432"))
    }

    @Test("tag keys match in any case, as the templates match them")
    func tagCase() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.add(Self.instance("appdb"))
        let master = lab.rdsManagedMaster(tag: ("AWS:RDS:PRIMARYDBINSTANCEARN", Self.instanceARN))
        try lab.rotate(user(lab, host: Self.writerHost, master: master))
        #expect(lab.database.account("app_clone") != nil)
    }

    @Test("an RDS-managed cluster master: the writer endpoint; users on the reader endpoint or a reader instance too")
    func clusterMaster() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.add(Self.cluster)
        let master = lab.rdsManagedMaster(tag: ("aws:rds:primaryDBClusterArn", Self.clusterARN))
        let hosts = [Self.clusterHost, Self.readerHost, "appcluster-2.c1abcdefghij.us-east-1.rds.amazonaws.com"]
        for (index, host) in hosts.enumerated() {
            let arn = lab.secret(
                user: "app\(index)", password: "start-Pw1!", host: host,
                extra: JSONObject(["masterarn": .string(master)]))
            try lab.rotate(arn)
            #expect(try lab.field(arn, "AWSCURRENT", "username")?.hasSuffix("_clone") == true, "\(host)")
        }
        #expect(lab.rds.calls.allSatisfy { $0 == "DescribeDBClusters \(Self.clusterARN)" }, "\(lab.rds.calls)")
    }

    @Test("a user on the cluster's writer instance, or on another database, is refused with the template's message")
    func notAReader() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.add(Self.cluster)
        let master = lab.rdsManagedMaster(tag: ("aws:rds:primaryDBClusterArn", Self.clusterARN))
        let hosts = [
            "appcluster-1.c1abcdefghij.us-east-1.rds.amazonaws.com", "other.c1abcdefghij.us-east-1.rds.amazonaws.com",
        ]
        for (index, host) in hosts.enumerated() {
            let arn = user(lab, "app\(index)", host: host, master: master)
            let token = try lab.memory.startRotation(secretId: arn)
            try lab.step(.createSecret, arn, token)
            expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
                #expect(error.errorType == "Rotation.InvalidSecret")
                #expect(
                    error.errorMessage.contains(
                        "Current database host \(host) is not the same host as/rds replica of master \(Self.clusterHost)"
                    ),
                    "\(error.errorMessage)")
                #expect(error.errorMessage.contains("neither the reader endpoint nor a reader instance"))
            }
            #expect(lab.database.account("app\(index)_clone") == nil)
        }
    }

    @Test("an ordinary master secret and a user on its read replica: accepted; on another instance's replica: refused")
    func readReplica() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.add(Self.instance("appdb"))
        lab.rds.add(Self.instance("appdb-replica", replicaOf: "appdb"))
        // A cross-Region replica names its source by ARN.
        lab.rds.add(Self.instance("far-replica", replicaOf: "arn:aws:rds:eu-west-1:123456789012:db:appdb"))
        lab.rds.add(Self.instance("elsewhere-replica", replicaOf: "otherdb"))
        let master = lab.master(host: Self.writerHost)
        for id in ["appdb-replica", "far-replica"] {
            let arn = lab.secret(
                user: "u_\(id.prefix(3))", password: "start-Pw1!",
                host: "\(id).c1abcdefghij.us-east-1.rds.amazonaws.com",
                extra: JSONObject(["masterarn": .string(master)]))
            try lab.rotate(arn)
            #expect(try lab.field(arn, "AWSCURRENT", "username") == "u_\(id.prefix(3))_clone")
        }
        let arn = user(lab, host: "elsewhere-replica.c1abcdefghij.us-east-1.rds.amazonaws.com", master: master)
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorMessage.contains("is a read replica of otherdb, not of appdb"), "\(error.errorMessage)")
        }
    }

    @Test("RDS cannot be asked about a replica: refused (cannot tell is not the same database), the reason named")
    func replicaLookupFails() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.fault.withLock { $0 = { _ in RDSError(code: "AccessDenied", message: "not authorized") } }
        let master = lab.master(host: Self.writerHost)
        let arn = user(lab, host: "appdb-replica.c1abcdefghij.us-east-1.rds.amazonaws.com", master: master)
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorType == "Rotation.InvalidSecret")
            #expect(error.errorMessage.contains("could not ask RDS"), "\(error.errorMessage)")
        }
        #expect(lab.database.account("app_clone") == nil)
    }

    @Test("an RDS-managed master whose lookup RDS denies: Target.Permission naming the action to allow")
    func lookupDenied() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        lab.rds.fault.withLock {
            $0 = { action in
                RDSError(
                    code: "AccessDenied",
                    message:
                        "User is not authorized to perform: rds:\(action). Allow rds:\(action) to the function's role")
            }
        }
        let master = lab.rdsManagedMaster(tag: ("aws:rds:primaryDBInstanceArn", Self.instanceARN))
        let arn = user(lab, host: Self.writerHost, master: master)
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorType == "Target.Permission", "\(error)")
            #expect(error.errorMessage.contains("rds:DescribeDBInstances"), "\(error.errorMessage)")
        }
        #expect(lab.database.account("app_clone") == nil)
    }

    @Test(
        "an RDS-managed-looking master without the tag, with a cluster tag that names an instance, or too long an ARN")
    func badTags() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        let untagged = lab.memory.createSecret(
            name: "bare-master",
            secretString: JSONObject(["username": .string("admin"), "password": .string("admin-Pw1!")]).serialized)
        let longARN = "arn:aws:rds:us-east-1:123456789012:db:" + String(repeating: "x", count: 230)
        let cases: [(master: String, expected: String)] = [
            (untagged, "has neither an aws:rds:primaryDBInstanceArn nor an aws:rds:primaryDBClusterArn tag"),
            (
                lab.rdsManagedMaster(tag: ("aws:rds:primaryDBClusterArn", Self.instanceARN)),
                "is not a DB cluster ARN"
            ),
            (
                lab.rdsManagedMaster(tag: ("aws:rds:primaryDBInstanceArn", longARN)),
                "It exceeds the maximum length of 256."
            ),
            (
                lab.rdsManagedMaster(tag: ("aws:rds:primaryDBInstanceArn", Self.instanceARN)),
                "No Instances found when using DescribeDBInstances RDS API to get connection params."
            ),
        ]
        for (index, (master, expected)) in cases.enumerated() {
            let arn = user(lab, "app\(index)", host: Self.writerHost, master: master)
            let token = try lab.memory.startRotation(secretId: arn)
            try lab.step(.createSecret, arn, token)
            expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
                #expect(error.errorType == "Rotation.InvalidSecret")
                #expect(error.errorMessage.contains(expected), "\(error.errorMessage)")
            }
            #expect(lab.database.account("app\(index)_clone") == nil)
        }
    }

    @Test("this function pointed at the RDS-managed secret itself: refused at every step, nothing written")
    func rotatingTheManagedSecret() throws {
        let lab = try DatabaseLab(traits: StrategyTests.copying)
        let master = lab.rdsManagedMaster(tag: ("aws:rds:primaryDBInstanceArn", Self.instanceARN))
        let token = try lab.memory.startRotation(secretId: master)
        for step in RotationStep.allCases {
            expectRefusal({ try lab.step(step, master, token) }) { error in
                #expect(error.errorType == "Rotation.ManagedByService")
                #expect(error.errorMessage.contains("managed by Amazon RDS, which rotates it itself"))
            }
        }
        #expect(!lab.memory.calls.contains("PutSecretValue"))
        #expect(!lab.memory.calls.contains("UpdateSecretVersionStage"))
        #expect(lab.database.canLogIn("admin", "admin-Pw1!"))
    }
}
