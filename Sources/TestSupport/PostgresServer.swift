import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL 15 server for tests and benchmarks: Debian's binaries, run as the unprivileged user `nobody`
/// (PostgreSQL refuses root) on a free loopback port, with TLS from a throw-away CA, `log_statement = 'all'`,
/// `password_encryption = scram-sha-256` and pg_hba.conf requiring SCRAM for every TCP login.
///
/// The cluster is made once per process by `initdb` and copied for each server, so a test can have a server of
/// its own for about the cost of a start. `stop()` (or the last reference going) stops the postmaster by its PID.
package final class PostgresServer: @unchecked Sendable {
    package static let binDirectory = "/usr/lib/postgresql/15/bin"

    package let host = "127.0.0.1"
    package var port: Int { server?.port ?? 0 }
    /// The bootstrap superuser and its password (set through initdb's password file, never in SQL).
    package let superuser: String
    package let superuserPassword: String
    /// The test CA that signed the server certificate (for `localhost` and `127.0.0.1`).
    package let caFile: String
    /// A second CA that signed nothing this server shows: verification against it must fail.
    package let untrustedCAFile: String
    /// Where the server writes its log (statements included), across restarts.
    package let logPath: String
    package let tlsEnabled: Bool
    private let directory: String
    private let dataDirectory: String
    private let serverCertificateFile: String
    private let serverKeyFile: String
    private var server: ServerProcess?

    /// The pg_hba.conf lines of every server unless a test gives its own: SCRAM for every TCP login, TLS or not.
    package static let defaultHBALines = [
        "host all all 127.0.0.1/32 scram-sha-256", "host all all ::1/128 scram-sha-256",
    ]

    /// Copies the cluster and starts a server on a free port.
    /// - Parameters:
    ///   - tls: `false` starts a server with `ssl = off`, for the tests of what happens without TLS.
    ///   - hbaLines: pg_hba.conf in place of `defaultHBALines` (a `trust` rule, `hostnossl`, …).
    package init(tls: Bool = true, hbaLines: [String] = PostgresServer.defaultHBALines) throws {
        try TestLane.allowServer("PostgreSQL")
        let template = try PostgresClusterTemplate.shared.get()
        tlsEnabled = tls
        superuser = template.superuser
        superuserPassword = template.superuserPassword
        caFile = template.caFile
        untrustedCAFile = template.untrustedCAFile
        serverCertificateFile = template.serverCertificateFile
        serverKeyFile = template.serverKeyFile
        directory = try makeTemporaryDirectory(prefix: "rotator-pg-")
        dataDirectory = directory + "/data"
        logPath = directory + "/server.log"
        try runTool("/bin/cp", ["-a", template.dataDirectory, dataDirectory])
        try (hbaLines.joined(separator: "\n") + "\n").write(
            toFile: dataDirectory + "/pg_hba.conf", atomically: false, encoding: .utf8)
        try changeOwner(directory, recursive: true)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        server = ServerProcess(
            name: "PostgreSQL", stopping: .init(signal: SIGINT, seconds: 20, hardSignal: SIGQUIT),
            launch: { [unowned self] port in try launch(port: port) })
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the server (again) and waits until it accepts connections. A restart keeps the port.
    package func start() throws { try server?.start() }

    /// Stops the server (fast shutdown, SIGINT: open sessions are ended) and waits for the postmaster to exit;
    /// then immediate shutdown (SIGQUIT), in which the postmaster stops its children before it exits.
    package func stop() { server?.stop() }

    /// Stops and starts the server on the same port.
    package func restart() throws {
        stop()
        try start()
    }

    /// Runs SQL with `psql` (as `user`, default the superuser) and returns its unaligned, tuples-only output.
    /// Don't put passwords in `sql`: the server logs every statement. The password travels in `PGPASSWORD`.
    /// - Throws: `TestServerError` with psql's error output when psql fails (a refused login included).
    @discardableResult
    package func execute(
        _ sql: String, user: String? = nil, password: String? = nil,
        database: String = "postgres"
    ) throws -> String {
        var environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        environment["PGHOST"] = host
        environment["PGPORT"] = String(port)
        environment["PGUSER"] = user ?? superuser
        environment["PGPASSWORD"] = password ?? superuserPassword
        environment["PGDATABASE"] = database
        environment["PGCONNECT_TIMEOUT"] = "5"
        environment["PGSSLMODE"] = tlsEnabled ? "verify-full" : "disable"
        environment["PGSSLROOTCERT"] = caFile
        environment["PGGSSENCMODE"] = "disable"
        let result = try runTool(
            Self.binDirectory + "/psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            environment: environment, check: false)
        guard result.status == 0 else {
            throw TestServerError("psql failed (\(result.status)): \(result.errorOutput)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `user` can log in with `password` (through psql).
    package func canLogIn(user: String, password: String, database: String = "postgres") -> Bool {
        (try? execute("SELECT 1", user: user, password: password, database: database)) == "1"
    }

    /// The server log so far.
    package func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    private func launch(port: Int) throws -> Process {
        let readyBefore = log().components(separatedBy: "ready to accept connections").count
        var arguments = [
            "--reuid=\(nobodyID)", "--regid=\(nogroupID)", "--clear-groups", "--",
            Self.binDirectory + "/postgres", "-D", dataDirectory,
        ]
        let settings =
            [
                "listen_addresses=\(host)", "port=\(port)", "unix_socket_directories=",
                "log_statement=all", "log_connections=on", "password_encryption=scram-sha-256",
                "fsync=off", "synchronous_commit=off", "full_page_writes=off", "shared_buffers=16MB",
                "max_connections=40", "logging_collector=off", "log_destination=stderr",
            ]
            + (tlsEnabled
                ? ["ssl=on", "ssl_cert_file=\(serverCertificateFile)", "ssl_key_file=\(serverKeyFile)"]
                : ["ssl=off"])
        for setting in settings { arguments += ["-c", setting] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        guard let logHandle = FileHandle(forWritingAtPath: logPath) else {
            throw TestServerError("cannot open \(logPath)")
        }
        logHandle.seekToEndOfFile()
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? logHandle.close()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if log().components(separatedBy: "ready to accept connections").count > readyBefore { return process }
            if !process.isRunning { break }
            usleep(20_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGQUIT)
            _ = waitForExit(process, seconds: 10)
        }
        throw TestServerError("PostgreSQL did not start on port \(port); log tail: \(String(log().suffix(1_500)))")
    }
}

let nobodyID: UInt32 = 65_534
let nogroupID: UInt32 = 65_534

func waitForExit(_ process: Process, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    return !process.isRunning
}
