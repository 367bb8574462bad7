import Foundation
import TestSupport

/// The suite's figures, printed as each test ends and appended to `.build/fault-injection-summary.txt`, which
/// `make test` prints after the Swift tests.
enum FaultSummary {
    static let file = BuiltProducts.packageRoot.appendingPathComponent(".build/fault-injection-summary.txt")

    private static let writing = NSLock()

    static func report(_ lines: [String]) {
        writing.lock()
        defer { writing.unlock() }
        let text = lines.map { "fault-injection: \($0)" }.joined(separator: "\n") + "\n"
        print(text, terminator: "")
        guard let data = text.data(using: .utf8) else { return }
        if let handle = try? FileHandle(forWritingTo: file) {
            handle.seekToEndOfFile()
            handle.write(data)
            try? handle.close()
        } else {
            try? data.write(to: file)
        }
    }
}

/// SplitMix64: a small seeded generator, so that a run's random choices can be replayed (`FAULT_SEED=<seed>`).
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    let seed: UInt64

    init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    /// `FAULT_SEED` from the environment, or a new one.
    static func fromEnvironment() -> SeededRandom {
        let seed =
            ProcessInfo.processInfo.environment["FAULT_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        return SeededRandom(seed: seed)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Whether a soak run was asked for (`make soak`): more rotations and events than CI runs.
var isSoak: Bool { ProcessInfo.processInfo.environment["FAULT_SOAK"] == "1" }

/// How many hostile events the volume test sends: 100,000, or `FAULT_HOSTILE_EVENTS` (the AddressSanitizer lane sends
/// fewer, each of which costs more there).
var hostileEventCount: Int {
    ProcessInfo.processInfo.environment["FAULT_HOSTILE_EVENTS"].flatMap { Int($0) }.map { max($0, 1_000) } ?? 100_000
}
