import Foundation
import TestSupport

// `make bench`: figures for the budgets in the issues, printed, never asserted by timed tests.
// Argument: the folder holding the release binaries (rotator, LambdaEcho).
let binaries = CommandLine.arguments.dropFirst().first ?? ".build-release/release"

func section(_ title: String) { print("\n== \(title)") }

/// The size of `make package`'s zip, and with `BENCH_ZIP_BASELINE=<an earlier zip>` the change since it.
func zipSize(baseline: String?) -> String {
    func bytes(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }
    guard let size = bytes("dist/rotator-lambda.zip") else { return "dist/rotator-lambda.zip: not built" }
    var line = "dist/rotator-lambda.zip: \(size) bytes"
    if let baseline, let before = bytes(baseline) {
        let percent = String(format: "%+.1f", Double(size - before) * 100 / Double(before))
        line +=
            ", \(size - before >= 0 ? "+" : "")\(size - before) bytes (\(percent) %) against \(baseline) (\(before) bytes)"
    }
    return line
}

do {
    let rotatorEnvironment = [
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret",
        "SECRETS_MANAGER_ENDPOINT": "http://127.0.0.1:9",
    ]
    // The zip's binary (static minimal libcurl and libpq, `make package`) is what Lambda runs; the plain release
    // build links Debian's shared libcurl, whose dependencies (GnuTLS, Kerberos, LDAP, …) cost RSS and start-up.
    var subjects = [
        ("LambdaEcho", binaries + "/LambdaEcho", [String: String]()),
        ("rotator", binaries + "/rotator", rotatorEnvironment),
    ]
    for (name, path, environment) in [
        (
            "LambdaEcho packaged like the zip (dist/echo-lambda/bootstrap)", "dist/echo-lambda/bootstrap",
            [String: String]()
        ),
        (
            "RotatorLambda, the Lambda zip's binary (dist/rotator-lambda/bootstrap)", "dist/rotator-lambda/bootstrap",
            rotatorEnvironment
        ),
    ] {
        if FileManager.default.isExecutableFile(atPath: path) {
            subjects.append((name, path, environment))
        } else {
            print("(\(path) is missing: `make bench` packages it first)")
        }
    }
    // BENCH_BASELINE=<a bootstrap built from an earlier commit>: measured the same way, for before/after figures.
    if let baseline = ProcessInfo.processInfo.environment["BENCH_BASELINE"], !baseline.isEmpty {
        subjects.append(("baseline \(baseline) (BENCH_BASELINE)", baseline, rotatorEnvironment))
    }
    for (name, binary, environment) in subjects {
        section("Lambda runtime: \(name), release build, fake Runtime API on loopback")
        print(try RuntimeBenchmarks.coldStart(binary: binary, environment: environment))
        if environment.isEmpty {
            let warm = try RuntimeBenchmarks.warmRoundTrip(
                binary: binary, environment: environment, event: #"{"Step":"createSecret"}"#)
            print(warm.roundTrip)
            print(warm.memory)
        } else {
            // Every event is a malformed rotation event: the full handler path up to event validation,
            // with the error posted back, and no network call.
            let warm = try RuntimeBenchmarks.warmRoundTrip(
                binary: binary, environment: environment, event: #"{"Step":"bench"}"#)
            print(warm.roundTrip.replacingOccurrences(of: "warm invocation", with: "warm invocation (rejected event)"))
            print(warm.memory)
            print(
                try RuntimeBenchmarks.heapGrowth(binary: binary, environment: environment, event: #"{"Step":"bench"}"#))
        }
    }

    // BENCH_C_LOOP=<the C runtime loop `make bench` builds>: the yardstick, interleaved with the zip's binaries.
    if let cLoop = ProcessInfo.processInfo.environment["BENCH_C_LOOP"], !cLoop.isEmpty,
        FileManager.default.isExecutableFile(atPath: cLoop)
    {
        section("Against a C runtime loop on the same static libcurl and OpenSSL (Sources/RotatorBench/CLoop)")
        var compared = [
            ComparisonBenchmarks.Subject(name: "C loop", path: cLoop, environment: [:], event: #"{"Step":"bench"}"#),
            ComparisonBenchmarks.Subject(
                name: "LambdaEcho (zip build)", path: "dist/echo-lambda/bootstrap", environment: [:],
                event: #"{"Step":"bench"}"#),
            ComparisonBenchmarks.Subject(
                name: "RotatorLambda (the zip's bootstrap, event rejected)", path: "dist/rotator-lambda/bootstrap",
                environment: rotatorEnvironment, event: #"{"Step":"bench"}"#),
        ].filter { FileManager.default.isExecutableFile(atPath: $0.path) }
        if let baseline = ProcessInfo.processInfo.environment["BENCH_BASELINE"], !baseline.isEmpty {
            compared.append(
                .init(
                    name: "baseline (BENCH_BASELINE, event rejected)", path: baseline, environment: rotatorEnvironment,
                    event: #"{"Step":"bench"}"#))
        }
        for line in try ComparisonBenchmarks.compare(compared) { print(line) }
    }

    section("SigV4 and Secrets Manager")
    print(benchmarkSigning())
    print(try benchmarkDescribeSecretRoundTrip())

    section("Whole rotation through the Lambda loop")
    let moto = try MotoServer.start(iamAuth: true)
    defer { moto.stop() }
    print(try RotationBenchmarks.wholeRotation(rotator: binaries + "/rotator", moto: moto))
    if FileManager.default.isExecutableFile(atPath: "dist/rotator-lambda/bootstrap") {
        print("the zip's binary:")
        print(try RotationBenchmarks.wholeRotation(rotator: "dist/rotator-lambda/bootstrap", moto: moto))
    }

    // On Lambda every Secrets Manager call is HTTPS: the figures that matter for memory are these.
    section("Whole rotation over HTTPS (moto with a test CA's certificate), the zip's binary")
    let tlsMoto = try MotoServer.start(iamAuth: true, tls: true)
    defer { tlsMoto.stop() }
    var tlsSubjects = [("the zip's binary", "dist/rotator-lambda/bootstrap")]
    if let baseline = ProcessInfo.processInfo.environment["BENCH_BASELINE"], !baseline.isEmpty {
        tlsSubjects.append(("baseline (BENCH_BASELINE)", baseline))
    }
    for (name, path) in tlsSubjects where FileManager.default.isExecutableFile(atPath: path) {
        print("\(name):")
        print(try RotationBenchmarks.wholeRotation(rotator: path, moto: tlsMoto))
    }

    section(
        "Secrets Manager calls per whole rotation (AWS's generic template makes 9 with local passwords, 10 with GetRandomPassword)"
    )
    // The zip's binary when `make bench` packaged it; RotatorLambda from the given build folder otherwise.
    let callBinary =
        FileManager.default.isExecutableFile(atPath: binaries + "/RotatorLambda")
        ? binaries + "/RotatorLambda" : "dist/rotator-lambda/bootstrap"
    print(
        try CallCountBenchmarks.callsPerRotation(binary: callBinary, moto: moto, name: "generic") {
            #"{"username":"bench","password":"initial-bench-Pw1!"}"#
        })
    let callServer = try PostgresServer()
    defer { callServer.stop() }
    for alternating in [false, true] {
        let environment = ["ROTATOR_DB_CA_FILE": callServer.caFile, "EXCLUDE_CHARACTERS": ""]
        let name = alternating ? "postgres alternating users" : "postgres single user"
        print(
            try CallCountBenchmarks.callsPerRotation(
                binary: callBinary, moto: moto, name: name, environment: environment
            ) {
                let user = "calls_\(UUID().uuidString.prefix(8).lowercased())"
                let password = benchmarkPassword()
                // For alternating users the master is the user itself (it may create roles): the calls are what is measured.
                try createBenchmarkRole(
                    callServer, user: user, password: password, options: alternating ? "CREATEROLE" : "")
                let secret = benchmarkSecret(port: callServer.port, user: user, password: password)
                guard alternating, case .json(var object) = secret else { return secret.secretString }
                object["masterarn"] = .string(
                    try moto.createSecret(name: "calls-master-\(user)", secretString: secret.secretString))
                return object.serialized
            })
    }

    let callMariaDB = try MariaDBServer()
    defer { callMariaDB.stop() }
    print(
        try CallCountBenchmarks.callsPerRotation(
            binary: callBinary, moto: moto, name: "mariadb single user",
            environment: ["ROTATOR_DB_CA_FILE": callMariaDB.caFile, "EXCLUDE_CHARACTERS": ""]
        ) { try mariaDBCallCountSecret(callMariaDB) })

    section("Account view (rotator status without --secret-id)")
    print(try FleetBenchmarks.scan(rotator: binaries + "/rotator", moto: moto))

    section("PostgreSQL target")
    print(try benchmarkPostgresSetAndTest())

    section("MariaDB target")
    for line in try benchmarkMariaDBSetAndTest() { print(line) }

    section("Redis target")
    for line in try benchmarkRedisSetAndTest() { print(line) }

    section("The Lambda zip")
    print(zipSize(baseline: ProcessInfo.processInfo.environment["BENCH_ZIP_BASELINE"]))
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
