import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

/// A DB instance in moto's RDS made with `ManageMasterUserPassword`, standing for a real PostgreSQL on loopback: its
/// endpoint name mapped to 127.0.0.1 for the function only, and the secret RDS made holding the local master's
/// credentials. Through `RotatorLambda`, as AWS's multi-user template would be run with the `rds!db-…` secret as
/// `masterarn`.
@Suite("PostgreSQL: an RDS-managed master secret through RDS, moto and RotatorLambda", .serialized, .tags(.server))
struct RDSManagedMasterServerTests {
    /// A PostgreSQL server with an application role `rds_app` and a master role `rds_admin` (CREATEROLE), and an
    /// instance in moto's RDS standing for it whose `rds!db` secret holds the master's login.
    struct InstanceLab {
        let server: PostgresServer
        let lambda: PostgresLambda
        let start = randomPassword()
        let admin = randomPassword()
        let host: String
        let masterARN: String

        init() throws {
            server = try PostgresServer()
            lambda = try PostgresLambda(server: server)
            try server.createRole("rds_app", password: start)
            try server.createRole("rds_admin", password: admin, options: "CREATEROLE")
            (host, masterARN) = try lambda.moto.createRDSManagedInstance(
                port: server.port, engine: "postgres", user: "rds_admin", password: admin)
        }
    }

    @Test("alternating users with the rds!db secret as masterarn: its database found through RDS, the clone made")
    func alternatingWithRDSManagedMaster() throws {
        let lab = try InstanceLab()
        let (server, lambda, start, admin, host, masterARN) = (
            lab.server, lab.lambda, lab.start, lab.admin, lab.host, lab.masterARN
        )
        try server.execute(
            "CREATE TABLE orders (n int); INSERT INTO orders VALUES (7); GRANT SELECT ON orders TO rds_app")
        let masterVersions = try lambda.moto.adminClient.stages(secretId: masterARN)
        let arn = try lambda.createSecret(
            postgresSecret(host: host, port: server.port, username: "rds_app", password: start, masterARN: masterARN))

        let run = try lambda.rotate(arn, names: IsolatedNames(hosts: [(host, "127.0.0.1")]))
        #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(lambda.errors(run.posts))")
        let current = try #require(
            try lambda.moto.secretString(secretId: arn, stage: "AWSCURRENT").map { try SecretValue(secretString: $0) })
        #expect(current.string("username") == "rds_app_clone")
        let clonePassword = try #require(current.string("password"))
        #expect(try server.execute("SELECT n FROM orders", user: "rds_app_clone", password: clonePassword) == "7")
        #expect(server.logsIn("rds_app", start))
        #expect(run.output.contains("through RDS: postgres at \(host):\(server.port)"), "\(run.output)")
        #expect(
            try lambda.moto.adminClient.stages(secretId: masterARN) == masterVersions,
            "the RDS-managed secret is never written")
        expectNoSecrets([start, admin, clonePassword], in: run.output, "the rotator's output")

        // doctor sees the same: the tag, the lookup, the master's login.
        let names = IsolatedNames(hosts: [(host, "127.0.0.1")])
        let json = try lambda.runner.command(["doctor", "--secret-id", arn, "--json"], names: names)
        let doctor = try DoctorRun(status: json.status, text: json.output, json: json.output)
        #expect(doctor.status(of: "master secret") == "passed", "\(json.output)")
        #expect(doctor.detail(of: "master secret")?.contains("RDS-managed") == true, "\(json.output)")
        #expect(doctor.status(of: "master login") == "passed", "\(json.output)")
        expectNoSecrets([start, admin, clonePassword], in: json.output, "rotator doctor's output")
    }

    @Test(
        "an Aurora cluster's rds!cluster secret: users on the writer endpoint, the reader endpoint and a reader instance rotate; a user on the writer instance is refused with the templates' message"
    )
    func clusterMaster() throws {
        // moto's cluster endpoints carry a random label no test certificate can name: this server has no TLS, and
        // the fallback is allowed (the master secret RDS made names no ssl), with the warning it brings.
        let server = try PostgresServer(tls: false)
        let lambda = try PostgresLambda(server: server)
        let admin = randomPassword()
        try server.createRole("aurora_admin", password: admin, options: "CREATEROLE")
        let cluster = try lambda.moto.createRDSManagedCluster(
            port: server.port, engine: "aurora-postgresql", user: "aurora_admin", password: admin)
        let names = IsolatedNames(
            hosts: ([cluster.writer, cluster.reader] + cluster.members).map { ($0, "127.0.0.1") })
        let environment = ["ROTATOR_ALLOW_TLS_FALLBACK": "true"]
        var secrets = [admin]
        for (index, host) in [cluster.writer, cluster.reader, cluster.members[1], cluster.members[0]].enumerated() {
            let user = "aurora_app\(index)"
            let start = randomPassword()
            secrets.append(start)
            try server.createRole(user, password: start)
            let arn = try lambda.createSecret(
                postgresSecret(
                    host: host, port: server.port, username: user, password: start, ssl: .bool(false),
                    masterARN: cluster.secretARN, engine: "aurora-postgresql"))
            let run = try lambda.rotate(arn, environment: environment, names: names)
            expectNoSecrets(secrets, in: run.output, "the rotator's output")
            if index < 3 {
                #expect(
                    run.posts.map(\.kind) == Array(repeating: .response, count: 4),
                    "\(host): \(lambda.errors(run.posts))")
                let clonePassword = try #require(try lambda.password(arn, "AWSCURRENT"))
                #expect(server.logsIn("\(user)_clone", clonePassword), "\(host)")
                #expect(run.output.contains("through RDS: aurora-postgresql at \(cluster.writer):\(server.port)"))
            } else {
                // The writer instance's own endpoint is neither the reader endpoint nor a reader: the templates refuse.
                #expect(run.posts.map(\.kind) == [.response, .error, .error, .error])
                let failure = try #require(run.posts.dropFirst().first)
                #expect(failure.errorTypeHeader == "Rotation.InvalidSecret")
                #expect(
                    failure.bodyText.contains(
                        "Current database host \(host) is not the same host as/rds replica of master \(cluster.writer)"),
                    "\(failure.bodyText)")
            }
        }
    }

    @Test("a user on a read replica of the rds!db master's instance rotates; on another instance, refused")
    func readReplica() throws {
        let server = try PostgresServer()
        let lambda = try PostgresLambda(server: server)
        let admin = randomPassword()
        try server.createRole("replica_admin", password: admin, options: "CREATEROLE")
        let (primary, masterARN) = try lambda.moto.createRDSManagedInstance(
            port: server.port, engine: "postgres", user: "replica_admin", password: admin)
        let primaryID = String(primary.prefix { $0 != "." })
        try lambda.moto.adminClient.rds(
            "CreateDBInstanceReadReplica",
            [("DBInstanceIdentifier", "\(primaryID)-replica"), ("SourceDBInstanceIdentifier", primaryID)])
        let (other, _) = try lambda.moto.createRDSManagedInstance(
            port: server.port, engine: "postgres", user: "replica_admin", password: admin)
        let replica = "\(primaryID)-replica.aaaaaaaaaa.us-east-1.rds.amazonaws.com"
        let names = IsolatedNames(hosts: [primary, replica, other].map { ($0, "127.0.0.1") })
        for (index, host) in [replica, other].enumerated() {
            let user = "replica_app\(index)"
            let start = randomPassword()
            try server.createRole(user, password: start)
            let arn = try lambda.createSecret(
                postgresSecret(host: host, port: server.port, username: user, password: start, masterARN: masterARN))
            let run = try lambda.rotate(arn, names: names)
            expectNoSecrets([admin, start], in: run.output, "the rotator's output")
            if index == 0 {
                #expect(run.posts.map(\.kind) == Array(repeating: .response, count: 4), "\(lambda.errors(run.posts))")
            } else {
                let failure = try #require(run.posts.dropFirst().first)
                #expect(failure.errorTypeHeader == "Rotation.InvalidSecret")
                #expect(
                    failure.bodyText.contains("is not the same host as/rds replica of master \(primary)")
                        && failure.bodyText.contains("is not a read replica"), "\(failure.bodyText)")
            }
        }
    }

    @Test(
        "a role without rds:DescribeDBInstances (moto's IAM): Target.Permission naming the action and how to grant it")
    func withoutRDSPermission() throws {
        let lab = try InstanceLab()
        let (server, lambda, start, admin, host, masterARN) = (
            lab.server, lab.lambda, lab.start, lab.admin, lab.host, lab.masterARN
        )
        let arn = try lambda.createSecret(
            postgresSecret(host: host, port: server.port, username: "rds_app", password: start, masterARN: masterARN))
        // Everything the function needs from Secrets Manager, nothing from RDS.
        let limited = try lambda.moto.adminClient.user(allowedTo: ["secretsmanager:*"])
        let run = try lambda.rotate(
            arn,
            environment: [
                "AWS_ACCESS_KEY_ID": limited.accessKeyId, "AWS_SECRET_ACCESS_KEY": limited.secretAccessKey,
                "AWS_SESSION_TOKEN": "",
            ], names: IsolatedNames(hosts: [(host, "127.0.0.1")]))
        // setSecret is refused; testSecret and finishSecret then fail too (the runner sends all four).
        #expect(run.posts.map(\.kind) == [.response, .error, .error, .error], "\(lambda.errors(run.posts))")
        let failure = try #require(run.posts.dropFirst().first)
        #expect(failure.errorTypeHeader == "Target.Permission", "\(failure.bodyText)")
        #expect(failure.bodyText.contains("not authorized to perform: rds:DescribeDBInstances"), "\(failure.bodyText)")
        #expect(failure.bodyText.contains("Allow rds:DescribeDBInstances to the function's role"))
        #expect(try server.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'rds_app_clone'") == "0")
        expectNoSecrets([start, admin, limited.secretAccessKey], in: run.output, "the rotator's output")
    }

    @Test("the function attached to the rds!db secret itself: every step refused, the secret untouched")
    func rotatingTheRDSSecretIsRefused() throws {
        let server = try PostgresServer()
        let lambda = try PostgresLambda(server: server)
        let admin = randomPassword()
        let (_, masterARN) = try lambda.moto.createRDSManagedInstance(
            port: server.port, engine: "postgres", user: "postgres", password: admin)
        let before = try lambda.moto.secretString(secretId: masterARN, stage: "AWSCURRENT")
        let run = try lambda.rotate(masterARN)
        #expect(run.posts.map(\.kind) == Array(repeating: .error, count: 4))
        #expect(run.posts.allSatisfy { $0.errorTypeHeader == "Rotation.ManagedByService" })
        #expect(run.posts.first?.bodyText.contains("managed by Amazon RDS, which rotates it itself") == true)
        #expect(try lambda.moto.secretString(secretId: masterARN, stage: "AWSCURRENT") == before)
        expectNoSecrets([admin], in: run.output, "the rotator's output")
    }
}
