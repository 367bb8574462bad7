import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `redis-server` (Debian's 7.0) for the Redis driver's tests: on a free loopback port, with TLS from the
/// tests' CA (`tls-port`; plain TCP off) or without, run as `nobody` in a directory of its own, the default user
/// off, and an administrator on a Unix socket that only `redis-cli` here uses. Stopped by its PID.
package final class RedisServer: @unchecked Sendable {
    package let host = "127.0.0.1"
    package var port: Int { server?.port ?? 0 }
    package let caFile: String
    package let untrustedCAFile: String
    package let tlsEnabled: Bool
    package let socketPath: String
    private let directory: String
    private let logPath: String
    private let certificates: TestCertificates
    private var server: ServerProcess?
    /// The administrator `redis-cli` logs in as (the default user is off: a failed `--user` login must not fall
    /// back to it).
    private let adminPassword = randomPassword(length: 24).filter { $0.isLetter || $0.isNumber } + "A1"

    package init(tls: Bool = true) throws {
        try TestLane.allowServer("Redis")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else {
            throw TestServerError("redis-server is not installed (apt-get install redis-server)")
        }
        certificates = try TestCertificates.shared.get()
        caFile = certificates.caFile
        untrustedCAFile = certificates.untrustedCAFile
        tlsEnabled = tls
        directory = try makeTemporaryDirectory(prefix: "rotator-redis-")
        socketPath = directory + "/redis.sock"
        logPath = directory + "/redis.log"
        try FileManager.default.copyItem(atPath: certificates.serverKeyFile, toPath: directory + "/server.key")
        try changeOwner(directory, recursive: true)
        chmod(directory, 0o700)
        server = ServerProcess(
            // SIGKILL: a child of Foundation's Process starts with the test process's signal mask, SIGTERM blocked, and
            // redis-server (unlike postgres and mariadbd) does not unblock it. Nothing is kept: nothing is lost.
            name: "Redis", stopping: .init(signal: SIGKILL, seconds: 5, hardSignal: SIGKILL),
            launch: { [unowned self] port in try launch(port: port) })
        try server?.start()
    }

    deinit {
        server?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `redis-cli` on the Unix socket as the administrator and returns its output, or as `user` with
    /// `password` when given.
    @discardableResult
    package func cli(_ arguments: [String], user: String? = nil, password: String? = nil) throws -> String {
        let login = ["--user", user ?? "rotator_test_admin", "--pass", password ?? adminPassword, "--no-auth-warning"]
        let result = try runTool("/usr/bin/redis-cli", ["-s", socketPath] + login + arguments)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `user` logs in with `password`, asked by `redis-cli` (not the driver) with `AUTH`, which needs no right
    /// of the user's own.
    package func canLogIn(user: String, password: String) -> Bool {
        (try? cli(["AUTH", user, password])) == "OK"
    }

    /// Records every command the server runs (`MONITOR`) into a file until `stop` is called on the result.
    package func monitor() throws -> (stop: () -> String, process: Process) {
        let output = directory + "/monitor-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        process.arguments = [
            "-s", socketPath, "--user", "rotator_test_admin", "--pass", adminPassword, "--no-auth-warning", "MONITOR",
        ]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // MONITOR answers +OK once it is on; wait for it so nothing before the test's commands is missed.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").isEmpty {
            usleep(10_000)
        }
        return (
            {
                // redis-cli ignores SIGTERM while it monitors; its output is flushed line by line, so nothing is lost.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? handle.close()
                return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            }, process
        )
    }

    /// The server's log and, for a leak scan, its ACL LOG and SLOWLOG.
    package func logs() -> [(name: String, text: String)] {
        [
            ("redis log", (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""),
            ("ACL LOG", (try? cli(["ACL", "LOG"])) ?? ""),
            ("SLOWLOG", (try? cli(["SLOWLOG", "GET", "1000"])) ?? ""),
        ]
    }

    private func launch(port: Int) throws -> Process {
        var configuration = """
            bind 127.0.0.1
            dir \(directory)
            logfile \(logPath)
            unixsocket \(socketPath)
            unixsocketperm 700
            save ""
            appendonly no
            daemonize no
            protected-mode no
            # Every command reaches SLOWLOG, so the leak scan sees what a slow command would leave there.
            slowlog-log-slower-than 0
            user default off
            user rotator_test_admin on >\(adminPassword) ~* &* +@all

            """
        if tlsEnabled {
            configuration += """
                port 0
                tls-port \(port)
                tls-cert-file \(certificates.serverCertificateFile)
                tls-key-file \(directory)/server.key
                tls-ca-cert-file \(certificates.caFile)
                tls-auth-clients no

                """
        } else {
            configuration += "port \(port)\n"
        }
        let configurationPath = directory + "/redis.conf"
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        try changeOwner(configurationPath, recursive: false)
        let logBefore = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=\(nobodyID)", "--regid=\(nogroupID)", "--clear-groups", "--", "/usr/bin/redis-server",
            configurationPath,
        ]
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return try waitUntilReady(
            process, name: "Redis", port: port, logPath: logPath, marker: "Ready to accept connections",
            before: logBefore, seconds: 20)
    }
}
