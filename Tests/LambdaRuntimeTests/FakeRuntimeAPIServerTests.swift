import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `FakeRuntimeAPIServer`, the test suite's fake Runtime API as a program (the package test and the code-layout
/// profile run it).
@Suite("FakeRuntimeAPIServer as a program")
struct FakeRuntimeAPIServerTests {
    @Test("the record file is emptied in place: a path that exists keeps its inode (so /dev/null stays a device)")
    func recordFileIsWrittenInPlace() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let record = folder.appendingPathComponent("calls.jsonl").path
        let otherName = folder.appendingPathComponent("hard-link.jsonl").path
        let events = folder.appendingPathComponent("events.json").path
        let portFile = folder.appendingPathComponent("port").path
        try "stale record\n".write(toFile: record, atomically: false, encoding: .utf8)
        try #require(link(record, otherName) == 0)
        try "[]".write(toFile: events, atomically: false, encoding: .utf8)

        let pid = try Spawn.start(
            BuiltProducts.executable("FakeRuntimeAPIServer").path,
            arguments: ["--events", events, "--record", record, "--port-file", portFile], environment: [:])
        defer {
            // SIGKILL: a child of the test process inherits its blocked signals, SIGTERM among them.
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid)
        }
        // The record file is opened before the server listens, and the port file is written once it does.
        let giveUp = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: portFile, encoding: .utf8))?.isEmpty != false, Date() < giveUp {
            usleep(20_000)
        }
        try #require(FileManager.default.fileExists(atPath: portFile), "FakeRuntimeAPIServer did not start")
        // Replaced (a new file renamed over the path), the other name would still hold the stale record.
        #expect(try String(contentsOfFile: otherName, encoding: .utf8) == "")
    }
}
