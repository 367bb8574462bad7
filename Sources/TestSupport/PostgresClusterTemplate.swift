import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL cluster, made once per process and copied by each `PostgresServer`.
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

    static let shared: Result<PostgresClusterTemplate, Error> = Result { try PostgresClusterTemplate() }

    private init() throws {
        directory = try makeProcessTemporaryDirectory(prefix: "rotator-pg-template-")
        dataDirectory = directory + "/data"
        let certificates = try TestCertificates.shared.get()
        let tls = directory + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        caFile = certificates.caFile
        untrustedCAFile = certificates.untrustedCAFile
        // The server's own copies: PostgreSQL insists that the key belongs to the user it runs as.
        serverCertificateFile = tls + "/server.crt"
        serverKeyFile = tls + "/server.key"
        try FileManager.default.copyItem(atPath: certificates.serverCertificateFile, toPath: serverCertificateFile)
        try FileManager.default.copyItem(atPath: certificates.serverKeyFile, toPath: serverKeyFile)
        superuserPassword = randomAlphanumeric(count: 24)

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
}
