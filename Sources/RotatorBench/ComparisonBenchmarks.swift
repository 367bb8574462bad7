import Foundation
import TestSupport
import Timekeeping

#if canImport(Glibc)
    import Glibc
#endif

/// The Lambda binaries side by side with a C runtime loop on the same static libcurl and OpenSSL
/// (`CLoop/runtime_loop.c`): runs interleaved, so that every subject meets the same machine state, and ratios.
enum ComparisonBenchmarks {
    struct Subject {
        var name: String
        var path: String
        var environment: [String: String]
        /// The event each warm invocation gets (the C loop and the echo function echo it; the rotator rejects it).
        var event: String
    }

    struct Figures {
        var coldStartMilliseconds: [Double] = []
        var cpuMicrosecondsPerInvocation: [Double] = []
        var peakKilobytes: [Double] = []
        var instructions: Int?
    }

    static func compare(_ subjects: [Subject], rounds: Int = 21, memoryRounds: Int = 3) throws -> [String] {
        var figures = Array(repeating: Figures(), count: subjects.count)
        for round in 0..<rounds {
            // Alternate the order so that neither subject always runs right after the other.
            let order = round % 2 == 0 ? Array(subjects.indices) : subjects.indices.reversed()
            for index in order {
                figures[index].coldStartMilliseconds.append(try coldStart(subjects[index]))
            }
        }
        for _ in 0..<memoryRounds {
            for index in subjects.indices {
                let (cpu, peak) = try warm(subjects[index])
                figures[index].cpuMicrosecondsPerInvocation.append(cpu)
                figures[index].peakKilobytes.append(peak)
            }
        }
        for index in subjects.indices { figures[index].instructions = try? instructions(subjects[index]) }

        let base = figures[0]
        var lines: [String] = []
        for (subject, figure) in zip(subjects, figures) {
            func ratio(_ mine: Double, _ theirs: Double) -> String {
                subject.name == subjects[0].name ? "" : " (\(Statistics.format(mine / theirs, decimals: 2))×)"
            }
            let cold = Statistics.median(figure.coldStartMilliseconds)
            let cpu = Statistics.median(figure.cpuMicrosecondsPerInvocation)
            let peak = Statistics.median(figure.peakKilobytes) / 1024
            var line =
                "\(subject.name): cold start \(Statistics.format(cold)) ms"
                + ratio(cold, Statistics.median(base.coldStartMilliseconds))
                + ", CPU per warm invocation \(Statistics.format(cpu, decimals: 1)) µs"
                + ratio(cpu, Statistics.median(base.cpuMicrosecondsPerInvocation))
                + ", peak RSS \(Statistics.format(peak, decimals: 2)) MB"
                + ratio(peak, Statistics.median(base.peakKilobytes) / 1024)
            if let count = figure.instructions, let baseCount = base.instructions {
                line += ", cold start \(Statistics.format(Double(count) / 1e6, decimals: 2)) M instructions"
                line += ratio(Double(count), Double(baseCount))
            }
            lines.append(line)
        }
        lines.append(
            "(cold start: spawn → first GET /next, median of \(rounds) interleaved runs; CPU: time on a CPU "
                + "(schedstat) of 1,000 warm invocations after the first; peak RSS: VmHWM after them, the binary evicted from the page "
                + "cache first; instructions: valgrind --tool=callgrind, spawn to exit after the first GET /next)")
        return lines
    }

    /// Spawn → first `GET /next`, answered 500 so the process exits at once.
    static func coldStart(_ subject: Subject) throws -> Double {
        let fake = try FakeRuntimeAPI(script: [])
        defer { fake.stop() }
        var environment = subject.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let started = MonotonicClock.nanoseconds()
        let pid = try Spawn.start(subject.path, environment: environment)
        defer { _ = Spawn.wait(pid) }
        guard fake.server.waitForRequests(1, timeout: 10), let first = fake.server.requests.first else {
            throw ServerError("\(subject.path) never called GET next")
        }
        return Double(first.receivedAtNanoseconds - started) / 1_000_000
    }

    /// CPU per invocation over invocations 2…1,000, and VmHWM after the last, with the binary's pages dropped
    /// from the page cache first: a file just written may sit in large folios, which would inflate RSS.
    static func warm(_ subject: Subject, invocations: Int = 1_000) throws -> (microseconds: Double, kilobytes: Double) {
        evictFromPageCache(subject.path)
        let child = Locked<Int32>(0)
        let samples = Locked((first: 0, last: 0, peak: 0))
        let events = (0..<invocations).map {
            FakeRuntimeAPI.Next.event(.init(requestID: "compare-\($0)", json: subject.event))
        }
        let fake = try FakeRuntimeAPI(script: events) { count in
            let pid = child.withLock { $0 }
            if count == 1 { samples.withLock { $0.first = cpuNanoseconds(pid: pid) } }
            if count == invocations {
                let used = cpuNanoseconds(pid: pid)
                let peak = ProcFS.statusKilobytes(pid: pid, field: "VmHWM")
                samples.withLock {
                    $0.last = used
                    $0.peak = peak
                }
            }
        }
        defer { fake.stop() }
        var environment = subject.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let pid = try Spawn.start(subject.path, environment: environment)
        child.withLock { $0 = pid }
        _ = Spawn.wait(pid)
        let taken = samples.withLock { $0 }
        return (Double(taken.last - taken.first) / 1e3 / Double(invocations - 1), Double(taken.peak))
    }

    /// Nanoseconds `pid` has run on a CPU (/proc/PID/schedstat, first field; clock ticks are too coarse here).
    static func cpuNanoseconds(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8) else { return 0 }
        return Int(text.split(separator: " ").first ?? "") ?? 0
    }

    static func evictFromPageCache(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
    }

    /// Instructions from spawn to exit after the first `GET /next` (answered 500), under callgrind.
    static func instructions(_ subject: Subject) throws -> Int? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/valgrind") else { return nil }
        let fake = try FakeRuntimeAPI(script: [])
        defer { fake.stop() }
        var environment = subject.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("callgrind-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: output) }
        let pid = try Spawn.start(
            "/usr/bin/valgrind",
            arguments: [
                "--tool=callgrind", "--callgrind-out-file=/dev/null", "--log-file=\(output.path)", subject.path,
            ], environment: environment)
        _ = Spawn.wait(pid)
        let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard let line = log.split(separator: "\n").first(where: { $0.contains("Collected :") }) else { return nil }
        return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "")
    }
}
