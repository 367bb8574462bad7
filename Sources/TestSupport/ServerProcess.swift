import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process of a database server a test started: launched on a free loopback port (another port is tried when
/// one is taken between the probe and the bind), stopped by its PID with the server's clean-stop signal, then the
/// harder one, and never left running after the test process (`ServerReaper`). A restart keeps the port.
final class ServerProcess: @unchecked Sendable {
    /// How one server stops: the clean signal and how long it may take, then the hard one.
    struct Stopping {
        var signal: Int32
        var seconds: Double
        var hardSignal: Int32
    }

    private let name: String
    private let stopping: Stopping
    private let launch: (_ port: Int) throws -> Process
    private let lock = NSLock()
    private var process: Process?
    private var chosenPort = 0

    /// - Parameter launch: starts the server on the port and returns once it accepts connections.
    init(name: String, stopping: Stopping, launch: @escaping (_ port: Int) throws -> Process) {
        self.name = name
        self.stopping = stopping
        self.launch = launch
    }

    /// The port; 0 before the first start.
    var port: Int { lock.withLock { chosenPort } }

    func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard process == nil else { return }
        let firstStart = chosenPort == 0
        var lastError: Error?
        for _ in 0..<(firstStart ? 3 : 1) {
            if firstStart { chosenPort = try freeLoopbackPort() }
            do {
                let launched = try launch(chosenPort)
                ServerReaper.watch(launched, stopSignal: stopping.signal)
                process = launched
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestServerError("could not start \(name)")
    }

    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard let process else { return }
        self.process = nil
        defer { ServerReaper.forget(process) }
        guard process.isRunning else { return }
        kill(process.processIdentifier, stopping.signal)
        if !waitForExit(process, seconds: stopping.seconds) {
            kill(process.processIdentifier, stopping.hardSignal)
            _ = waitForExit(process, seconds: 10)
        }
    }
}
