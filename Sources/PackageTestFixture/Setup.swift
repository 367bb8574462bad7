import ArgumentParser
import Foundation
import JSON
import TestSupport

/// Creates a secret and starts its rotation as Secrets Manager does before it invokes the function (moto cannot
/// call our Lambda: it stages AWSPENDING and enables rotation, then fails to find the function), and writes the
/// four events for the fake Runtime API.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stage a rotation in moto and write its four events.")

    @OptionGroup var moto: MotoOptions
    @Option(help: "where to write the events (a JSON array for FakeRuntimeAPIServer)") var events: String
    @Option(help: "HOST:PORT:USER of a PostgreSQL secret; the user's password on standard input") var postgres: String?
    @Option(help: "HOST:PORT:USER of a MariaDB secret; the user's password on standard input") var mariadb: String?
    @Option(help: "HOST:PORT:USER of a Redis secret (TLS); the user's password on standard input") var redis: String?
    @Option(help: "the CA file that signs the database's certificate (logins are checked with verify-full)")
    var databaseCA: String?
    @Option(help: "base URL of the local API-keys server: the secret holds a SendGrid-recipe key") var apiKey: String?
    @Option(help: "the CA file that signed the API-keys server's certificate") var apiCA: String?

    func run() throws {
        let (kind, value, firstSecret) = try initialValue()
        let admin = try moto.admin()
        let arn = try admin.createSecret(
            name: "package-test/\(UUID().uuidString.lowercased().prefix(12))", secretString: value.serialized)
        guard let oldVersion = try admin.stages(secretId: arn).first(where: { $0.value.contains("AWSCURRENT") })?.key
        else { throw FixtureFailure("moto made no AWSCURRENT version for \(arn)") }
        let token = try admin.startRotation(secretId: arn)
        let steps = ["createSecret", "setSecret", "testSecret", "finishSecret"].map { step in
            JSONValue.object(
                JSONObject(["Step": .string(step), "SecretId": .string(arn), "ClientRequestToken": .string(token)]))
        }
        try Data(JSONValue.array(steps).serialized.utf8).write(to: URL(fileURLWithPath: events))
        try StagedRotation(
            kind: kind, arn: arn, token: token, oldVersion: oldVersion, value: value, secrets: [firstSecret],
            databaseCA: databaseCA
        ).write(to: moto.state)
        print("setup: secret \(arn) staged for rotation (token \(token)); 4 events in \(events)")
    }

    /// The secret's first value and the credential in it.
    private func initialValue() throws -> (StagedRotation.Kind, JSONObject, String) {
        if let apiKey {
            // The first key, made by hand as in the service's console.
            let key = try APIKeysAdmin(baseURL: apiKey, caFile: apiCA).seed(
                family: "sendgrid", name: "first",
                scopes: ["mail.send", "api_keys.create", "api_keys.read", "api_keys.delete"])
            let value = JSONObject([
                "api_key": .string(key.value), "api_key_id": .string(key.id), "previous_api_key_id": .string(""),
                "rotator_recipe": .string("sendgrid"),
            ])
            return (.apiKey, value, key.value)
        }
        if let database = postgres ?? mariadb ?? redis {
            let parts = database.split(separator: ":").map(String.init)
            guard parts.count == 3, let port = Int(parts[1]) else {
                throw ValidationError("--postgres, --mariadb and --redis take HOST:PORT:USER, not \(database)")
            }
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("the database user's password must come on standard input")
            }
            var value = JSONObject([
                "engine": .string(postgres != nil ? "postgres" : mariadb != nil ? "mariadb" : "redis"),
                "host": .string(parts[0]),
                "port": .integer(port), "username": .string(parts[2]), "password": .string(password),
                "ssl": .bool(true),
            ])
            if postgres != nil { value["dbname"] = .string("postgres") }
            return (postgres != nil ? .postgres : mariadb != nil ? .mariadb : .redis, value, password)
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let password = String((0..<32).map { _ in alphabet.randomElement() ?? "x" })
        return (
            .generic, JSONObject(["username": .string("package_test_user"), "password": .string(password)]), password
        )
    }
}
