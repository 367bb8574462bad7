import Foundation

/// Runs the project's Python helper scripts (`scripts/*.py`) and returns what they print.
package enum PythonScript {
    /// `<package root>/scripts`, found from this source file's path; `ROTATOR_SCRIPTS_DIR` overrides it.
    package static var scriptsDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["ROTATOR_SCRIPTS_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts")
    }

    /// The environment for child Python processes: ours without AWS_* variables, so a developer's
    /// profile or real keys can never leak into (or break) a call aimed at a local server.
    package static func childEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Starts `python3 scripts/<script> <arguments>` in the background (a server), its output appended to `log`.
    package static func start(_ script: String, _ arguments: [String], log: URL) throws -> Process {
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptsDirectory.appendingPathComponent(script).path] + arguments
        process.environment = childEnvironment()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        return process
    }

    /// Runs `python3 scripts/<script> <arguments>` with `input` on stdin and returns stdout.
    /// - Throws: `ServerError` with stdout and stderr when the script exits non-zero.
    package static func run(
        _ script: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptsDirectory.appendingPathComponent(script).path] + arguments
        process.environment = childEnvironment(adding: environment)
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        // Read stderr on another thread so neither pipe can fill up and stall the child.
        let errorOutput = ErrorCollector()
        let reader = Thread { errorOutput.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = errorOutput.waitForText()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ServerError(
                "python3 \(script) \(arguments.first ?? "") exited with \(process.terminationStatus): \(text)\(errorText.suffix(2_000))"
            )
        }
        return text
    }
}

/// Collects one Data value from a reader thread.
private final class ErrorCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.signal()
        condition.unlock()
    }

    func waitForText() -> String {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return String(decoding: data ?? Data(), as: UTF8.self)
    }
}
