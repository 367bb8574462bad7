import Foundation
import JSON
import MariaDBTarget
import TestSupport
import TestTags
import Testing

/// A MySQL-family secret as RDS writes it.
func mariaDBSecret(
    port: Int, username: String, password: String, engine: String = "mariadb", ssl: JSONValue? = .bool(true),
    masterARN: String? = nil, dbname: String? = nil, host: String = "127.0.0.1"
) -> String {
    var object = JSONObject()
    object["engine"] = .string(engine)
    object["host"] = .string(host)
    object["username"] = .string(username)
    object["password"] = .string(password)
    object["port"] = .integer(port)
    if let dbname { object["dbname"] = .string(dbname) }
    if let ssl { object["ssl"] = ssl }
    if let masterARN { object["masterarn"] = .string(masterARN) }
    return object.serialized
}

/// A name unique to one test, so that tests sharing a server do not meet.
func uniqueName(_ prefix: String) -> String { "\(prefix)_\(UUID().uuidString.prefix(6).lowercased())" }

extension MariaDBServer {
    /// `text` as an SQL string literal (backslashes and quotes escaped, as the server's default SQL mode reads it).
    static func literal(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }

    static func account(_ user: String, _ host: String = "%") -> String { "\(literal(user))@\(literal(host))" }

    /// Creates an account whose password reaches the server only as its hash, so that no log holds it.
    func createAccount(_ user: String, host: String = "%", password: String, options: String = "") throws {
        try execute(
            "CREATE USER \(Self.account(user, host)) IDENTIFIED BY PASSWORD '\(MySQLPasswordHash.native(password))' \(options)"
        )
    }

    /// The account's `SHOW GRANTS` and `SHOW CREATE USER`, with its name and password hash taken out, for comparing
    /// two accounts' rights.
    func rights(of user: String, host: String = "%") throws -> [String] {
        let printed = "`\(user.replacing("`", with: "``"))`@`\(host.replacing("`", with: "``"))`"
        let lines =
            try execute("SHOW GRANTS FOR \(Self.account(user, host))").split(separator: "\n").map(String.init)
            + [try execute("SHOW CREATE USER \(Self.account(user, host))")]
        return lines.map { line in
            line.replacing(printed, with: "<account>")
                .replacing(#/\sIDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/#, with: "")
                // The server prints a privilege's columns in no fixed order.
                .replacing(#/\(([^()]*)\)/#) { match in
                    "(" + match.output.1.split(separator: ", ").sorted().joined(separator: ", ") + ")"
                }
        }.sorted()
    }

    /// Writes `canary` into the general, slow and binary logs (a database of that name), and checks each has it:
    /// a log that is off would pass any check for a leaked password.
    func expectLogsRecord(_ canary: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try execute("CREATE DATABASE IF NOT EXISTS `\(canary)`")
        for log in logs() where log.name != "error.log" {
            #expect(log.text.contains(canary), "the \(log.name) is not recording", sourceLocation: sourceLocation)
        }
    }

    /// Records an issue for each secret in any of the server's logs (after proving they record statements).
    func expectNoSecretsInLogs(_ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectLogsRecord(uniqueName("canary"), sourceLocation: sourceLocation)
        for log in logs() {
            expectNoSecrets(secrets, in: log.text, "the server's \(log.name)", sourceLocation: sourceLocation)
        }
    }
}

/// Runs rotations of one MariaDB server's secrets through `RotatorLambda`, the zip's binary, with moto.
struct MariaDBLambda {
    let runner: RotatorLambdaRunner
    let server: MariaDBServer
    var moto: MotoServer { runner.moto }

    init(server: MariaDBServer) throws {
        runner = try RotatorLambdaRunner(caFile: server.caFile, secretPrefix: "mariadb-e2e")
        self.server = server
    }

    func createSecret(_ secretString: String) throws -> String { try runner.createSecret(secretString: secretString) }

    func rotate(_ arn: String, environment: [String: String] = [:]) throws -> (
        posts: [FakeRuntimeAPI.Post], output: String
    ) {
        try runner.rotate(arn, environment: environment)
    }

    /// Whether all four steps answered with a response (no error).
    func succeeded(_ run: (posts: [FakeRuntimeAPI.Post], output: String)) -> Bool {
        run.posts.map(\.kind) == Array(repeating: .response, count: 4)
    }

    /// The `errorType` and `errorMessage` of the first error a run posted.
    func firstError(_ posts: [FakeRuntimeAPI.Post]) -> (type: String, message: String)? {
        guard let text = runner.errors(posts).first, let object = try? JSONValue(parsing: text) else { return nil }
        return (object["errorType"]?.stringValue ?? "", object["errorMessage"]?.stringValue ?? "")
    }

    func password(_ arn: String, _ stage: String) throws -> String? { try runner.password(arn, stage) }
    func username(_ arn: String, _ stage: String) throws -> String? { try runner.field("username", of: arn, stage) }
}

/// The servers the MariaDB suites share (each test makes accounts of its own): one with TLS, as RDS has.
enum SharedMariaDB {
    static let withTLS = Result<MariaDBServer, any Error> { try MariaDBServer() }
}
