import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Makes sure a database server a test started never outlives the test process: when the process exits normally
/// (servers kept in `static` properties are never deinitialised) every server still registered gets its stop
/// signal, and a watchdog shell stops it when the process dies any other way (a crash, SIGKILL).
enum ServerReaper {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: [Int32: Int32] = [:]
    nonisolated(unsafe) private static var installed = false

    /// Registers a server process and the signal that stops it cleanly.
    static func watch(_ process: Process, stopSignal: Int32) {
        let pid = process.processIdentifier
        lock.withLock {
            running[pid] = stopSignal
            if !installed {
                installed = true
                atexit { ServerReaper.stopAll() }
            }
        }
        // The watchdog polls both processes; it ends by itself once the server has stopped.
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = [
            "-c",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(pid) 2>/dev/null; do sleep 1; done; "
                + "kill -0 \(getpid()) 2>/dev/null || kill -\(stopSignal) \(pid) 2>/dev/null; exit 0",
        ]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    /// The server stopped the ordinary way.
    static func forget(_ process: Process) {
        _ = lock.withLock { running.removeValue(forKey: process.processIdentifier) }
    }

    private static func stopAll() {
        let servers = lock.withLock { running }
        for (pid, signal) in servers { kill(pid, signal) }
        // Give them a moment to finish writing, as a normal stop would.
        for _ in 0..<100 where servers.keys.contains(where: { kill($0, 0) == 0 }) { usleep(50_000) }
    }
}
