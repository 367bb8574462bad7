import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

/// Crash anywhere, fail anything: every rotation must survive. The binary is `RotatorLambda`, the zip's; faults come
/// from outside the process only (a proxy in front of moto and one in front of PostgreSQL, SIGKILL of the process).
/// Each test (each case of a parameterized one) has a lab to itself while it runs, from a pool of as many labs as
/// the machine has cores: a lab's proxies serve one rotator process at a time, and the tests, which mostly wait on
/// moto and the databases, run side by side.
@Suite("Fault injection", .tags(.server))
final class FaultInjectionServerTests: @unchecked Sendable {
    let lab: FaultLab

    init() throws {
        lab = try FaultLab.pool.acquire()
    }

    deinit {
        FaultLab.pool.release(lab)
    }

    /// The invariants broken during `body`, recorded as issues.
    private func expectNoViolations(_ what: String, _ body: () throws -> Void) rethrows {
        let before = lab.violations.withLock { $0.count }
        try body()
        let new = lab.violations.withLock { Array($0.dropFirst(before)) }
        for violation in new.prefix(20) { Issue.record(Comment(rawValue: violation)) }
        #expect(new.isEmpty, "\(new.count) invariant violation(s) in \(what)")
    }

    @Test(
        "rotator repair after a crash at every call: the plan it prints, then --apply, ends unstuck with a working credential",
        arguments: FaultScenario.all.indices)
    func repairAfterEveryCrash(scenarioIndex: Int) throws {
        let scenario = FaultScenario.all[scenarioIndex]
        var actions: [String: Int] = [:]
        try expectNoViolations("repair: \(scenario.name)") {
            let reference = try RotationUnderTest(scenario, lab: lab)
            let calls = try reference.run().calls
            for index in calls.indices {
                for phase in CallTracker.Phase.allCases {
                    let point = "#\(index) \(calls[index]) \(phase.rawValue)"
                    let rotation = try RotationUnderTest(scenario, lab: lab)
                    _ = try rotation.run(crash: .init(call: index, phase: phase))
                    let before = try rotation.versions().map { "\($0.id)=\($0.stages)" }.sorted()
                    let planned = try rotation.repair(apply: false)
                    // The command's logs (database logins) share the output; the plan is its one JSON line.
                    let planLine = planned.output.split(separator: "\n").first { $0.hasPrefix("{\"secretId\"") }
                    let plan = planLine.flatMap { try? JSONValue(parsing: String($0)).objectValue }
                    let action = plan?["action"]?.stringValue ?? "unreadable"
                    actions[action, default: 0] += 1
                    if try rotation.versions().map({ "\($0.id)=\($0.stages)" }).sorted() != before {
                        lab.record("\(scenario.name) \(point): the plan without --apply changed the labels")
                    }
                    if plan == nil || action == "refuse" || planned.status != 0 {
                        lab.record(
                            "\(scenario.name) \(point): repair planned \(action) (\(planned.output.suffix(300)))")
                        continue
                    }
                    let applied = try rotation.repair(apply: true)
                    if applied.status != 0 {
                        lab.record("\(scenario.name) \(point): repair --apply failed: \(applied.output.suffix(300))")
                    }
                    rotation.check("after repairing \(point)")
                    rotation.checkRepaired("after repairing \(point)")
                }
            }
        }
        FaultSummary.report(
            [
                "\(scenario.name): repair after every crash point: "
                    + actions.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            ])
    }

    @Test(
        "a crash just before and just after every external call, re-driven twice, of every target",
        arguments: FaultScenario.crashing.indices)
    func crashAtEveryCall(scenarioIndex: Int) throws {
        let scenario = FaultScenario.crashing[scenarioIndex]
        var random = SeededRandom.fromEnvironment()
        var points: [String] = []
        var secondCrashes = 0
        var runs = 0
        try expectNoViolations(scenario.name) {
            // The calls of a fault-free rotation name the crash points.
            let reference = try RotationUnderTest(scenario, lab: lab)
            let baseline = try reference.run()
            try #require(baseline.succeeded, "fault-free rotation failed: \(baseline.posts.map(\.bodyText))")
            reference.checkCompleted("fault-free")
            let calls = baseline.calls
            for (index, call) in calls.enumerated() {
                for phase in CallTracker.Phase.allCases {
                    let point = "#\(index) \(call) \(phase.rawValue)"
                    points.append(point)
                    let rotation = try RotationUnderTest(scenario, lab: lab)
                    let crashed = try rotation.run(crash: .init(call: index, phase: phase))
                    runs += 1
                    if crashed.crashed == nil {
                        lab.record("\(scenario.name) \(point): not reached (calls: \(crashed.calls))")
                    }
                    rotation.check("after crash \(point)")
                    // Re-driven as Secrets Manager does (same token, from createSecret, a new process), and crashed
                    // again at a random point of the re-drive.
                    let second = CallTracker.Crash(
                        call: Int(random.next() % UInt64(calls.count)),
                        phase: random.next() % 2 == 0 ? .before : .after)
                    let redrive = try rotation.run(crash: second)
                    runs += 1
                    if redrive.crashed != nil {
                        secondCrashes += 1
                        rotation.check("after a second crash \(redrive.crashed ?? "") re-driving \(point)")
                    }
                    if !redrive.succeeded { runs += try rotation.redriveUntilComplete() }
                    rotation.checkCompleted("after \(point)")
                }
            }
        }
        FaultSummary.report(
            [
                "\(scenario.name): \(points.count) crash points (\(points.count / 2) calls, before and after each), "
                    + "\(runs) runs, \(secondCrashes) second crashes during the re-drive, seed \(random.seed) "
                    + "(FAULT_SEED=\(random.seed) replays it), \(lab.violations.withLock { $0.count }) invariant violations so far"
            ]
                + points.map { "  \(scenario.name) \($0)" })
    }
}

extension FaultInjectionServerTests {
    @Test("the invariant checks have teeth: a lockout, a lost key and an unfinished rotation are each caught")
    func checksHaveTeeth() throws {
        let rotation = try RotationUnderTest(.postgresSingleUser, lab: lab)
        let before = lab.violations.withLock { $0.count }
        // The database user's password changed behind the secret's back: nobody can log in.
        guard case .json(let original) = try SecretValue(secretString: rotation.original.serialized),
            let user = original["username"]?.stringValue
        else { throw ServerError("no user") }
        try lab.setPasswordBehindTheSecretsBack(user)
        rotation.check("teeth: lockout")
        // A pending version without the original's keys.
        try lab.moto.adminClient.putSecretValue(
            secretId: rotation.arn, token: rotation.token, secretString: #"{"password":"lost-everything-else"}"#,
            stages: ["AWSPENDING"])
        rotation.check("teeth: data loss")
        rotation.checkCompleted("teeth: never finished")
        let caught = lab.violations.withLock { violations -> [String] in
            defer { violations.removeLast(violations.count - before) }
            return Array(violations.dropFirst(before))
        }
        #expect(caught.contains { $0.contains("teeth: lockout: locked out") }, "\(caught)")
        #expect(caught.contains { $0.contains("teeth: data loss") && $0.contains("has keys") }, "\(caught)")
        #expect(caught.contains { $0.contains("teeth: never finished: AWSCURRENT is not on the token") }, "\(caught)")
    }

    @Test(
        "the idle-rights invariant has teeth: a right taken from the idle user while its old password works is caught")
    func idleRightsHaveTeeth() throws {
        let rotation = try RotationUnderTest(.mariaDBResync, lab: lab)
        let before = lab.violations.withLock { $0.count }
        let user = try #require(rotation.original["username"]?.stringValue)
        try lab.mariaDB.execute("REVOKE DELETE ON fault_shop.* FROM '\(user)_clone'@'%'")
        rotation.check("teeth: idle rights")
        let caught = lab.violations.withLock { violations -> [String] in
            defer { violations.removeLast(violations.count - before) }
            return Array(violations.dropFirst(before))
        }
        #expect(
            caught.contains { $0.contains("teeth: idle rights: the idle user lost [\"DELETE on `fault_shop`.*\"]") })
    }
}

extension FaultInjectionServerTests {
    /// The faults a proxy in front of Secrets Manager injects, about 30 % of requests, seeded.
    static func transientFault(_ random: inout SeededRandom) -> ForwardingProxy.Fault {
        guard random.next() % 10 < 3 else { return .none }
        switch random.next() % 5 {
        case 0: return .respond(status: 500, body: #"{"__type":"InternalServiceError","message":"injected"}"#)
        case 1: return .respond(status: 503, body: #"{"__type":"ServiceUnavailable","message":"injected"}"#)
        case 2: return .respond(status: 400, body: #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        case 3: return .reset
        default: return .dropResponse
        }
    }

    @Test(
        "about 30 % of Secrets Manager requests fail (5xx, throttling, resets, responses lost after the change): every rotation completes"
    )
    func transientSecretsManagerFaults() throws {
        let random = Locked(SeededRandom.fromEnvironment())
        let seed = random.withLock { $0.seed }
        let injected = Locked(0)
        let rotationsPerTarget = isSoak ? 40 : 6
        var runs = 0
        try expectNoViolations("transient faults") {
            lab.secretsManagerFaults.withLock {
                $0 = { _ in
                    let fault = random.withLock { Self.transientFault(&$0) }
                    if fault != .none { injected.withLock { $0 += 1 } }
                    return fault
                }
            }
            defer { lab.secretsManagerFaults.withLock { $0 = nil } }
            for scenario in FaultScenario.all {
                for _ in 0..<rotationsPerTarget {
                    let rotation = try RotationUnderTest(scenario, lab: lab)
                    var completed = false
                    // Secrets Manager retries a failed rotation whole; each attempt must leave a state the next completes.
                    for _ in 0..<8 where !completed {
                        let run = try rotation.run()
                        runs += 1
                        completed = run.succeeded
                        for error in run.posts.compactMap(\.failure) where !error.type.hasPrefix("SecretsManager.") {
                            lab.record(
                                "\(scenario.name): a fault gave an unclear error: \(error.type): \(error.message)")
                        }
                        rotation.check("during transient faults")
                    }
                    if !completed { lab.record("\(scenario.name): no attempt completed under transient faults") }
                    rotation.checkCompleted("after transient faults")
                }
            }
        }
        FaultSummary.report([
            "transient Secrets Manager faults: \(injected.withLock { $0 }) injected over \(runs) runs of "
                + "\(rotationsPerTarget * FaultScenario.all.count) rotations, seed \(seed)"
        ])
    }

    @Test("the database connection cut mid-statement and mid-transaction, and the database restarted between steps")
    func databaseFaults() throws {
        var faults = 0
        try expectNoViolations("database faults") {
            // Cut as each statement is sent, and after the server has run it, once per rotation.
            for (scenario, verb) in [(FaultScenario.postgresSingleUser, "ALTER"), (.postgresAlternatingUsers, "GRANT")]
            {
                for afterwards in [false, true] {
                    let rotation = try RotationUnderTest(scenario, lab: lab)
                    let cut = Locked(false)
                    lab.databaseFaults.withLock {
                        $0 = { event in
                            let matches =
                                afterwards ? event == .statementDone(verb: verb) : event == .statement(verb: verb)
                            return matches
                                && cut.withLock { done in
                                    defer { done = true }
                                    return !done
                                } ? .cut : .pass
                        }
                    }
                    let run = try rotation.run()
                    lab.databaseFaults.withLock { $0 = nil }
                    faults += 1
                    if run.succeeded { lab.record("\(scenario.name): a cut \(verb) did not fail its step") }
                    rotation.check("after a cut \(verb)")
                    try rotation.redriveUntilComplete()
                    rotation.checkCompleted("after a cut \(verb)")
                }
            }
            // The database restarts between setSecret and testSecret.
            for scenario in [FaultScenario.postgresSingleUser, .postgresAlternatingUsers] {
                let rotation = try RotationUnderTest(scenario, lab: lab)
                let first = try rotation.run([.createSecret, .setSecret])
                if !first.succeeded { lab.record("\(scenario.name): create and set failed before the restart") }
                try lab.database.restart()
                faults += 1
                rotation.check("after a database restart")
                let rest = try rotation.run([.createSecret, .setSecret, .testSecret, .finishSecret])
                if !rest.succeeded { try rotation.redriveUntilComplete() }
                rotation.checkCompleted("after a database restart")
            }
        }
        FaultSummary.report([
            "database faults: \(faults) (statements cut before and after the server ran them, "
                + "a transaction cut between CREATE ROLE and COMMIT, restarts between steps)"
        ])
    }

    @Test("a Secrets Manager slower than the time left: DeadlineExceeded posted before Lambda's own timeout")
    func slowSecretsManager() throws {
        try expectNoViolations("a slow Secrets Manager") {
            let rotation = try RotationUnderTest(.generic, lab: lab)
            lab.secretsManagerFaults.withLock { $0 = { _ in .delay(milliseconds: 4_000) } }
            defer { lab.secretsManagerFaults.withLock { $0 = nil } }
            let run = try rotation.run([.createSecret], deadlineSeconds: 2.5)
            let error = run.posts.first?.failure
            #expect(error?.type == "SecretsManager.DeadlineExceeded", "\(run.posts.map(\.bodyText))")
            #expect(run.lateAnswers == 0, "an answer came after the Lambda deadline")
            rotation.check("after a slow Secrets Manager")
        }
    }
}

extension FakeRuntimeAPI.Post {
    /// The posted error's `errorType` and `errorMessage`, for error posts.
    var failure: (type: String, message: String)? {
        guard kind == .error, let document = try? JSONValue(parsing: request.body),
            let type = document["errorType"]?.stringValue, let message = document["errorMessage"]?.stringValue
        else { return nil }
        return (type, message)
    }
}

extension FaultInjectionServerTests {
    @Test(
        "100,000 generated and mutated events (FAULT_HOSTILE_EVENTS) through the real binary: no crash, every invocation answered, memory flat"
    )
    func hostileInputAtVolume() throws {
        let total = isSoak ? 1_000_000 : hostileEventCount
        let seed = SeededRandom.fromEnvironment().seed
        let events = Locked(HostileEvents(random: SeededRandom(seed: seed)))
        let child = Locked<Int32>(0)
        let samples = Locked<[Int: Int]>([:])
        let fake = try FakeRuntimeAPI(
            source: { events.withLock { $0.produced < total ? $0.next() : nil } },
            journal: { entry in
                guard case .post = entry else { return }
                let count = samples.withLock {
                    $0[-1, default: 0] += 1
                    return $0[-1] ?? 0
                }
                // Every 1 % of the events: a single sample swings by a megabyte or two under AddressSanitizer.
                if count % max(total / 100, 1) == 0 {
                    let kilobytes = ProcFS.statusKilobytes(pid: child.withLock { $0 }, field: "VmRSS")
                    samples.withLock { $0[count] = kilobytes }
                }
            })
        defer { fake.stop() }
        var environment = [
            "AWS_LAMBDA_RUNTIME_API": fake.hostAndPort, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDFUZZ",
            "AWS_SECRET_ACCESS_KEY": "fuzz-not-a-secret", "AWS_MAX_ATTEMPTS": "1", "AWS_LAMBDA_LOG_LEVEL": "FATAL",
            // Well-formed events reach a port where nothing listens: they fail fast, as a network error.
            "SECRETS_MANAGER_ENDPOINT": "http://127.0.0.1:\(try FreePort.find())",
        ]
        // Under AddressSanitizer, freed memory waits in a quarantine (8 MB in `make sanitize`) that fills at the pace
        // of the events' churn, so RSS climbs for reasons of its own; without it RSS is what the process holds.
        // Every other test keeps the quarantine and its use-after-free detection.
        if let options = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] {
            environment["ASAN_OPTIONS"] = options + ":quarantine_size_mb=0"
        }
        let started = Date()
        let process = try ChildProcess(executable: BuiltProducts.executable("RotatorLambda"), environment: environment)
        child.withLock { $0 = process.pid }
        let status = process.wait(timeout: 900)
        let seconds = Date().timeIntervalSince(started)
        let (produced, answerable) = events.withLock { ($0.produced, $0.answerable) }
        let rss = samples.withLock { $0 }
        // The script's end (500) is the only way out: exit status 1, after asking for one event more than there were.
        #expect(status == 1, "the runtime died or hung (status \(String(describing: status)))")
        #expect(produced == total && fake.nextCount == total + 1)
        #expect(fake.answeredCount == answerable, "\(answerable - fake.answeredCount) invocations were never answered")
        // Flat: the median of the samples between 15 % and 25 % of the events against the median between 85 % and
        // 95 %. A leak grows with the events and moves the medians; one sample's swing does not.
        func median(_ from: Int, _ to: Int) -> Int {
            let window = rss.filter { $0.key >= total * from / 100 && $0.key <= total * to / 100 }.map(\.value).sorted()
            return window.isEmpty ? 0 : window[window.count / 2]
        }
        let first = median(15, 25)
        let last = median(85, 95)
        #expect(first > 0 && last - first < 2_048, "RSS grew from \(first) kB to \(last) kB (medians)")
        FaultSummary.report([
            "hostile input: \(produced) events (\(answerable) answerable, all answered) through RotatorLambda in "
                + "\(Int(seconds)) s, seed \(seed); RSS (median of 1 % samples) \(first) kB at 15-25 %, "
                + "\(median(45, 55)) kB at 45-55 %, \(last) kB at 85-95 % of the events"
        ])
    }
}
