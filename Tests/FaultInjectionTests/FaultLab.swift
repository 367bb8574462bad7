import DatabaseRotation
import Foundation
import JSON
import PostgresTarget
import Rotation
import TestSupport

/// The world a fault-injection test rotates in: moto with signature checking, a real PostgreSQL and a real
/// MariaDB, each behind a proxy that reports every call to the current `CallTracker` (and can fault or crash it), and `RotatorLambda`, the
/// zip's binary, run as Secrets Manager would run it.
final class FaultLab: @unchecked Sendable {
    let moto: MotoServer
    let database: PostgresServer
    let mariaDB: MariaDBServer
    /// Without TLS: the proxy must read the commands (Redis has no in-band TLS to decline).
    let redis: RedisServer
    let leaks = LeakScanner()
    private let tracker = Locked<CallTracker?>(nil)
    /// Faults for Secrets Manager calls (transient-fault tests): the proxy consults this before each call.
    let secretsManagerFaults = Locked<(@Sendable (String) -> ForwardingProxy.Fault)?>(nil)
    /// Faults for database events (cut a connection at a statement).
    let databaseFaults = Locked<(@Sendable (DatabaseWireProxy.Event) -> DatabaseWireProxy.Action)?>(nil)
    private(set) var secretsManagerProxy: ForwardingProxy!
    private(set) var databaseProxy: DatabaseWireProxy!
    private(set) var mariaDBProxy: DatabaseWireProxy!
    private(set) var redisProxy: DatabaseWireProxy!
    private let counter = Locked(0)
    /// The alternating-users scenarios' master secrets, made once each.
    let master = Locked<String?>(nil)
    let mariaDBMaster = Locked<String?>(nil)
    let redisMaster = Locked<String?>(nil)
    /// The RDS-managed master scenario's instance in moto's RDS: its master secret and endpoint name, made once.
    let rdsMaster = Locked<(arn: String, host: String)?>(nil)
    /// The re-sync scenario's idle users, by the name of the current user they are the clone of.
    let idleUsers = Locked<[String: IdleUser]>([:])

    /// The labs of this test process, one per test at a time.
    static let pool = FaultLabPool(size: max(ProcessInfo.processInfo.activeProcessorCount, 1))

    fileprivate init() throws {
        moto = try MotoServer.start(iamAuth: true)
        database = try PostgresServer()
        mariaDB = try MariaDBServer()
        redis = try RedisServer(tls: false)
        leaks.watch(moto.roleCredentials.secretAccessKey)
        if let token = moto.roleCredentials.sessionToken { leaks.watch(token) }
        let tracker = self.tracker
        let smFaults = secretsManagerFaults
        secretsManagerProxy = try ForwardingProxy(
            upstreamPort: moto.port,
            decide: { _, operation in
                // RDS's calls (an RDS-managed master's database) go through the same proxy to moto.
                let service = operation.hasPrefix("DescribeDB") ? "rds" : "sm"
                if tracker.withLock({ $0 })?.begin("\(service):\(operation)") == true { return .reset }
                return smFaults.withLock { $0 }?(operation) ?? .none
            },
            onAnswered: { _, _ in _ = tracker.withLock({ $0 })?.end() })
        let dbFaults = databaseFaults
        // Both databases' proxies report to the tracker the same way; faults are for the PostgreSQL one.
        let observe: @Sendable (DatabaseWireProxy.Event, Bool) -> DatabaseWireProxy.Action = { event, faulted in
            let current = tracker.withLock { $0 }
            let killed: Bool
            switch event {
            case .connect: killed = current?.begin("db:connect") ?? false
            case .statement(let verb): killed = current?.begin("db:\(verb)") ?? false
            case .connected, .statementDone: killed = current?.end() ?? false
            }
            if killed { return .cut }
            return faulted ? dbFaults.withLock { $0 }?(event) ?? .pass : .pass
        }
        databaseProxy = try DatabaseWireProxy(upstreamPort: database.port, dialect: .postgres) { observe($1, true) }
        mariaDBProxy = try DatabaseWireProxy(upstreamPort: mariaDB.port, dialect: .mysql) { observe($1, false) }
        redisProxy = try DatabaseWireProxy(upstreamPort: redis.port, dialect: .redis) { observe($1, false) }
    }

    /// A name no earlier call returned.
    func uniqueName(_ prefix: String) -> String {
        let number = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return "\(prefix)_\(number)_\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// What one rotator process did.
    struct Run {
        var posts: [FakeRuntimeAPI.Post]
        var output: String
        /// The crash point that killed it, or `nil`.
        var crashed: String?
        var calls: [String]
        /// Answers that reached the Runtime API after their invocation's deadline.
        var lateAnswers: Int
        /// Every step answered with a response (none with an error).
        var succeeded: Bool { crashed == nil && posts.count == steps && posts.allSatisfy { $0.kind == .response } }
        var steps: Int
    }

    /// Runs `steps` for `token` in one new `RotatorLambda` process (one warm sandbox), crashing it at `crash`.
    /// As Secrets Manager does, the steps stop at the first one that fails. Each comes with a Lambda deadline
    /// `deadlineSeconds` away.
    func run(
        arn: String, token: String, steps: [RotationStep] = RotationStep.allCases, crash: CallTracker.Crash? = nil,
        environment extra: [String: String], names: IsolatedNames? = nil, deadlineSeconds: Double = 30
    ) throws -> Run {
        let calls = CallTracker(crash: crash)
        let script = steps.map { step in
            FakeRuntimeAPI.Next.event(
                .init(
                    requestID: "\(step.rawValue)-\(UUID().uuidString.lowercased())",
                    json: RotationEvent(step: step, secretId: arn, clientRequestToken: token).json,
                    deadlineSeconds: deadlineSeconds))
        }
        let queue = Locked((events: script, failed: false))
        let fake = try FakeRuntimeAPI(
            source: {
                queue.withLock { queue in
                    guard !queue.failed, !queue.events.isEmpty else { return nil }
                    return queue.events.removeFirst()
                }
            }, keepsPosts: true,
            journal: { entry in
                switch entry {
                case .next(200, let id?): calls.stepStarted(String(id.prefix(while: { $0 != "-" })))
                case .post(let post) where post.kind != .response: queue.withLock { $0.failed = true }
                default: break
                }
            })
        defer { fake.stop() }
        var environment = moto.clientEnvironment
        environment["SECRETS_MANAGER_ENDPOINT"] = secretsManagerProxy.endpoint
        environment["AWS_ENDPOINT_URL_RDS"] = secretsManagerProxy.endpoint
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        environment.merge(extra) { _, new in new }
        tracker.withLock { $0 = calls }
        defer { tracker.withLock { $0 = nil } }
        let executable = BuiltProducts.executable("RotatorLambda")
        let child =
            try names.map { try ChildProcess(executable: executable, environment: environment, names: $0) }
            ?? ChildProcess(executable: executable, environment: environment)
        calls.attach(pid: child.pid)
        child.wait(timeout: 120)
        let output = child.output
        let posts = fake.posts
        let late = posts.filter { post in
            guard let served = post.requestID.flatMap(fake.servedAt(requestID:)) else { return false }
            return post.request.receivedAtNanoseconds > served + UInt64(deadlineSeconds * 1e9)
        }
        return Run(
            posts: posts, output: output, crashed: calls.crashed, calls: calls.calls, lateAnswers: late.count,
            steps: steps.count)
    }

    /// Scans what a process printed and posted for every secret watched so far (watch new versions first).
    func scan(_ run: Run) {
        for finding in leaks.findings(in: run.output) + run.posts.flatMap({ leaks.findings(in: $0.bodyText) }) {
            record("leak: \(finding)")
        }
    }

    /// Every invariant broken so far, for the suite's final check.
    let violations = Locked<[String]>([])

    func record(_ violation: String) { violations.withLock { $0.append(violation) } }
}

/// Labs lent to one test at a time, made when first needed and kept for the process: at most `size` exist, so a test
/// that finds none free waits for one (there are no more labs than threads that run tests, so a holder is running).
final class FaultLabPool: @unchecked Sendable {
    private let free = Locked<[FaultLab]>([])
    private let slots: DispatchSemaphore

    init(size: Int) {
        slots = DispatchSemaphore(value: size)
    }

    func acquire() throws -> FaultLab {
        slots.wait()
        if let lab = free.withLock({ $0.popLast() }) { return lab }
        do {
            return try FaultLab()
        } catch {
            slots.signal()
            throw error
        }
    }

    func release(_ lab: FaultLab) {
        free.withLock { $0.append(lab) }
        slots.signal()
    }
}
