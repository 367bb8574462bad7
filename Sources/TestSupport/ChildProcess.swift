import Foundation

/// A program run by a test, with its output captured to a file so that nothing it printed is lost.
package final class ChildProcess: @unchecked Sendable {
    package let process = Process()
    private let outputURL: URL
    /// Where standard error went when it was kept apart (`separateStandardError`); `nil` when it joined `output`.
    private let errorURL: URL?

    private var cleanup: [URL] = []

    /// Starts `executable` with exactly `environment` (nothing inherited) and `arguments`; with `names`, under
    /// a hosts file and DNS server of the test's own (see `IsolatedNames`).
    package convenience init(
        executable: URL, arguments: [String] = [], environment: [String: String], names: IsolatedNames
    )
        throws
    {
        let (unshare, wrapped, files) = try names.command(executable: executable, arguments: arguments)
        try self.init(executable: unshare, arguments: wrapped, environment: environment)
        cleanup = files
    }

    /// Starts `executable` with exactly `environment` (nothing inherited but the sanitizers' options) and `arguments`.
    /// With `separateStandardError`, `output` is standard output alone and `standardError` the rest.
    package init(
        executable: URL, arguments: [String] = [], environment: [String: String], stdin: Data? = nil,
        separateStandardError: Bool = false
    ) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rotator-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        errorURL = separateStandardError ? outputURL.appendingPathExtension("stderr") : nil
        if let errorURL { _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil) }
        let errors = try errorURL.map { try FileHandle(forWritingTo: $0) }
        process.executableURL = executable
        process.arguments = arguments
        var environment = environment
        environment["PATH"] = environment["PATH"] ?? "/usr/bin:/bin"
        // A sanitizer lane's settings (where reports go, whether to stop at the first) reach the binaries it runs.
        for name in ["ASAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"] where environment[name] == nil {
            environment[name] = ProcessInfo.processInfo.environment[name]
        }
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors ?? output
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(stdin)
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        try output.close()
        try errors?.close()
    }

    package var pid: Int32 { process.processIdentifier }

    /// Waits up to `timeout` seconds for the program to exit; kills it if it does not. Returns its status.
    @discardableResult
    package func wait(timeout: Double = 30) -> Int32? {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Everything the program wrote to stdout (and stderr, unless kept apart) so far.
    package var output: String {
        (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    }

    /// What it wrote to stderr, when `separateStandardError` kept it apart.
    package var standardError: String {
        errorURL.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: outputURL)
        if let errorURL { try? FileManager.default.removeItem(at: errorURL) }
        for file in cleanup { try? FileManager.default.removeItem(at: file) }
    }
}

/// Reads a live process's resource use from /proc.
package enum ProcFS {
    package static func openFileDescriptors(pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// A field of /proc/PID/status in kB, such as `VmRSS` or `VmHWM`.
    package static func statusKilobytes(pid: Int32, field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}
