import ArgumentParser
import Rotation
import RotationOperations

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unstick a rotation: find which credential works, plan the one safe fix, and do it with --apply.",
        discussion: """
            Tries the AWSCURRENT, AWSPENDING and AWSPREVIOUS credentials where they are used, then plans one of: \
            finish (only the pending credential works: move AWSCURRENT to it), resume (both work: run the \
            remaining steps), clear (only the current one works: take the stale AWSPENDING off), restore (no \
            labelled credential works but another version's does: make it AWSCURRENT), or refuse (none can be shown \
            to work, the target cannot be reached, or a rotation may still be running: nothing is changed). Without \
            --apply it only prints the plan; with it, the state is checked again right before each change.
            """)

    @Option(help: "The secret's name or ARN.")
    var secretId: String

    @Flag(help: "Carry out the plan (without it, nothing is changed).")
    var apply = false

    @Flag(help: "Act on an AWSPENDING less than 15 minutes old (only when no rotation is running).")
    var force = false

    @OptionGroup var output: OutputOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        do {
            let rotation = try common.makeRotation()
            let plan = try rotation.planRepair(secretId: secretId, force: force)
            if !output.json { print(plan.lines.joined(separator: "\n")) }
            guard apply && plan.action != .refuse else {
                if output.json { print(plan.json(applied: false)) }
                if plan.action == .refuse { throw ExitStatus.attention }
                if !output.json && plan.action != .nothing {
                    print("Nothing was changed; run again with --apply to do it.")
                }
                return
            }
            let done = try rotation.applyRepair(plan, force: force)
            print(output.json ? plan.json(applied: true, done: done) : done.joined(separator: "\n"))
        } catch {
            throw failure(error, json: output.json)
        }
    }
}
