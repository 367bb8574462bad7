import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real MariaDB 10.11 server for tests and benchmarks: Debian's `mariadbd`, run as the unprivileged user
/// `nobody` on a free loopback port, with TLS from the test CA, and the general log, the slow log (every
/// statement: `long_query_time = 0`) and the binary log on, so that tests can read what a server would keep.
///
/// The data directory is made once per process by `mariadb-install-db` and copied for each server. `root` logs in
/// only through the server's Unix socket (the test's administrator); `stop()` (or the last reference going) stops
/// the server by its PID.
package final class MariaDBServer: @unchecked Sendable {
    package let host = "127.0.0.1"
    package var port: Int { server?.port ?? 0 }
    package let caFile: String
    package let untrustedCAFile: String
    package let tlsEnabled: Bool
    package let requiresSecureTransport: Bool
    package let generalLogPath: String
    package let slowLogPath: String
    package let errorLogPath: String
    private let binaryLogBase: String
    private let directory: String
    private let dataDirectory: String
    private let socketPath: String
    private let certificates: TestCertificates
    private var server: ServerProcess?

    /// Copies the data directory and starts a server.
    /// - Parameters:
    ///   - tls: `false` starts a server without TLS.
    ///   - requireSecureTransport: `require_secure_transport = ON`: TCP logins without TLS are refused.
    package init(tls: Bool = true, requireSecureTransport: Bool = false) throws {
        try TestLane.allowServer("MariaDB")
        let template = try MariaDBDataTemplate.shared.get()
        certificates = try TestCertificates.shared.get()
        caFile = certificates.caFile
        untrustedCAFile = certificates.untrustedCAFile
        tlsEnabled = tls
        requiresSecureTransport = requireSecureTransport
        directory = try makeTemporaryDirectory(prefix: "rotator-mariadb-")
        dataDirectory = directory + "/data"
        socketPath = directory + "/mysqld.sock"
        generalLogPath = directory + "/general.log"
        slowLogPath = directory + "/slow.log"
        errorLogPath = directory + "/error.log"
        binaryLogBase = directory + "/binlog"
        try runTool("/bin/cp", ["-a", template.dataDirectory, dataDirectory])
        try FileManager.default.copyItem(atPath: certificates.serverKeyFile, toPath: directory + "/server.key")
        try changeOwner(directory, recursive: true)
        chmod(directory, 0o700)
        server = ServerProcess(
            name: "MariaDB", stopping: .init(signal: SIGTERM, seconds: 30, hardSignal: SIGKILL),
            launch: { [unowned self] port in try launch(port: port) })
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the server (again) and waits until it answers. A restart keeps the port.
    package func start() throws { try server?.start() }

    /// Stops the server (SIGTERM: a normal shutdown; SIGKILL after 30 s) and waits for it to exit.
    package func stop() { server?.stop() }

    package func restart() throws {
        stop()
        try start()
    }

    /// Runs SQL as `root` through the Unix socket and returns the rows, tab-separated, one per line.
    /// Don't put passwords in `sql`: the server logs every statement.
    @discardableResult
    package func execute(_ sql: String) throws -> String {
        let result = try runTool(
            "/usr/bin/mariadb",
            ["--no-defaults", "-S", socketPath, "-uroot", "--batch", "--skip-column-names", "--raw", "-e", sql],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"], check: false)
        guard result.status == 0 else {
            throw TestServerError("mariadb failed (\(result.status)): \(result.errorOutput)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `user` can log in over TCP with `password` (TLS verified when the server has it); the password
    /// travels in `MYSQL_PWD`, never on a command line.
    package func canLogIn(user: String, password: String) -> Bool {
        (try? query(asUser: user, password: password, "SELECT 1")) == "1"
    }

    /// Runs SQL as `user` over TCP.
    package func query(asUser user: String, password: String, _ sql: String) throws -> String {
        var arguments = [
            "--no-defaults", "--protocol=TCP", "-h", host, "-P", String(port), "-u", user, "--batch",
            "--skip-column-names", "--raw", "--connect-timeout=5", "-e", sql,
        ]
        arguments += tlsEnabled ? ["--ssl", "--ssl-ca=\(caFile)", "--ssl-verify-server-cert"] : ["--skip-ssl"]
        let result = try runTool(
            "/usr/bin/mariadb", arguments,
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MYSQL_PWD": password], check: false)
        guard result.status == 0 else {
            throw TestServerError("mariadb as \(user) failed (\(result.status)): \(result.errorOutput)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the server's logs hold so far: the general log, the slow log, the error log and the binary log
    /// decoded by `mariadb-binlog`, each under its name.
    package func logs() -> [(name: String, text: String)] {
        var logs = [generalLogPath, slowLogPath, errorLogPath].map { path in
            ((path as NSString).lastPathComponent, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
        }
        let binaryLogs = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("binlog.") && $0 != "binlog.index" }.sorted()
        var decoded = ""
        for file in binaryLogs {
            let result = try? runTool(
                "/usr/bin/mariadb-binlog", ["--no-defaults", directory + "/" + file],
                environment: ["PATH": "/usr/bin:/bin"], check: false)
            decoded += result?.output ?? ""
        }
        logs.append(("binary log", decoded))
        return logs
    }

    private func launch(port: Int) throws -> Process {
        let errorLog = (try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? ""
        var arguments = [
            "--reuid=\(nobodyID)", "--regid=\(nogroupID)", "--clear-groups", "--",
            "/usr/sbin/mariadbd", "--no-defaults", "--datadir=\(dataDirectory)", "--port=\(port)",
            "--bind-address=\(host)", "--socket=\(socketPath)", "--pid-file=\(directory)/mysqld.pid",
            "--log-error=\(errorLogPath)", "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M", "--skip-innodb-doublewrite", "--innodb-flush-log-at-trx-commit=0",
            "--max-connections=60", "--performance-schema=OFF",
            "--general-log=ON", "--general-log-file=\(generalLogPath)",
            "--slow-query-log=ON", "--slow-query-log-file=\(slowLogPath)", "--long-query-time=0",
            "--log-slow-admin-statements=ON", "--log-bin=\(binaryLogBase)", "--server-id=1",
            // For the tests of accounts whose plugin has no hash computed by the rotator.
            "--plugin-load-add=auth_ed25519",
        ]
        if tlsEnabled {
            arguments += [
                "--ssl-ca=\(certificates.caFile)", "--ssl-cert=\(certificates.serverCertificateFile)",
                "--ssl-key=\(directory)/server.key",
            ]
        } else {
            arguments += ["--skip-ssl"]
        }
        if requiresSecureTransport { arguments += ["--require-secure-transport=ON"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return try waitUntilReady(
            process, name: "MariaDB", port: port, logPath: errorLogPath, marker: "ready for connections",
            before: errorLog, seconds: 30)
    }
}

/// The data directory `mariadb-install-db` makes, once per process, copied by each `MariaDBServer`.
struct MariaDBDataTemplate: Sendable {
    let directory: String
    let dataDirectory: String

    static let shared: Result<MariaDBDataTemplate, Error> = Result { try MariaDBDataTemplate() }

    private init() throws {
        directory = try makeProcessTemporaryDirectory(prefix: "rotator-mariadb-template-")
        dataDirectory = directory + "/data"
        try changeOwner(directory, recursive: true)
        // root@localhost with no password, reachable only through the Unix socket (TCP logins are from 127.0.0.1,
        // which under --skip-name-resolve is not `localhost`); no test database, no anonymous accounts.
        try runTool(
            "/usr/bin/setpriv",
            [
                "--reuid=\(nobodyID)", "--regid=\(nogroupID)", "--clear-groups", "--",
                "/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=\(dataDirectory)",
                "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
            ], environment: ["PATH": "/usr/bin:/usr/sbin:/bin", "LANG": "C"], currentDirectory: directory)
    }
}
