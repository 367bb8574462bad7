import Foundation
import HTTPClient
import JSON
import SigV4

/// Secrets Manager calls as an administrator of the local moto (creating secrets, starting rotations, reading
/// every version), made in-process: signed with the admin user's keys, as moto checks every signature. The code
/// under test never uses this; it is how tests set up and inspect the state the rotator works on.
package final class MotoAdmin: @unchecked Sendable {
    private let endpoint: String
    private let host: String
    private let signer: SigV4Signer
    private let credentials: Credentials
    private let lock = NSLock()
    private let http: HTTPClient

    /// - Parameter endpoint: `http(s)://host:port` of a moto this process may not have started.
    package init(endpoint: String, accessKeyId: String, secretAccessKey: String, caFile: String? = nil) throws {
        self.endpoint = endpoint
        self.host = String(endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "")
        signer = SigV4Signer(
            credentials: Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey), region: "us-east-1",
            service: "secretsmanager")
        credentials = Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey)
        http = try HTTPClient(
            configuration: HTTPClientConfiguration(connectTimeoutMilliseconds: 5_000, caBundlePath: caFile))
    }

    /// A failed admin call: the service's code and message.
    package struct CallError: Error, CustomStringConvertible {
        package var code: String
        package var message: String
        package var description: String { "\(code): \(message)" }
    }

    /// Sends one JSON 1.1 operation and returns the response document.
    /// - Throws: `CallError` with the service's error code for a non-2xx answer.
    @discardableResult
    package func call(_ operation: String, _ body: JSONObject) throws -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let payload = Array(body.serialized.utf8)
        let headers: [(name: String, value: String)] = [
            ("Host", host), ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.\(operation)"),
        ]
        let date = SigningDate(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let signature = signer.sign(SignableRequest(method: "POST", headers: headers, body: payload), at: date)
        var sent = HTTPHeaders()
        for header in headers + signature.headersToAdd { sent.add(name: header.name, value: header.value) }
        let response = try http.send(
            HTTPRequest(method: .post, url: endpoint + "/", headers: sent, body: payload, timeoutMilliseconds: 30_000))
        let document = response.body.isEmpty ? JSONValue.object(JSONObject()) : try JSONValue(parsing: response.body)
        guard (200..<300).contains(response.status) else {
            let code =
                document["__type"]?.stringValue.map { String($0.split(separator: "#").last ?? "") }
                ?? "HTTP\(response.status)"
            throw CallError(
                code: code, message: document["message"]?.stringValue ?? document["Message"]?.stringValue ?? "")
        }
        return document
    }

    /// Creates a Lambda function (REST `CreateFunction`) that is never invoked: an empty zip, the tests' role.
    /// Returns its ARN. Name it uniquely: moto invokes an existing rotation function when a rotation starts.
    @discardableResult
    package func createFunction(
        name: String, runtime: String = "provided.al2023", timeout: Int = 180, environment: [String: String] = [:]
    ) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        // The smallest valid zip: an end-of-central-directory record and nothing else.
        let emptyZip = Data([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)).base64EncodedString()
        let body = JSONObject([
            "FunctionName": .string(name), "Runtime": .string(runtime), "Handler": .string("bootstrap"),
            "Role": .string("arn:aws:iam::123456789012:role/rotator-lambda"), "Timeout": .integer(timeout),
            "Code": .object(JSONObject(["ZipFile": .string(emptyZip)])),
            "Architectures": .array([.string("arm64")]),
            "Environment": .object(
                JSONObject([
                    "Variables": .object(JSONObject(environment.map { .init(key: $0.key, value: .string($0.value)) }))
                ])),
        ])
        let response = try lambda(.post, "/2015-03-31/functions", body: Array(body.serialized.utf8))
        let document = try? JSONValue(parsing: response.body)
        guard (200..<300).contains(response.status), let arn = document?["FunctionArn"]?.stringValue else {
            throw CallError(code: "HTTP\(response.status)", message: "Lambda CreateFunction \(name)")
        }
        return arn
    }

    /// Deletes a Lambda function (REST `DeleteFunction`).
    package func deleteFunction(name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        let response = try lambda(.delete, "/2015-03-31/functions/\(name)", body: [])
        guard (200..<300).contains(response.status) else {
            throw CallError(code: "HTTP\(response.status)", message: "Lambda DeleteFunction \(name)")
        }
    }

    /// A Lambda REST call signed with the admin's credentials.
    private func lambda(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]) throws -> HTTPResponse {
        let headers: [(name: String, value: String)] = [("Host", host), ("Content-Type", "application/json")]
        let date = SigningDate(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let signature = SigV4Signer(credentials: credentials, region: "us-east-1", service: "lambda").sign(
            SignableRequest(method: method.rawValue, path: path, headers: headers, body: body), at: date)
        var sent = HTTPHeaders()
        for header in headers + signature.headersToAdd { sent.add(name: header.name, value: header.value) }
        return try http.send(
            HTTPRequest(method: method, url: endpoint + path, headers: sent, body: body, timeoutMilliseconds: 30_000))
    }

    /// One RDS Query API action (`CreateDBInstance`, …) as the administrator; returns the XML answer.
    /// - Throws: `CallError` with the `<Code>` of an error answer.
    @discardableResult
    package func rds(_ action: String, _ parameters: [(String, String)]) throws -> String {
        try query("rds", version: "2014-10-31", action, parameters)
    }

    /// One IAM Query API action (`CreateUser`, `PutUserPolicy`, `CreateAccessKey`…) as the administrator.
    @discardableResult
    package func iam(_ action: String, _ parameters: [(String, String)]) throws -> String {
        try query("iam", version: "2010-05-08", action, parameters)
    }

    /// An IAM user allowed exactly `actions` on every resource; returns its access key (watch the secret key).
    package func user(
        allowedTo actions: [String], name: String = "limited-\(UUID().uuidString.prefix(8).lowercased())"
    ) throws -> (accessKeyId: String, secretAccessKey: String) {
        try iam("CreateUser", [("UserName", name)])
        let policy = JSONObject([
            "Version": .string("2012-10-17"),
            "Statement": .array([
                .object(
                    JSONObject([
                        "Effect": .string("Allow"), "Action": .array(actions.map(JSONValue.string)),
                        "Resource": .string("*"),
                    ]))
            ]),
        ])
        try iam("PutUserPolicy", [("UserName", name), ("PolicyName", "only"), ("PolicyDocument", policy.serialized)])
        let answer = try iam("CreateAccessKey", [("UserName", name)])
        func element(_ name: String) -> String? {
            answer.components(separatedBy: "<\(name)>").dropFirst().first?.components(separatedBy: "</\(name)>").first
        }
        guard let id = element("AccessKeyId"), let secret = element("SecretAccessKey") else {
            throw CallError(code: "NoAccessKey", message: "IAM CreateAccessKey")
        }
        return (id, secret)
    }

    /// A form-encoded Query API call (RDS, IAM) signed for `service`.
    private func query(_ service: String, version: String, _ action: String, _ parameters: [(String, String)]) throws
        -> String
    {
        lock.lock()
        defer { lock.unlock() }
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        let payload = Array(form.utf8)
        let headers: [(name: String, value: String)] = [
            ("Host", host), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        let date = SigningDate(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
        let signature = signer.sign(SignableRequest(method: "POST", headers: headers, body: payload), at: date)
        var sent = HTTPHeaders()
        for header in headers + signature.headersToAdd { sent.add(name: header.name, value: header.value) }
        let response = try http.send(
            HTTPRequest(method: .post, url: endpoint + "/", headers: sent, body: payload, timeoutMilliseconds: 30_000))
        let text = String(decoding: response.body, as: UTF8.self)
        guard (200..<300).contains(response.status) else {
            let code = text.components(separatedBy: "<Code>").dropFirst().first?.components(separatedBy: "</Code>")
                .first
            throw CallError(code: code ?? "HTTP\(response.status)", message: "\(service) \(action)")
        }
        return text
    }

    /// Creates a secret with `tags`; returns its ARN.
    package func createSecret(name: String, secretString: String, tags: [(key: String, value: String)] = []) throws
        -> String
    {
        var body = JSONObject(["Name": .string(name), "SecretString": .string(secretString)])
        if !tags.isEmpty {
            body["Tags"] = .array(
                tags.map { .object(JSONObject(["Key": .string($0.key), "Value": .string($0.value)])) })
        }
        let document = try call("CreateSecret", body)
        guard let arn = document["ARN"]?.stringValue else { throw CallError(code: "NoARN", message: "CreateSecret") }
        return arn
    }

    /// RotateSecret with a Lambda that does not exist: moto stages an AWSPENDING version with no value under
    /// `token` and enables rotation before failing to find the function, which is the state Secrets Manager is in
    /// when it invokes createSecret. Returns the token.
    @discardableResult
    package func startRotation(secretId: String, token: String = UUID().uuidString.lowercased()) throws -> String {
        // moto leaves AWSPENDING on the version a finished rotation made current and then refuses the next rotation
        // as "still in progress"; AWS takes the label off. Do what AWS does first.
        for (version, labels) in try stages(secretId: secretId)
        where labels.contains("AWSPENDING") && labels.contains("AWSCURRENT") {
            try call(
                "UpdateSecretVersionStage",
                JSONObject([
                    "SecretId": .string(secretId), "VersionStage": .string("AWSPENDING"),
                    "RemoveFromVersionId": .string(version),
                ]))
        }
        do {
            try call(
                "RotateSecret",
                JSONObject([
                    "SecretId": .string(secretId), "ClientRequestToken": .string(token),
                    "RotationLambdaARN": .string("arn:aws:lambda:us-east-1:123456789012:function:rotator-not-deployed"),
                    "RotationRules": .object(JSONObject(["AutomaticallyAfterDays": .integer(30)])),
                ]))
        } catch let error as CallError where error.code == "ResourceNotFoundException" {
            // Expected: the function does not exist. The staged state is checked below.
        }
        guard try stages(secretId: secretId)[token] == ["AWSPENDING"] else {
            throw CallError(code: "RotationNotStarted", message: "moto did not stage AWSPENDING on \(token)")
        }
        return token
    }

    /// Version id → staging labels, from DescribeSecret.
    package func stages(secretId: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for member in try describe(secretId: secretId)["VersionIdsToStages"]?.objectValue?.members ?? [] {
            result[member.key] = member.value.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return result
    }

    package func describe(secretId: String) throws -> JSONValue {
        try call("DescribeSecret", JSONObject(["SecretId": .string(secretId)]))
    }

    /// The SecretString of the version labelled `stage` (or of `versionId`); `nil` when it has no value.
    package func secretString(secretId: String, stage: String? = nil, versionId: String? = nil) throws -> String? {
        var body = JSONObject(["SecretId": .string(secretId)])
        if let versionId { body["VersionId"] = .string(versionId) }
        if let stage {
            body["VersionStage"] = .string(stage)
        } else if versionId == nil {
            body["VersionStage"] = .string("AWSCURRENT")
        }
        do {
            return try call("GetSecretValue", body)["SecretString"]?.stringValue
        } catch let error as CallError where error.code == "ResourceNotFoundException" {
            return nil
        }
    }

    package func putSecretValue(secretId: String, token: String, secretString: String, stages: [String]) throws {
        try call(
            "PutSecretValue",
            JSONObject([
                "SecretId": .string(secretId), "ClientRequestToken": .string(token),
                "SecretString": .string(secretString),
                "VersionStages": .array(stages.map(JSONValue.string)),
            ]))
    }

    package func updateStage(secretId: String, stage: String, moveTo: String?, removeFrom: String?) throws {
        var body = JSONObject(["SecretId": .string(secretId), "VersionStage": .string(stage)])
        if let moveTo { body["MoveToVersionId"] = .string(moveTo) }
        if let removeFrom { body["RemoveFromVersionId"] = .string(removeFrom) }
        try call("UpdateSecretVersionStage", body)
    }

    /// CancelRotateSecret: RotationEnabled becomes false.
    package func cancelRotation(secretId: String) throws {
        try call("CancelRotateSecret", JSONObject(["SecretId": .string(secretId)]))
    }
}
