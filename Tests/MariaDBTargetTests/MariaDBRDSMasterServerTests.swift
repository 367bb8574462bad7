import Foundation
import JSON
import TestSupport
import TestTags
import Testing

/// MariaDB alternating users with the secret RDS made for the instance (`rds!db-…`) as `masterarn`: moto's RDS
/// names the database, the real MariaDB on loopback stands behind its endpoint name (for the function only).
@Suite("MariaDB: an RDS-managed master secret through RDS, moto and RotatorLambda", .serialized, .tags(.server))
struct MariaDBRDSMasterServerTests {
    @Test("alternating users: the master's database found through RDS, the clone made with the user's rights")
    func alternatingWithRDSManagedMaster() throws {
        let server = try SharedMariaDB.withTLS.get()
        let lambda = try MariaDBLambda(server: server)
        let user = uniqueName("rds_app")
        let master = uniqueName("rds_admin")
        let database = uniqueName("shop")
        let start = randomPassword()
        let admin = randomPassword()
        try server.createAccount(master, password: admin)
        try server.execute("GRANT ALL PRIVILEGES ON *.* TO \(MariaDBServer.account(master)) WITH GRANT OPTION")
        try server.createAccount(user, password: start)
        try server.execute(
            "CREATE DATABASE `\(database)`; GRANT SELECT, INSERT ON `\(database)`.* TO \(MariaDBServer.account(user))")
        let (host, masterARN) = try lambda.moto.createRDSManagedInstance(
            port: server.port, engine: "mariadb", user: master, password: admin)
        let masterVersions = try lambda.moto.adminClient.stages(secretId: masterARN)
        let arn = try lambda.createSecret(
            mariaDBSecret(port: server.port, username: user, password: start, masterARN: masterARN, host: host))

        let run = try lambda.runner.rotate(arn, names: IsolatedNames(hosts: [(host, "127.0.0.1")]))
        #expect(lambda.succeeded(run), "\(lambda.runner.errors(run.posts))")
        let clone = user + "_clone"
        #expect(try lambda.username(arn, "AWSCURRENT") == clone)
        let clonePassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: clone, password: clonePassword))
        #expect(try server.rights(of: clone) == server.rights(of: user))
        #expect(run.output.contains("through RDS: mariadb at \(host):\(server.port)"), "\(run.output)")
        #expect(try lambda.moto.adminClient.stages(secretId: masterARN) == masterVersions)
        try server.expectNoSecretsInLogs([start, admin, clonePassword])
    }
}
