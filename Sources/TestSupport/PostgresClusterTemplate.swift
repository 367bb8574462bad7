import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL cluster and test certificates, made once per process and copied by each `PostgresServer`.
/// Removed when the process exits.
struct PostgresClusterTemplate: Sendable {
    let directory: String
    let dataDirectory: String
    let superuser = "postgres"
    let superuserPassword: String
    let caFile: String
    let untrustedCAFile: String
    let serverCertificateFile: String
    let serverKeyFile: String

    static let shared: Result<PostgresClusterTemplate, Error> = Result {
        let template = try PostgresClusterTemplate()
        templateDirectoryForCleanup = template.directory
        atexit {
            if let directory = templateDirectoryForCleanup {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return template
    }

    nonisolated(unsafe) private static var templateDirectoryForCleanup: String?

    private init() throws {
        directory = try makeTemporaryDirectory(prefix: "rotator-pg-template-")
        dataDirectory = directory + "/data"
        let tls = directory + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        caFile = tls + "/ca.crt"
        untrustedCAFile = tls + "/untrusted-ca.crt"
        serverCertificateFile = tls + "/server.crt"
        serverKeyFile = tls + "/server.key"
        superuserPassword = randomAlphanumeric(count: 24)

        try Self.makeCertificates(in: tls)
        let passwordFile = directory + "/pwfile"
        try (superuserPassword + "\n").write(toFile: passwordFile, atomically: false, encoding: .utf8)
        try changeOwner(directory, recursive: true)
        chmod(serverKeyFile, 0o600)
        try runTool(
            "/usr/bin/setpriv",
            [
                "--reuid=\(nobodyID)", "--regid=\(nogroupID)", "--clear-groups", "--",
                PostgresServer.binDirectory + "/initdb", "-D", dataDirectory, "-U", superuser,
                "--pwfile=\(passwordFile)", "-E", "UTF8", "--locale=C", "-A", "scram-sha-256", "--no-sync",
            ], environment: ["PATH": "/usr/bin:/bin", "LANG": "C"], currentDirectory: directory)
        try? FileManager.default.removeItem(atPath: passwordFile)
        // SCRAM for every TCP login, TLS or not; no Unix-socket logins (the servers open no socket file).
        let hba = """
            host all all 127.0.0.1/32 scram-sha-256
            host all all ::1/128 scram-sha-256

            """
        try hba.write(toFile: dataDirectory + "/pg_hba.conf", atomically: false, encoding: .utf8)
        try changeOwner(dataDirectory + "/pg_hba.conf", recursive: false)
    }

    /// A CA, a server certificate for `localhost` and `127.0.0.1` signed by it, and an unrelated second CA.
    private static func makeCertificates(in folder: String) throws {
        let config = folder + "/openssl.cnf"
        try """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = placeholder
        [ca_ext]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost,IP:127.0.0.1
        authorityKeyIdentifier = keyid

        """.write(toFile: config, atomically: false, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, subject) in [("ca", "/CN=Rotator Test CA"), ("untrusted-ca", "/CN=Rotator Untrusted CA")] {
            try runTool(
                "/usr/bin/openssl",
                ["req", "-x509", "-config", config, "-extensions", "ca_ext"] + key
                    + [
                        "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).crt", "-days", "7", "-subj",
                        subject,
                    ])
        }
        try runTool(
            "/usr/bin/openssl",
            ["req", "-new", "-config", config] + key
                + ["-keyout", "\(folder)/server.key", "-out", "\(folder)/server.csr", "-subj", "/CN=localhost"])
        try runTool(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", "\(folder)/server.csr", "-CA", "\(folder)/ca.crt", "-CAkey", "\(folder)/ca.key",
                "-CAcreateserial", "-out", "\(folder)/server.crt", "-days", "7", "-extfile", config, "-extensions",
                "server_ext",
            ])
    }
}

/// A new empty folder under the temporary directory that `nobody` can enter.
func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/" + prefix + "XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
        guard let base = buffer.baseAddress else { return nil }
        return mkdtemp(base)
    }
    guard let made else {
        throw PostgresServerError("mkdtemp failed: errno \(errno)")
    }
    let path = String(cString: made)
    chmod(path, 0o755)
    return path
}

/// Gives `path` (and everything under it) to `nobody`, who runs the server.
func changeOwner(_ path: String, recursive: Bool) throws {
    try runTool("/bin/chown", (recursive ? ["-R"] : []) + ["\(nobodyID):\(nogroupID)", path])
}

/// A port on 127.0.0.1 that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw PostgresServerError("socket() failed: errno \(errno)") }
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
    guard bound == 0 else { throw PostgresServerError("bind to 127.0.0.1:0 failed: errno \(errno)") }
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
        throw PostgresServerError(
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
