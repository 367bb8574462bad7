import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throw-away CA, a server certificate for `localhost` and `127.0.0.1` signed by it, and an unrelated second CA
/// (which must fail verification): made once per process for every test server, removed when the process exits.
package struct TestCertificates: Sendable {
    package let directory: String
    package let caFile: String
    package let untrustedCAFile: String
    package let serverCertificateFile: String
    package let serverKeyFile: String

    package static let shared: Result<TestCertificates, Error> = Result { try TestCertificates() }

    private init() throws {
        directory = try makeProcessTemporaryDirectory(prefix: "rotator-tls-")
        caFile = directory + "/ca.crt"
        untrustedCAFile = directory + "/untrusted-ca.crt"
        serverCertificateFile = directory + "/server.crt"
        serverKeyFile = directory + "/server.key"
        try Self.makeCertificates(in: directory)
        for file in [caFile, untrustedCAFile, serverCertificateFile] { chmod(file, 0o644) }
    }

    /// A CA, a server certificate for `localhost` and `127.0.0.1` signed by it, and an unrelated second CA.
    private static func makeCertificates(in folder: String) throws {
        let config = folder + "/openssl.cnf"
        // The servers' certificate also names every instance endpoint moto's RDS invents
        // (`<id>.aaaaaaaaaa.us-east-1.rds.amazonaws.com`), as RDS's own certificates carry a wildcard for theirs.
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
        subjectAltName = DNS:localhost,DNS:*.aaaaaaaaaa.us-east-1.rds.amazonaws.com,IP:127.0.0.1
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
