import Foundation
import JSON
import Logging
import SecretsManager
import SigV4
import TestSupport

/// SigV4 signatures per second for a typical PutSecretValue request (a ~200-byte JSON body with a session
/// token), signed 20,000 times: once the way the client does it (signing key cached per day), once
/// deriving the key every time.
func benchmarkSigning() -> String {
    let count = 20_000
    let credentials = Credentials(
        accessKeyId: "ASIABENCHMARK0000001", secretAccessKey: "benchmark/secret/key/not/real/0123456789",
        sessionToken: String(repeating: "T", count: 356))
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "secretsmanager")
    let body = JSONObject([
        "SecretId": .string("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/main-AbCdEf"),
        "ClientRequestToken": .string("8d4a7c2e-1f3b-4e5a-9c6d-0b1a2c3d4e5f"),
        "SecretString": .string(
            #"{"engine":"postgres","host":"db.internal","username":"app","password":"Zx9!q2#Lm4$Tp7&Rv1*Wb6^","dbname":"main","port":5432}"#
        ),
        "VersionStages": .array([.string("AWSPENDING")]),
        "RotationToken": .string("0b7e3c1a-6d2f-4a8b-9e5c-1f2a3b4c5d6e"),
    ]).serialized.utf8.map { $0 }
    let request = SignableRequest(
        method: "POST", path: "/",
        headers: [
            ("Host", "secretsmanager.us-east-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.PutSecretValue"),
        ],
        body: body)
    let date = SigningDate(secondsSinceEpoch: 1_709_251_198)

    // The checksum keeps the optimiser from discarding the work.
    var checksum = 0
    let cached = ContinuousClock().measure {
        for _ in 0..<count { checksum &+= signer.sign(request, at: date).signature.utf8.count }
    }
    let derived = ContinuousClock().measure {
        for _ in 0..<count {
            let fresh = SigV4Signer(credentials: credentials, region: "us-east-1", service: "secretsmanager")
            checksum &+= fresh.sign(request, at: date).signature.utf8.count
        }
    }
    let rate = { (duration: Duration) in Int(Double(count) / seconds(duration)) }
    return "SigV4 PutSecretValue (\(body.count)-byte body): \(rate(cached)) signatures/s with the cached signing key "
        + "(as the client signs), \(rate(derived))/s deriving the key each time; \(count) each"
        + (checksum == 0 ? " (checksum 0?)" : "")
}

/// The median DescribeSecret round trip (sign, send, moto verifies the signature and answers, decode)
/// against a local moto with IAM auth on and AssumeRole credentials, over 60 calls after 5 warm-ups.
/// moto closes the connection after every answer, so each call includes a loopback TCP connect (no TLS).
func benchmarkDescribeSecretRoundTrip() throws -> String {
    let moto = try MotoServer.start(iamAuth: true)
    defer { moto.stop() }
    let name = "bench-\(UUID().uuidString.prefix(8))"
    _ = try moto.createSecret(name: name, secretString: #"{"username":"bench","password":"not-a-real-password"}"#)
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let client = try SecretsManagerClient(
        configuration: try SecretsManagerConfiguration(environment: moto.clientEnvironment), logger: logger)
    for _ in 0..<5 { _ = try client.describeSecret(secretId: name, deadline: .after(milliseconds: 10_000)) }
    var samples: [Double] = []
    for _ in 0..<60 {
        let elapsed = try ContinuousClock().measure {
            _ = try client.describeSecret(secretId: name, deadline: .after(milliseconds: 10_000))
        }
        samples.append(seconds(elapsed) * 1_000)
    }
    samples.sort()
    let median = (samples[29] + samples[30]) / 2
    let p90 = samples[53]
    return "DescribeSecret round trip against moto (IAM auth on, \(samples.count) calls): median "
        + "\(milliseconds(median)) ms, p90 \(milliseconds(p90)) ms, min \(milliseconds(samples[0])) ms"
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

private func milliseconds(_ value: Double) -> String {
    String(format: "%.2f", value)
}
