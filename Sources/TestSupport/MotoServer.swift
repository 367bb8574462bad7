import Foundation
import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// moto as a local Secrets Manager with IAM signature checking, for tests, benchmarks and `make demo`.
///
/// moto runs through `scripts/moto_admin.py serve`, which calls `moto.server.main(["-H", "127.0.0.1",
/// "-p", port])` and exits by itself if this process dies, so moto never outlives the tests. `stop()`
/// (also called from `deinit`) ends it earlier.
package final class MotoServer: @unchecked Sendable {
    package let endpoint: String
    package let region: String
    /// Temporary credentials of the rotation role (an `ASIA…` key and a session token) when IAM auth is on.
    package let roleCredentials: (accessKeyId: String, secretAccessKey: String, sessionToken: String?)
    package let port: Int
    /// The CA file that signed moto's certificate when it serves HTTPS (`start(tls: true)`); `nil` for HTTP.
    package let caFile: String?
    /// The admin user's keys, for `moto_admin.py`. Not the code under test's credentials.
    private let adminCredentials: (accessKeyId: String, secretAccessKey: String)
    /// Secrets Manager as the admin user, in-process (fast): for setting up and inspecting what the tests rotate.
    package let adminClient: MotoAdmin
    private let process: Process
    private let logFile: URL
    private let lock = NSLock()
    private var stopped = false

    /// Starts `moto.server -H 127.0.0.1 -p <free port>`; with iamAuth, provisions an IAM user + role while
    /// auth is off, turns signature checking on (`/moto-api/reset-auth 0`), then AssumeRole gives temporary
    /// credentials (ASIA key + session token). Every later request is signature-checked.
    /// - Parameter tls: serve HTTPS, as Secrets Manager is reached on Lambda, with a certificate from the tests'
    ///   CA (`TestCertificates`); `clientEnvironment` then names that CA in `AWS_CA_BUNDLE`.
    /// - Throws: `ServerError` with the end of moto's log when it does not start or provisioning fails.
    package static func start(iamAuth: Bool = true, tls: Bool = false) throws -> MotoServer {
        try TestLane.allowServer("moto")
        var lastError: Error = ServerError("moto did not start")
        let certificates = tls ? try TestCertificates.shared.get() : nil
        // The free port may be taken between finding it and moto binding it: try a few.
        for _ in 0..<3 {
            do {
                return try MotoServer(port: try FreePort.find(), iamAuth: iamAuth, certificates: certificates)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private init(port: Int, iamAuth: Bool, certificates: TestCertificates?) throws {
        self.port = port
        self.endpoint = "\(certificates == nil ? "http" : "https")://127.0.0.1:\(port)"
        self.region = "us-east-1"
        caFile = certificates?.caFile
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port)-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let tlsArguments =
            certificates.map { ["--ssl-cert", $0.serverCertificateFile, "--ssl-key", $0.serverKeyFile] } ?? []
        process = try PythonScript.start(
            "moto_admin.py", ["serve", "--port", String(port), "--watch-parent"] + tlsArguments, log: logFile)

        do {
            try Self.waitUntilAccepting(port: port, process: process, logFile: logFile)
            if iamAuth {
                let output = try PythonScript.run(
                    "moto_admin.py", ["--endpoint", endpoint, "provision-auth"],
                    environment: Self.scriptEnvironment(caFile: caFile))
                let document = try JSONValue(parsing: output)
                guard let adminKey = document["admin"]?["accessKeyId"]?.stringValue,
                    let adminSecret = document["admin"]?["secretAccessKey"]?.stringValue,
                    let roleKey = document["role"]?["accessKeyId"]?.stringValue,
                    let roleSecret = document["role"]?["secretAccessKey"]?.stringValue,
                    let roleToken = document["role"]?["sessionToken"]?.stringValue
                else { throw ServerError("moto_admin.py provision-auth printed an unexpected document") }
                adminCredentials = (adminKey, adminSecret)
                roleCredentials = (roleKey, roleSecret, roleToken)
            } else {
                adminCredentials = ("testing", "testing")
                roleCredentials = ("testing", "testing", nil)
            }
            adminClient = try MotoAdmin(
                endpoint: endpoint, accessKeyId: adminCredentials.accessKeyId,
                secretAccessKey: adminCredentials.secretAccessKey, caFile: caFile)
        } catch {
            Self.terminate(process)
            try? FileManager.default.removeItem(at: logFile)
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Environment for the code under test: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_SESSION_TOKEN, SECRETS_MANAGER_ENDPOINT, AWS_ENDPOINT_URL_RDS, and AWS_CA_BUNDLE when moto serves HTTPS.
    package var clientEnvironment: [String: String] {
        var environment = [
            "AWS_REGION": region,
            "AWS_ACCESS_KEY_ID": roleCredentials.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": roleCredentials.secretAccessKey,
            "SECRETS_MANAGER_ENDPOINT": endpoint,
            // moto serves every service on one port: RDS's lookups of master secrets and replicas go there too.
            "AWS_ENDPOINT_URL_RDS": endpoint,
            // The doctor reads the deployed rotation function (Lambda's GetFunctionConfiguration) there too.
            "AWS_ENDPOINT_URL_LAMBDA": endpoint,
        ]
        if let token = roleCredentials.sessionToken { environment["AWS_SESSION_TOKEN"] = token }
        if let caFile { environment["AWS_CA_BUNDLE"] = caFile }
        return environment
    }

    /// A DB instance in moto's RDS made with `ManageMasterUserPassword`, standing for a real server on `port` of
    /// this machine: returns its endpoint name (map it to 127.0.0.1 with `IsolatedNames`) and the ARN of the secret
    /// RDS made for it, which is given `user`'s login (RDS would hold the master's real one).
    package func createRDSManagedInstance(port: Int, engine: String, user: String, password: String) throws
        -> (host: String, secretARN: String)
    {
        let id = "db-\(UUID().uuidString.prefix(8).lowercased())"
        var parameters = [
            ("DBInstanceIdentifier", id), ("Engine", engine), ("DBInstanceClass", "db.t3.micro"),
            ("MasterUsername", user), ("ManageMasterUserPassword", "true"), ("AllocatedStorage", "20"),
            ("Port", String(port)),
        ]
        // moto knows no default MariaDB version.
        if engine == "mariadb" { parameters.append(("EngineVersion", "10.11.6")) }
        let answer = try adminClient.rds("CreateDBInstance", parameters)
        guard
            let secretARN = answer.components(separatedBy: "<SecretArn>").dropFirst().first?
                .components(separatedBy: "</SecretArn>").first
        else { throw ServerError("moto made no master secret for \(id)") }
        try adminClient.putSecretValue(
            secretId: secretARN, token: UUID().uuidString.lowercased(),
            secretString: JSONObject(["username": .string(user), "password": .string(password)]).serialized,
            stages: ["AWSCURRENT"])
        return ("\(id).aaaaaaaaaa.us-east-1.rds.amazonaws.com", secretARN)
    }

    /// An Aurora cluster in moto's RDS made with `ManageMasterUserPassword`, with `members` instances (the first is
    /// the writer), its port `port` of this machine: returns its writer and reader endpoints, its members' endpoint
    /// names in order, and the ARN of its master secret, given `user`'s login.
    package func createRDSManagedCluster(port: Int, engine: String, user: String, password: String, members: Int = 2)
        throws -> (writer: String, reader: String, members: [String], secretARN: String)
    {
        let id = "cl-\(UUID().uuidString.prefix(8).lowercased())"
        let answer = try adminClient.rds(
            "CreateDBCluster",
            [
                ("DBClusterIdentifier", id), ("Engine", engine), ("MasterUsername", user),
                ("ManageMasterUserPassword", "true"), ("Port", String(port)),
            ])
        func element(_ name: String) -> String? {
            answer.components(separatedBy: "<\(name)>").dropFirst().first?.components(separatedBy: "</\(name)>").first
        }
        guard let writer = element("Endpoint"), let reader = element("ReaderEndpoint"),
            let secretARN = element("SecretArn")
        else { throw ServerError("moto made no endpoints or master secret for cluster \(id)") }
        var hosts: [String] = []
        for number in 1...members {
            try adminClient.rds(
                "CreateDBInstance",
                [
                    ("DBInstanceIdentifier", "\(id)-\(number)"), ("Engine", engine), ("DBInstanceClass", "db.r5.large"),
                    ("DBClusterIdentifier", id),
                ])
            hosts.append("\(id)-\(number).aaaaaaaaaa.us-east-1.rds.amazonaws.com")
        }
        try adminClient.putSecretValue(
            secretId: secretARN, token: UUID().uuidString.lowercased(),
            secretString: JSONObject(["username": .string(user), "password": .string(password)]).serialized,
            stages: ["AWSCURRENT"])
        return (writer, reader, hosts, secretARN)
    }

    /// Creates a secret with the admin user; returns its ARN.
    package func createSecret(name: String, secretString: String, tags: [(key: String, value: String)] = []) throws
        -> String
    {
        try adminClient.createSecret(name: name, secretString: secretString, tags: tags)
    }

    /// RotateSecret with an unknown Lambda ARN: leaves the AWSPENDING stub with no value and RotationEnabled=true,
    /// exactly as AWS before createSecret; returns the token.
    package func startRotation(secretId: String) throws -> String {
        try adminClient.startRotation(secretId: secretId)
    }

    /// The raw DescribeSecret document (timestamps as epoch seconds).
    package func describe(secretId: String) throws -> JSONValue {
        try adminClient.describe(secretId: secretId)
    }

    /// The SecretString of the version labelled `stage`; `nil` if that version has no value.
    package func secretString(secretId: String, stage: String) throws -> String? {
        try adminClient.secretString(secretId: secretId, stage: stage)
    }

    /// What `moto_admin.py` needs besides its arguments: the CA to trust when moto serves HTTPS.
    private static func scriptEnvironment(caFile: String?) -> [String: String] {
        caFile.map { ["AWS_CA_BUNDLE": $0] } ?? [:]
    }

    /// Stops moto (SIGTERM, then SIGKILL after a second). Safe to call more than once.
    package func stop() {
        lock.lock()
        let alreadyStopped = stopped
        stopped = true
        lock.unlock()
        guard !alreadyStopped else { return }
        Self.terminate(process)
        try? FileManager.default.removeItem(at: logFile)
    }

    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let giveUp = Date().addingTimeInterval(1)
        while process.isRunning && Date() < giveUp { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func waitUntilAccepting(port: Int, process: Process, logFile: URL) throws {
        let giveUp = Date().addingTimeInterval(30)
        while Date() < giveUp {
            if FreePort.isAccepting(port: port) { return }
            guard process.isRunning else {
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                throw ServerError("moto exited before listening on port \(port): \(log.suffix(2_000))")
            }
            usleep(50_000)
        }
        throw ServerError("moto did not listen on port \(port) within 30 s")
    }
}
