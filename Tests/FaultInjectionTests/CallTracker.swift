import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The external calls of one rotator process as the proxies in front of Secrets Manager and the database see
/// them, in order, and the crash to make at one of them: SIGKILL of the process just before the call is sent, or
/// just after the server's answer arrived (the call took effect; the process never learns it).
final class CallTracker: @unchecked Sendable {
    enum Phase: String, CaseIterable, Sendable {
        case before, after
    }

    struct Crash: Equatable, Sendable {
        var call: Int
        var phase: Phase
    }

    private let lock = NSLock()
    private var names: [String] = []
    private var step = "start"
    private var crash: Crash?
    private var pid: pid_t = 0
    private var fired: String?

    init(crash: Crash? = nil) {
        self.crash = crash
    }

    /// Every call so far, named `<step> <kind>` (`setSecret db:ALTER`).
    var calls: [String] { lock.withLock { names } }
    /// The crash point that fired, or `nil`.
    var crashed: String? { lock.withLock { fired } }

    func attach(pid: pid_t) { lock.withLock { self.pid = pid } }

    /// The Runtime API handed out an event: later calls belong to its step.
    func stepStarted(_ step: String) { lock.withLock { self.step = step } }

    /// A call is about to be sent. Returns `true` when the process was killed here: the caller drops the call.
    func begin(_ kind: String) -> Bool {
        lock.lock()
        names.append("\(step) \(kind)")
        let index = names.count - 1
        let hit = fired == nil && crash == Crash(call: index, phase: .before)
        lock.unlock()
        return hit && kill(point: index, phase: .before)
    }

    /// The answer to the last call begun has arrived. Returns `true` when the process was killed here.
    func end() -> Bool {
        lock.lock()
        let index = names.count - 1
        let hit = fired == nil && crash == Crash(call: index, phase: .after)
        lock.unlock()
        return hit && kill(point: index, phase: .after)
    }

    private func kill(point index: Int, phase: Phase) -> Bool {
        // The process is started just before its first call can happen: wait for its id, briefly.
        for _ in 0..<500 where lock.withLock({ pid }) == 0 { usleep(2_000) }
        lock.lock()
        defer { lock.unlock() }
        guard pid != 0 else { return false }
        Glibc.kill(pid, SIGKILL)
        fired = "#\(index) \(names[index]) (\(phase.rawValue))"
        return true
    }
}
