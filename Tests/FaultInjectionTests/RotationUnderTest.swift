import Foundation
import JSON
import Rotation
import TestSupport

/// One secret being rotated under faults, and the invariants users care about, checked against what Secrets
/// Manager (moto) and the database hold.
struct RotationUnderTest {
    let lab: FaultLab
    let scenario: FaultScenario
    let arn: String
    let token: String
    let originalVersion: String
    let original: JSONObject

    /// A new secret of `scenario`'s kind, with a rotation started as Secrets Manager starts one.
    init(_ scenario: FaultScenario, lab: FaultLab) throws {
        self.lab = lab
        self.scenario = scenario
        let secretString = try scenario.makeSecret(lab)
        lab.leaks.watch(secretString: secretString)
        arn = try lab.moto.createSecret(name: lab.uniqueName("fault"), secretString: secretString)
        guard case .object(let object) = try JSONValue(parsing: secretString, options: .pythonCompatibleUnique),
            let current = try lab.moto.adminClient.stages(secretId: arn).first(where: {
                $0.value.contains("AWSCURRENT")
            })?.key
        else { throw ServerError("fault scenario \(scenario.name): no current version") }
        original = object
        originalVersion = current
        token = try lab.moto.startRotation(secretId: arn)
    }

    /// Runs steps in a new process, as Secrets Manager (re-)drives a rotation; new values join the leak scan.
    func run(
        _ steps: [RotationStep] = RotationStep.allCases, crash: CallTracker.Crash? = nil,
        deadlineSeconds: Double = 30
    ) throws -> FaultLab.Run {
        let run = try lab.run(
            arn: arn, token: token, steps: steps, crash: crash, environment: scenario.environment,
            names: scenario.names(lab), deadlineSeconds: deadlineSeconds)
        try watchVersions()
        lab.scan(run)
        return run
    }

    /// Re-drives the rotation from createSecret until a run completes every step, as Secrets Manager retries a failed
    /// rotation; `attempts` bounds it. Returns the number of runs it took.
    @discardableResult
    func redriveUntilComplete(attempts: Int = 4) throws -> Int {
        for attempt in 1...attempts {
            if try run().succeeded { return attempt }
            check("after a failed re-drive")
        }
        lab.record("\(scenario.name): no re-drive of \(arn) completed in \(attempts) runs")
        return attempts
    }

    /// Every version's value, with its labels.
    func versions() throws -> [(id: String, stages: [String], value: String?)] {
        try lab.moto.adminClient.stages(secretId: arn).map { id, stages in
            (id, stages, try lab.moto.adminClient.secretString(secretId: arn, versionId: id))
        }
    }

    private func watchVersions() throws {
        for version in try versions() { if let value = version.value { lab.leaks.watch(secretString: value) } }
    }

    /// Invariants 1 and 2, recorded as violations naming `moment`: no version lost data, and somebody can log in.
    func check(_ moment: String) {
        do {
            let versions = try versions()
            for version in versions {
                guard let value = version.value else { continue }
                if let problem = dataLoss(in: value) {
                    lab.record("\(scenario.name) \(moment): version \(version.id) \(problem)")
                }
            }
            guard let logsIn = scenario.logsIn else { return }
            func works(_ stage: String) -> Bool {
                guard let text = versions.first(where: { $0.stages.contains(stage) })?.value,
                    let value = try? SecretValue(secretString: text)
                else { return false }
                return logsIn(lab, value)
            }
            // Between setSecret and finishSecret of a single-user rotation only AWSPENDING may work: the window
            // the strategy cannot avoid. Otherwise AWSCURRENT must.
            let pendingMayStandIn = scenario.strategy == .singleUser
            if !works("AWSCURRENT") && !(pendingMayStandIn && works("AWSPENDING")) {
                lab.record(
                    "\(scenario.name) \(moment): locked out (neither AWSCURRENT\(pendingMayStandIn ? " nor AWSPENDING" : "") logs in)"
                )
            }
            checkIdleRights(moment, versions: versions)
        } catch {
            lab.record("\(scenario.name) \(moment): could not check (\(error))")
        }
    }

    /// Invariant 3: AWSCURRENT on the token, AWSPREVIOUS on the old version, the target holding exactly the new
    /// credential (single user: the old password no longer logs in).
    func checkCompleted(_ moment: String) {
        do {
            let versions = try versions()
            let stages = Dictionary(uniqueKeysWithValues: versions.map { ($0.id, $0.stages) })
            if stages[token]?.contains("AWSCURRENT") != true {
                lab.record("\(scenario.name) \(moment): AWSCURRENT is not on the token")
            }
            if stages[originalVersion]?.contains("AWSPREVIOUS") != true {
                lab.record("\(scenario.name) \(moment): AWSPREVIOUS is not on the old version")
            }
            guard let logsIn = scenario.logsIn,
                let newText = versions.first(where: { $0.id == token })?.value,
                let new = try? SecretValue(secretString: newText)
            else { return }
            if !logsIn(lab, new) { lab.record("\(scenario.name) \(moment): the new credential does not log in") }
            checkIdleRights(moment, versions: versions)
            if scenario.strategy == .singleUser && logsIn(lab, .json(original)) {
                lab.record("\(scenario.name) \(moment): the old password still logs in")
            }
            if scenario.strategy == .dualPassword && !logsIn(lab, .json(original)) {
                lab.record(
                    "\(scenario.name) \(moment): the previous password no longer logs in (dual passwords keep it)")
            }
        } catch {
            lab.record("\(scenario.name) \(moment): could not check completion (\(error))")
        }
    }

    /// The re-sync scenario's invariant on the idle user (`FaultLab.checkIdleRights`).
    private func checkIdleRights(_ moment: String, versions: [(id: String, stages: [String], value: String?)]) {
        guard let user = original["username"]?.stringValue else { return }
        let current = versions.first { $0.stages.contains("AWSCURRENT") }?.value
        let isCurrent = current.flatMap { try? JSONValue(parsing: $0)["username"]?.stringValue } == user + "_clone"
        if let problem = lab.checkIdleRights(currentUser: user, isCurrent: isCurrent) {
            lab.record("\(scenario.name) \(moment): \(problem)")
        }
    }

    /// What a version lost against the original: a key, a type, the order, or a value the rotation must not touch.
    private func dataLoss(in text: String) -> String? {
        guard case .object(let object)? = try? JSONValue(parsing: text, options: .pythonCompatibleUnique) else {
            return "is not a JSON object any more"
        }
        guard object.keys == original.keys else { return "has keys \(object.keys), not \(original.keys)" }
        for member in original.members {
            let now = object[member.key]
            if scenario.rotatedKeys.contains(member.key) {
                if now?.stringValue == nil { return "has a \(member.key) that is not a string" }
            } else if now != member.value {
                return "changed \(member.key)"
            }
        }
        return nil
    }

    /// `rotator repair` (the command line, as an operator runs it) on this secret, with `--apply` when asked.
    func repair(apply: Bool) throws -> (status: Int32?, output: String) {
        var environment = lab.moto.clientEnvironment
        environment.merge(scenario.environment) { _, new in new }
        let child = try ChildProcess(
            executable: BuiltProducts.executable("rotator"),
            arguments: ["repair", "--secret-id", arn, "--json", "--force"] + (apply ? ["--apply"] : []),
            environment: environment)
        let status = child.wait(timeout: 120)
        let output = child.output
        for finding in lab.leaks.findings(in: output) { lab.record("leak in repair output: \(finding)") }
        return (status, output)
    }

    /// Whether AWSPENDING sits on a version other than AWSCURRENT's.
    func isStuck() throws -> Bool {
        try versions().contains { $0.stages.contains("AWSPENDING") && !$0.stages.contains("AWSCURRENT") }
    }

    /// After a repair: not stuck, and the AWSCURRENT credential logs in where the target can tell.
    func checkRepaired(_ moment: String) {
        do {
            if try isStuck() { lab.record("\(scenario.name) \(moment): still stuck after repair") }
            guard let logsIn = scenario.logsIn else { return }
            let versions = try versions()
            guard let text = versions.first(where: { $0.stages.contains("AWSCURRENT") })?.value,
                let current = try? SecretValue(secretString: text), logsIn(lab, current)
            else {
                lab.record("\(scenario.name) \(moment): AWSCURRENT does not log in after repair")
                return
            }
        } catch {
            lab.record("\(scenario.name) \(moment): could not check the repair (\(error))")
        }
    }
}
