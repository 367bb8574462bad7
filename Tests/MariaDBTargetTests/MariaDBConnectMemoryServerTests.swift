import DatabaseRotation
import Foundation
import MariaDBTarget
import Rotation
import TestSupport
import TestTags
import Testing

/// Connector/C's non-blocking connect suspends at its first network wait and reads host, user, password and database
/// again when it resumes (https://mariadb.com/kb/en/using-the-non-blocking-library/): the strings handed to
/// `mysql_real_connect_start` must outlive the whole connect, not just the call. A proxy holds the server's greeting
/// back so that every connect suspends.
@Suite("MariaDB: the connect keeps its strings alive while it waits", .tags(.server))
struct MariaDBConnectMemoryServerTests {
    /// An account with a password and a database of its own it may read.
    static func account(on server: MariaDBServer, _ userPrefix: String, _ databasePrefix: String) throws -> (
        user: String, database: String, password: String
    ) {
        let user = uniqueName(userPrefix)
        let database = uniqueName(databasePrefix)
        let password = randomPassword()
        try server.createAccount(user, password: password)
        try server.execute(
            "CREATE DATABASE `\(database)`; GRANT SELECT ON `\(database)`.* TO \(MariaDBServer.account(user))")
        return (user, database, password)
    }

    /// Delays each connection's greeting; records nothing else.
    static func greetingDelayProxy(_ server: MariaDBServer) throws -> DatabaseWireProxy {
        try DatabaseWireProxy(upstreamPort: server.port, dialect: .mysql) { _, event in
            if event == .connect { Thread.sleep(forTimeInterval: 0.1) }
            return .pass
        }
    }

    @Test(
        "in process: the server sees the user and database asked for, short names and long",
        arguments: [("mem", "memdb"), ("memory_user_long_name", "memory_database_long_name")])
    func inProcess(userPrefix: String, databasePrefix: String) throws {
        let server = try SharedMariaDB.withTLS.get()
        let (user, database, password) = try Self.account(on: server, userPrefix, databasePrefix)
        let proxy = try Self.greetingDelayProxy(server)
        defer { proxy.stop() }
        let login = DatabaseLogin(
            host: "127.0.0.1", port: proxy.port, user: user, password: password, database: database, tls: .disabled)
        let connection = try MySQLConnection(login: login, deadline: Deadline.after(milliseconds: 10_000))
        defer { connection.close() }
        #expect(connection.account.user == user)
        #expect(try connection.query("SELECT DATABASE()").first?.first == database)
    }

    /// glibc fills freed memory with a byte pattern when its per-thread cache is off
    /// (https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html), so a string read after
    /// it was freed is garbage every time, not only when the allocator happens to reuse it.
    static let perturbFreedMemory = ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0:glibc.malloc.perturb=165"]

    @Test("through RotatorLambda: a single-user rotation whose every connect suspends logs in as the right user")
    func singleUserRotation() throws {
        let server = try SharedMariaDB.withTLS.get()
        let lambda = try MariaDBLambda(server: server)
        let (user, database, password) = try Self.account(on: server, "mem", "memdb")
        let proxy = try Self.greetingDelayProxy(server)
        defer { proxy.stop() }
        let arn = try lambda.createSecret(
            mariaDBSecret(port: proxy.port, username: user, password: password, ssl: .bool(false), dbname: database))
        let run = try lambda.rotate(arn, environment: Self.perturbFreedMemory)
        let succeeded = lambda.succeeded(run)
        #expect(succeeded, "\(lambda.runner.errors(run.posts))")
        // The server saw this user log in at each step (setSecret, testSecret and finishSecret's proof), always
        // with the secret's database; read before the test's own login below, which names none.
        let connects =
            server.logs().first { $0.name == "general.log" }?.text.split(separator: "\n").filter {
                $0.contains(" Connect\t\(user)@")
            } ?? []
        #expect(connects.count >= 4)
        for line in connects { #expect(line.hasSuffix("\(user)@127.0.0.1 on \(database) using TCP/IP"), "\(line)") }
        let newPassword = try #require(try lambda.password(arn, "AWSCURRENT"))
        #expect(server.canLogIn(user: user, password: newPassword))
        expectNoSecrets([password, newPassword], in: run.output, "the rotator's output")
    }

    @Test(
        "Secrets Manager over keep-alive connections (as AWS allows): alternating users, then single user, complete",
        arguments: [true, false])
    func keepAliveSecretsManager(alternating: Bool) throws {
        let server = try SharedMariaDB.withTLS.get()
        let lambda = try MariaDBLambda(server: server)
        // moto closes every connection; this proxy keeps the function's connection open across requests, so the
        // heap is used as it is against AWS.
        let keepAlive = try ForwardingProxy(upstreamPort: lambda.moto.port) { _, _ in .none }
        defer { keepAlive.stop() }
        var environment = Self.perturbFreedMemory
        environment["SECRETS_MANAGER_ENDPOINT"] = keepAlive.endpoint
        let (user, database, password) = try Self.account(on: server, "ka", "kadb")
        var masterARN: String?
        var secrets = [password]
        if alternating {
            let master = uniqueName("kaadm")
            let masterPassword = randomPassword()
            try server.createAccount(master, password: masterPassword)
            try server.execute("GRANT ALL PRIVILEGES ON *.* TO \(MariaDBServer.account(master)) WITH GRANT OPTION")
            masterARN = try lambda.createSecret(
                mariaDBSecret(port: server.port, username: master, password: masterPassword))
            secrets.append(masterPassword)
        }
        let arn = try lambda.createSecret(
            mariaDBSecret(
                port: server.port, username: user, password: password, masterARN: masterARN, dbname: database))
        var output = ""
        for round in 1...2 {
            let run = try lambda.rotate(arn, environment: environment)
            output += run.output
            let succeeded = lambda.succeeded(run)
            #expect(succeeded, "round \(round): \(lambda.runner.errors(run.posts))")
            let current = try #require(try lambda.password(arn, "AWSCURRENT"))
            let currentUser = try #require(try lambda.username(arn, "AWSCURRENT"))
            secrets.append(current)
            #expect(server.canLogIn(user: currentUser, password: current), "round \(round)")
        }
        #expect(keepAlive.log.count >= 16, "the function's requests went through the keep-alive proxy")
        expectNoSecrets(secrets, in: output, "the rotator's output")
    }
}
