import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the test servers' launchers share: folders `nobody` can use, free ports, running tools.

/// A new empty folder under the temporary directory that `nobody` can enter.
func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/" + prefix + "XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
        guard let base = buffer.baseAddress else { return nil }
        return mkdtemp(base)
    }
    guard let made else {
        throw TestServerError("mkdtemp failed: errno \(errno)")
    }
    let path = String(cString: made)
    chmod(path, 0o755)
    return path
}

/// A new folder like `makeTemporaryDirectory`'s that is removed when the process exits: for what a process makes
/// once and shares (the servers' templates, the test certificates).
func makeProcessTemporaryDirectory(prefix: String) throws -> String {
    let path = try makeTemporaryDirectory(prefix: prefix)
    ProcessFolders.removeAtExit(path)
    return path
}

private enum ProcessFolders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String] = []

    static func removeAtExit(_ path: String) {
        lock.withLock {
            if paths.isEmpty {
                atexit {
                    for path in ProcessFolders.lock.withLock({ ProcessFolders.paths }) {
                        try? FileManager.default.removeItem(atPath: path)
                    }
                }
            }
            paths.append(path)
        }
    }
}

/// Gives `path` (and everything under it) to `nobody`, who runs the server.
func changeOwner(_ path: String, recursive: Bool) throws {
    try runTool("/bin/chown", (recursive ? ["-R"] : []) + ["\(nobodyID):\(nogroupID)", path])
}

/// A port on 127.0.0.1 that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw TestServerError("socket() failed: errno \(errno)") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(socketFD, pointer, length) == 0 else { return -1 }
            return getsockname(socketFD, pointer, &length)
        }
    }
    guard bound == 0 else { throw TestServerError("bind to 127.0.0.1:0 failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Letters and digits from the system's CSPRNG.
func randomAlphanumeric(count: Int) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
}

/// A finished tool run.
struct ToolResult {
    var status: Int32
    var output: String
    var errorOutput: String
}

/// Runs a program to completion. With `check`, a non-zero exit throws with its error output.
@discardableResult
func runTool(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil,
    currentDirectory: String? = nil, check: Bool = true
) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes before waiting: a full pipe would block the child forever.
    let errorCollector = PipeCollector(errors.fileHandleForReading)
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errorCollector.wait()
    process.waitUntilExit()
    let result = ToolResult(
        status: process.terminationStatus,
        output: String(decoding: outputData, as: UTF8.self),
        errorOutput: String(decoding: errorData, as: UTF8.self))
    if check && result.status != 0 {
        throw TestServerError(
            "\((path as NSString).lastPathComponent) exited with \(result.status): \(result.errorOutput)")
    }
    return result
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    init(_ handle: FileHandle) {
        Thread { [self] in
            let read = handle.readDataToEndOfFile()
            condition.lock()
            data = read
            condition.signal()
            condition.unlock()
        }.start()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}

/// A failure of a test server or its tools.
package struct TestServerError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Waits until the server's log holds one more `marker` line ("ready for connections") than `before` held, and
/// returns `process`; when it exits or `seconds` pass first, kills it and throws with the end of the log.
func waitUntilReady(
    _ process: Process, name: String, port: Int, logPath: String, marker: String, before: String, seconds: Double
) throws -> Process {
    let readyBefore = before.components(separatedBy: marker).count
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        if log.components(separatedBy: marker).count > readyBefore { return process }
        if !process.isRunning { break }
        usleep(20_000)
    }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(process, seconds: 10)
    }
    let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    throw TestServerError("\(name) did not start on port \(port); log tail: \(String(log.suffix(1_500)))")
}
