import Foundation
import JSON

/// What `setup` staged and `verify` checks: kept in the state file between the two, never printed.
struct StagedRotation {
    enum Kind: String {
        case generic, postgres, mariadb, redis
        case apiKey = "api-key"
    }

    var kind: Kind
    var arn: String
    var token: String
    var oldVersion: String
    /// The secret's value before the rotation.
    var value: JSONObject
    /// Every secret value the fixture knows (the replaced password or key first).
    var secrets: [String]
    /// The CA that signs the database's certificate: logins are checked with verify-full, as the function makes them.
    var databaseCA: String?

    /// The key the rotation must change, and every key it may change.
    var rotatedField: String { kind == .apiKey ? "api_key" : "password" }
    var rotatedKeys: Set<String> { kind == .apiKey ? ["api_key", "api_key_id", "previous_api_key_id"] : ["password"] }

    func write(to path: String) throws {
        var document = JSONObject([
            "kind": .string(kind.rawValue), "arn": .string(arn), "token": .string(token),
            "oldVersion": .string(oldVersion), "value": .object(value),
            "secrets": .array(secrets.map(JSONValue.string)),
        ])
        if let databaseCA { document["databaseCA"] = .string(databaseCA) }
        let data = Data(document.serialized.utf8)
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FixtureFailure("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
    }

    init(
        kind: Kind, arn: String, token: String, oldVersion: String, value: JSONObject, secrets: [String],
        databaseCA: String?
    ) {
        (self.kind, self.arn, self.token, self.oldVersion) = (kind, arn, token, oldVersion)
        (self.value, self.secrets, self.databaseCA) = (value, secrets, databaseCA)
    }

    init(readingFrom path: String) throws {
        guard let data = FileManager.default.contents(atPath: path),
            let document = try? JSONValue(parsing: [UInt8](data)),
            let kind = document["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let arn = document["arn"]?.stringValue, let token = document["token"]?.stringValue,
            let oldVersion = document["oldVersion"]?.stringValue, let value = document["value"]?.objectValue,
            let secrets = document["secrets"]?.arrayValue?.compactMap(\.stringValue)
        else { throw FixtureFailure("\(path) is not a state file written by setup") }
        self.init(
            kind: kind, arn: arn, token: token, oldVersion: oldVersion, value: value, secrets: secrets,
            databaseCA: document["databaseCA"]?.stringValue)
    }
}

/// One line of the fake Runtime API's record (FakeRuntimeAPIServer --record).
struct RuntimeCall {
    var kind: String
    var status: Int
    var errorType: String?
    var errorMessage: String?

    static func read(_ path: String) throws -> [RuntimeCall] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureFailure("cannot read \(path)") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            guard let entry = try? JSONValue(parsing: String(line)), let kind = entry["kind"]?.stringValue,
                let status = entry["status"]?.intValue
            else { throw FixtureFailure("\(path): a line is not a Runtime API record") }
            let body = entry["body"]
            return RuntimeCall(
                kind: kind, status: status, errorType: entry["errorType"]?.stringValue,
                errorMessage: body?["errorMessage"]?.stringValue ?? body?.stringValue)
        }
    }
}
