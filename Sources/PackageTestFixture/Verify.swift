import ArgumentParser
import DatabaseRotation
import Foundation
import JSON
import Logging
import MariaDBTarget
import PostgresTarget
import RedisTarget
import TestSupport

/// Checks from outside that the whole rotation happened: four accepted responses and no error report, the labels
/// moved, the credential changed and works where it is used (the old one no longer does, or for an API key, still
/// does for one period), the other keys kept, and no secret value in any log.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the staged rotation completed.")

    @OptionGroup var moto: MotoOptions
    @Option(help: "the fake Runtime API's record (JSON lines)") var record: String
    @Option(help: "the API-keys server the secret's keys come from") var apiKey: String?
    @Option(help: "the CA file that signed the API-keys server's certificate") var apiCA: String?
    @Option(parsing: .upToNextOption, help: "files that must hold no secret value") var logs: [String] = []

    func run() throws {
        let staged = try StagedRotation(readingFrom: moto.state)
        let admin = try moto.admin()
        var problems: [String] = []
        let calls = try RuntimeCall.read(record)
        problems += calls.filter { $0.kind == "error" || $0.kind == "init-error" }.map {
            "Runtime API got an error report: \($0.errorType ?? "?"): \($0.errorMessage ?? "")"
        }
        let accepted = calls.filter { $0.kind == "response" && $0.status == 202 }.count
        if accepted != 4 { problems.append("expected 4 accepted responses, got \(accepted)") }

        let stages = try admin.stages(secretId: staged.arn)
        if stages[staged.token]?.contains("AWSCURRENT") != true {
            problems.append("AWSCURRENT is not on the new version: \(stages)")
        }
        if stages[staged.oldVersion]?.contains("AWSPREVIOUS") != true {
            problems.append("AWSPREVIOUS is not on the old version: \(stages)")
        }
        guard let text = try admin.secretString(secretId: staged.arn),
            let current = try? JSONValue(parsing: text).objectValue
        else { throw FixtureFailure("the AWSCURRENT value is not a JSON object") }
        let field = staged.rotatedField
        let newCredential = current[field]?.stringValue ?? ""
        if newCredential.isEmpty || staged.secrets.contains(newCredential) {
            problems.append("the \(field) did not change")
        }
        let kept = { (object: JSONObject) in object.members.filter { !staged.rotatedKeys.contains($0.key) } }
        if kept(current) != kept(staged.value) { problems.append("the other keys of the secret were not kept") }
        problems += try credentialChecks(staged, newCredential: newCredential)

        let scanner = LeakScanner()
        for value in staged.secrets + [newCredential] { scanner.watch(value) }
        problems += try leaks(in: logs, scanner)
        try report(problems, command: "verify")
        print(
            "verify: ok - 4 steps answered 202, AWSCURRENT moved to \(staged.token), \(field) changed, "
                + "no secret value in \(logs.count) log file(s)")
    }

    /// Whether the new credential works where it is used, and the replaced one as it should.
    private func credentialChecks(_ staged: StagedRotation, newCredential: String) throws -> [String] {
        let old = staged.secrets[0]
        switch staged.kind {
        case .generic:
            return []
        case .apiKey:
            guard let apiKey else { throw ValidationError("an API-key rotation is verified with --api-key") }
            let keys = try APIKeysAdmin(baseURL: apiKey, caFile: apiCA).keys()
            var problems: [String] = []
            if keys.first(where: { $0.value == newCredential })?.usable != true {
                problems.append("the API does not accept the new key")
            }
            if keys.first(where: { $0.value == old })?.usable != true {
                problems.append("the replaced key was revoked at once (retire nextRotation keeps it one period)")
            }
            return problems
        case .postgres, .mariadb, .redis:
            let name = [.postgres: "PostgreSQL", .mariadb: "MariaDB"][staged.kind] ?? "Redis"
            var problems: [String] = []
            if !logsIn(staged, password: newCredential) {
                problems.append("the new password does not log in to \(name)")
            }
            if logsIn(staged, password: old) { problems.append("the old password still logs in to \(name)") }
            return problems
        }
    }

    /// A login with the function's own drivers, TLS verified against the database's CA, as the function logs in.
    private func logsIn(_ staged: StagedRotation, password: String) -> Bool {
        guard let host = staged.value["host"]?.stringValue, let port = staged.value["port"]?.intValue,
            let user = staged.value["username"]?.stringValue, let caFile = staged.databaseCA
        else { return false }
        let login = DatabaseLogin(
            host: host, port: port, user: user, password: password, database: staged.value["dbname"]?.stringValue,
            tls: .verifyFull(caFile: caFile))
        let quiet = Logger(label: "package-test-fixture") { _ in SwiftLogNoOpLogHandler() }
        do {
            switch staged.kind {
            case .postgres:
                let session = try PostgresDriver().connect(
                    login, timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: quiet)
                defer { session.close() }
                try session.ping()
            case .redis:
                let session = try RedisDriver().connect(
                    login, timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: quiet)
                defer { session.close() }
                try session.ping()
            default:
                let session = try MySQLDriver(.mariaDB).connect(
                    login, timeoutMilliseconds: 5_000, deadline: .after(milliseconds: 10_000), logger: quiet)
                defer { session.close() }
                try session.ping()
            }
            return true
        } catch {
            return false
        }
    }
}

/// Checks that the function refused every event (an endpoint whose certificate is not trusted) and touched nothing.
struct VerifyRefused: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that every event failed and nothing leaked.")

    @OptionGroup var moto: MotoOptions
    @Option(help: "the fake Runtime API's record (JSON lines)") var record: String
    @Option(parsing: .upToNextOption, help: "files that must hold no secret value") var logs: [String] = []

    func run() throws {
        let staged = try StagedRotation(readingFrom: moto.state)
        let calls = try RuntimeCall.read(record)
        let served = calls.filter { $0.kind == "next" && $0.status == 200 }.count
        let errors = calls.filter { $0.kind == "error" && $0.status == 202 }
        let responses = calls.filter { $0.kind == "response" }.count
        var problems: [String] = []
        if served == 0 { problems.append("the bootstrap never fetched an event") }
        if responses > 0 { problems.append("\(responses) event(s) succeeded although the endpoint is untrusted") }
        if errors.count != served { problems.append("\(served) event(s) served but \(errors.count) error report(s)") }
        let stages = try moto.admin().stages(secretId: staged.arn)
        if stages[staged.oldVersion] != ["AWSCURRENT"] { problems.append("the secret's labels changed: \(stages)") }
        let scanner = LeakScanner()
        for value in staged.secrets { scanner.watch(value) }
        problems += try leaks(in: logs, scanner)
        try report(problems, command: "verify-refused")
        print(
            "verify-refused: ok - every event failed: \(errors.first?.errorType ?? "?"): \(errors.first?.errorMessage ?? "")"
        )
    }
}

/// One line per file that holds a watched value (its length, never the value).
func leaks(in paths: [String], _ scanner: LeakScanner) throws -> [String] {
    try paths.flatMap { path in
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureFailure("cannot read \(path)") }
        return scanner.findings(in: String(decoding: data, as: UTF8.self)).map { "\(path): \($0)" }
    }
}

/// Prints each problem and fails the command when there is one.
func report(_ problems: [String], command: String) throws {
    guard !problems.isEmpty else { return }
    for problem in problems { FileHandle.standardError.write(Data("\(command): FAIL \(problem)\n".utf8)) }
    throw ExitCode.failure
}
