import DatabaseTestKit
import Foundation
import Logging
import RDS
import TestSupport
import TestTags
import Testing
import Timekeeping

/// One RDS the contract is checked against, and how a test makes databases in it.
protocol RDSContractSubject {
    var name: String { get }
    var rds: any RDSDescribing { get }
    /// A DB instance `id` on `port` (a read replica of `source` when given); returns its endpoint address.
    func createInstance(_ id: String, engine: String, port: Int, replicaOf source: String?) throws -> String
    /// A cluster `id` with instances `id-1` (the writer) and `id-2`; returns its writer and reader endpoints.
    func createCluster(_ id: String, engine: String, port: Int) throws -> (writer: String, reader: String)
}

/// What the rotation relies on RDS to answer (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/), checked
/// against moto through `RDSClient` and against the in-memory RDS the database tests use, so the fake cannot drift.
enum RDSContract {
    static var deadline: Deadline { .after(milliseconds: 20_000) }

    static func check(_ subject: some RDSContractSubject) throws {
        let who = Comment(rawValue: subject.name)
        let rds = subject.rds
        let id = "ct-\(UUID().uuidString.prefix(8).lowercased())"

        let address = try subject.createInstance(id, engine: "postgres", port: 6543, replicaOf: nil)
        let instance = try #require(try rds.describeDBInstance(id, deadline: deadline), who)
        #expect(instance.identifier == id && instance.engine == "postgres", who)
        #expect(instance.address == address && instance.port == 6543, who)
        #expect(instance.readReplicaSourceIdentifier == nil, who)
        // By ARN as by identifier, as RDS accepts either.
        #expect(
            try rds.describeDBInstance("arn:aws:rds:us-east-1:123456789012:db:\(id)", deadline: deadline) == instance,
            who)
        #expect(try rds.describeDBInstance("\(id)-missing", deadline: deadline) == nil, who)

        _ = try subject.createInstance("\(id)-replica", engine: "postgres", port: 6543, replicaOf: id)
        let replica = try #require(try rds.describeDBInstance("\(id)-replica", deadline: deadline), who)
        #expect(replica.readReplicaSourceIdentifier == id, who)

        let cluster = try subject.createCluster("\(id)-cl", engine: "aurora-postgresql", port: 5432)
        let described = try #require(try rds.describeDBCluster("\(id)-cl", deadline: deadline), who)
        #expect(described.engine == "aurora-postgresql" && described.port == 5432, who)
        #expect(described.endpoint == cluster.writer && described.readerEndpoint == cluster.reader, who)
        #expect(
            described.members == [
                .init(instanceIdentifier: "\(id)-cl-1", isWriter: true),
                .init(instanceIdentifier: "\(id)-cl-2", isWriter: false),
            ], who)
        #expect(
            try rds.describeDBCluster("arn:aws:rds:us-east-1:123456789012:cluster:\(id)-cl", deadline: deadline)
                == described, who)
        #expect(try rds.describeDBCluster("\(id)-missing", deadline: deadline) == nil, who)
    }
}

@Suite("RDS contract: in memory")
struct InMemoryRDSContractTests {
    struct Subject: RDSContractSubject {
        let memory = InMemoryRDS()
        var name: String { "in-memory" }
        var rds: any RDSDescribing { memory }

        func createInstance(_ id: String, engine: String, port: Int, replicaOf source: String?) throws -> String {
            let address = "\(id).aaaaaaaaaa.us-east-1.rds.amazonaws.com"
            memory.add(
                RDSInstance(
                    identifier: id, engine: engine, address: address, port: port, readReplicaSourceIdentifier: source))
            return address
        }

        func createCluster(_ id: String, engine: String, port: Int) throws -> (writer: String, reader: String) {
            let (writer, reader) = (
                "\(id).cluster-x.us-east-1.rds.amazonaws.com", "\(id).cluster-ro-x.us-east-1.rds.amazonaws.com"
            )
            memory.add(
                RDSCluster(
                    identifier: id, engine: engine, endpoint: writer, readerEndpoint: reader, port: port,
                    members: [
                        .init(instanceIdentifier: "\(id)-1", isWriter: true),
                        .init(instanceIdentifier: "\(id)-2", isWriter: false),
                    ]))
            return (writer, reader)
        }
    }

    @Test("the in-memory RDS keeps the contract")
    func contract() throws { try RDSContract.check(Subject()) }
}

@Suite("RDS contract: moto", .tags(.server))
struct MotoRDSContractServerTests {
    struct Subject: RDSContractSubject {
        let moto: MotoServer
        let client: RDSClient
        var name: String { "moto" }
        var rds: any RDSDescribing { client }

        func createInstance(_ id: String, engine: String, port: Int, replicaOf source: String?) throws -> String {
            let answer: String
            if let source {
                answer = try moto.adminClient.rds(
                    "CreateDBInstanceReadReplica",
                    [("DBInstanceIdentifier", id), ("SourceDBInstanceIdentifier", source)])
            } else {
                answer = try moto.adminClient.rds(
                    "CreateDBInstance",
                    [
                        ("DBInstanceIdentifier", id), ("Engine", engine), ("DBInstanceClass", "db.t3.micro"),
                        ("MasterUsername", "admin"), ("MasterUserPassword", "not-used-1"), ("AllocatedStorage", "20"),
                        ("Port", String(port)),
                    ])
            }
            return try #require(Self.element("Address", in: answer))
        }

        func createCluster(_ id: String, engine: String, port: Int) throws -> (writer: String, reader: String) {
            let answer = try moto.adminClient.rds(
                "CreateDBCluster",
                [
                    ("DBClusterIdentifier", id), ("Engine", engine), ("MasterUsername", "admin"),
                    ("MasterUserPassword", "not-used-1"), ("Port", String(port)),
                ])
            for number in 1...2 {
                try moto.adminClient.rds(
                    "CreateDBInstance",
                    [
                        ("DBInstanceIdentifier", "\(id)-\(number)"), ("Engine", engine),
                        ("DBInstanceClass", "db.r5.large"), ("DBClusterIdentifier", id),
                    ])
            }
            return (
                try #require(Self.element("Endpoint", in: answer)),
                try #require(Self.element("ReaderEndpoint", in: answer))
            )
        }

        static func element(_ name: String, in text: String) -> String? {
            text.components(separatedBy: "<\(name)>").dropFirst().first?.components(separatedBy: "</\(name)>").first
        }
    }

    @Test("moto, through RDSClient with the function role's permissions, keeps the contract")
    func contract() throws {
        let moto = try SharedMoto.get()
        let client = try RDSClient(
            configuration: try RDSConfiguration(environment: moto.clientEnvironment), logger: Logger(label: "rds"),
            randomUnit: { 0 })
        try RDSContract.check(Subject(moto: moto, client: client))
    }
}
