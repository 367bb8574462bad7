import Foundation
import JSON
import Rotation
import TestSupport
import Testing

/// The recipes shipped in `recipes/`, read as a user would ship them, with only `baseURL` pointed at the local API.
enum ShippedRecipe: String, CaseIterable, Sendable {
    case sendgrid, cloudflare

    var file: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recipes/\(rawValue).json")
    }

    var officialBaseURL: String { self == .sendgrid ? "https://api.sendgrid.com" : "https://api.cloudflare.com" }

    /// The recipe file's text with `baseURL` replaced (and `retire` if given, and `edit` applied): written to a file
    /// of its own.
    func installed(baseURL: String, retire: String? = nil, edit: (String) -> String = { $0 }) throws -> String {
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"\(officialBaseURL)\"", with: "\"\(baseURL)\"")
        if let retire {
            text = text.replacingOccurrences(of: #""retire": "nextRotation""#, with: #""retire": "\#(retire)""#)
        }
        text = edit(text)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recipes-\(UUID().uuidString).json")
        try text.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }
}

/// Rotations of API keys through `RotatorLambda`, the zip's binary: fake Runtime API, moto, and the local API.
struct APIKeyLab {
    let api: APIKeysServer
    let moto: MotoServer
    let recipe: ShippedRecipe
    let recipesFile: String

    init(_ recipe: ShippedRecipe, api: APIKeysServer, retire: String? = nil, edit: (String) -> String = { $0 }) throws {
        self.api = api
        self.recipe = recipe
        moto = try SharedMoto.get()
        recipesFile = try recipe.installed(baseURL: api.baseURL, retire: retire, edit: edit)
    }

    var family: String { recipe.rawValue }
    var valueField: String { recipe == .sendgrid ? "api_key" : "api_token" }
    var idField: String { valueField + "_id" }

    var environment: [String: String] {
        var environment = moto.clientEnvironment
        environment["ROTATOR_RECIPES_FILE"] = recipesFile
        environment["ROTATOR_API_CA_FILE"] = api.certificates.caFile
        return environment
    }

    /// A key made by hand (as in the service's console) and a secret holding it; for Cloudflare also the admin
    /// token that mints the application's tokens.
    func makeSecret() throws -> (arn: String, key: APIKeysServer.Key, secrets: [String]) {
        var object = JSONObject()
        var secrets: [String] = []
        let key: APIKeysServer.Key
        if recipe == .sendgrid {
            key = try api.seed(
                family: "sendgrid", name: "first",
                scopes: ["mail.send", "api_keys.create", "api_keys.read", "api_keys.delete"])
        } else {
            key = try api.seed(family: "cloudflare", name: "first")
        }
        object[valueField] = .string(key.value)
        object[idField] = .string(key.id)
        object["previous_" + idField] = .string("")
        object["rotator_recipe"] = .string(recipe.rawValue)
        object["note"] = .string("kept as is")
        secrets.append(key.value)
        if recipe == .cloudflare {
            let admin = try api.seed(family: "cloudflare", name: "admin", canMint: true)
            object["admin_token"] = .string(admin.value)
            secrets.append(admin.value)
        }
        let arn = try moto.createSecret(name: "apikey-\(UUID().uuidString.prefix(8))", secretString: object.serialized)
        return (arn, key, secrets)
    }

    /// Runs `steps` with one token in one new `RotatorLambda` process, as Secrets Manager does (stopping at the
    /// first failed step). `beforeFirstEvent` runs with the process's pid before it gets its first event.
    func run(
        arn: String, token: String, steps: [RotationStep] = RotationStep.allCases,
        beforeFirstEvent: ((Int32) throws -> Void)? = nil
    ) throws -> (posts: [FakeRuntimeAPI.Post], output: String) {
        let gate = DispatchSemaphore(value: 0)
        let queue = Locked((events: steps, failed: false, opened: beforeFirstEvent == nil))
        let fake = try FakeRuntimeAPI(
            source: {
                if !queue.withLock({ $0.opened }) {
                    _ = gate.wait(timeout: .now() + 30)
                    queue.withLock { $0.opened = true }
                }
                return queue.withLock { queue -> FakeRuntimeAPI.Next? in
                    guard !queue.failed, !queue.events.isEmpty else { return nil }
                    let step = queue.events.removeFirst()
                    return .event(
                        .init(
                            json: RotationEvent(step: step, secretId: arn, clientRequestToken: token).json,
                            deadlineSeconds: 30))
                }
            }, keepsPosts: true,
            journal: { entry in
                if case .post(let post) = entry, post.kind != .response { queue.withLock { $0.failed = true } }
            })
        defer { fake.stop() }
        var environment = self.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = fake.hostAndPort
        let child = try ChildProcess(executable: BuiltProducts.executable("RotatorLambda"), environment: environment)
        if let beforeFirstEvent {
            defer { gate.signal() }
            try beforeFirstEvent(child.pid)
        }
        child.wait(timeout: 120)
        return (fake.posts, child.output)
    }

    func rotate(_ arn: String) throws -> (posts: [FakeRuntimeAPI.Post], output: String, token: String) {
        let token = try moto.startRotation(secretId: arn)
        let run = try run(arn: arn, token: token)
        return (run.posts, run.output, token)
    }

    func value(_ arn: String, _ stage: String) throws -> JSONObject? {
        try moto.secretString(secretId: arn, stage: stage).flatMap { try JSONValue(parsing: $0).objectValue }
    }

    /// The key a version holds, as the API knows it.
    func key(_ arn: String, _ stage: String) throws -> APIKeysServer.Key? {
        guard let value = try value(arn, stage)?[valueField]?.stringValue else { return nil }
        return try api.key(withValue: value)
    }

    /// Every usable key of this family whose name says a rotation minted it.
    func usableRotatorKeys() throws -> [APIKeysServer.Key] {
        try api.keys().filter { $0.family == family && $0.usable && $0.name.hasPrefix("rotator-") }
    }

    /// Every key value a secret version holds, for the leak scan.
    func values(_ arn: String) throws -> [String] {
        try ["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"].compactMap { try value(arn, $0)?[valueField]?.stringValue }
    }
}

extension [FakeRuntimeAPI.Post] {
    var allAnswered: Bool { !isEmpty && allSatisfy { $0.kind == .response } }
    var errorTexts: [String] { filter { $0.kind != .response }.map(\.bodyText) }
}
