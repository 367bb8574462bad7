// swift-tools-version:6.0
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "rotator",
    products: [
        .executable(name: "rotator", targets: ["rotator"]),
        .executable(name: "RotatorLambda", targets: ["RotatorLambda"]),
        // Library products so another package can write its own TargetService (or database driver) and run the
        // Lambda with it. Rotation and LambdaRuntime re-export Timekeeping (Deadline), which their APIs hand out.
        .library(name: "Rotation", targets: ["Rotation"]),
        .library(name: "DatabaseRotation", targets: ["DatabaseRotation"]),
        .library(name: "LambdaRuntime", targets: ["LambdaRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries. curl_easy_setopt is variadic, so CCurl's shim.h holds typed wrappers.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .yum(["libcurl-devel"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .yum(["openssl-devel"])]),
        // OpenSSL's TLS client, for the Redis driver (the other drivers' libraries bring their own TLS).
        .systemLibrary(
            name: "CSSL", pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"]), .yum(["openssl-devel"])]),
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .yum(["libpq-devel"])]),
        .systemLibrary(
            name: "CMariaDB", pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"]), .yum(["mariadb-connector-c-devel"])]),

        // Pure Swift building blocks. Timekeeping (deadlines, clocks, sleeping) is the leaf everything shares.
        .target(name: "Timekeeping"),
        // Secrets cut out of text by bytes (error messages that may echo a credential).
        .target(name: "Redaction"),
        .target(name: "JSON"),
        // The XML that AWS's Query APIs (STS, RDS) answer with.
        .target(name: "XML"),
        // The signer: pure, but for the one percent-encoder, which HTTPClient holds.
        .target(name: "SigV4", dependencies: ["CCrypto", "HTTPClient"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),

        // The Lambda side: Runtime API loop, context, log format.
        .target(name: "LambdaRuntime", dependencies: ["HTTPClient", "JSON", "Timekeeping", logging]),

        // The AWS side: the only way the function touches a secret.
        .target(
            name: "SecretsManager",
            dependencies: ["SigV4", "HTTPClient", "JSON", "XML", "Timekeeping", "Redaction", logging]),

        // RDS's Query API, for the two reads a rotation makes (an RDS-managed master's database, read replicas).
        .target(
            name: "RDS",
            dependencies: ["SecretsManager", "SigV4", "HTTPClient", "XML", "Timekeeping", logging]),

        // Rotation logic, the TargetService protocol and the generic target.
        .target(name: "Rotation", dependencies: ["SecretsManager", "LambdaRuntime", "JSON", "Timekeeping", logging]),
        // The strategies every database shares (single user, alternating users) over a small driver protocol.
        .target(name: "DatabaseRotation", dependencies: ["Rotation", "RDS", "HTTPClient", "JSON", logging]),
        // Drivers: only what is specific to one engine, and its client library.
        .target(
            name: "PostgresTarget", dependencies: ["DatabaseRotation", "Rotation", "CLibPQ", "Redaction", logging]),
        .target(
            name: "MariaDBTarget",
            dependencies: ["DatabaseRotation", "Rotation", "CMariaDB", "CCrypto", "Redaction", logging]),
        // Redis and Valkey ACL users, over this module's own RESP client and OpenSSL.
        .target(name: "RedisTarget", dependencies: ["DatabaseRotation", "Rotation", "CSSL", "SigV4", logging]),
        // Keys issued by an HTTPS API, rotated as a recipe in the function's configuration describes.
        .target(
            name: "APIKeyTarget", dependencies: ["Rotation", "HTTPClient", "JSON", "Redaction", "Timekeeping"]),
        // The operator commands (doctor, repair, status, local rotation): only `rotator` links them.
        .target(
            name: "RotationOperations",
            dependencies: [
                "Rotation", "SecretsManager", "LambdaRuntime", "JSON", "HTTPClient", "SigV4", "Timekeeping", logging,
            ]),
        // The targets both executables ship with, listed once.
        .target(
            name: "BuiltInTargets",
            dependencies: ["Rotation", "PostgresTarget", "MariaDBTarget", "RedisTarget", "APIKeyTarget"]),

        .executableTarget(
            name: "rotator",
            dependencies: [
                "BuiltInTargets", "Rotation", "RotationOperations", "SecretsManager", "LambdaRuntime", "JSON",
                argumentParser, logging,
            ]),

        // The Lambda zip's binary: Lambda mode only, no command line.
        .executableTarget(name: "RotatorLambda", dependencies: ["BuiltInTargets", "Rotation"]),

        // A minimal echo function on the same runtime: the baseline for `make bench`.
        .executableTarget(name: "LambdaEcho", dependencies: ["LambdaRuntime"]),

        // Test infrastructure shared by the tests and the benchmarks: the fake Runtime API server,
        // moto and PostgreSQL launchers, process helpers. Never linked into the Lambda binary.
        .target(
            name: "TestSupport",
            dependencies: ["JSON", "Timekeeping", "HTTPClient", "SigV4", "SecretsManager", logging]),
        // An in-memory database and its driver: the shared database strategies tested without a server.
        .target(
            name: "DatabaseTestKit",
            dependencies: ["DatabaseRotation", "RDS", "Rotation", "TestSupport", "TestTags", "Timekeeping", logging]),
        // Swift Testing tags the test targets share (`.server`).
        .target(name: "TestTags", dependencies: ["Rotation", "TestSupport"]),
        // The same fake Runtime API as a program, for the package test's shell script.
        .executableTarget(name: "FakeRuntimeAPIServer", dependencies: ["TestSupport", "JSON"]),
        // The package test's Secrets Manager fixture: stages a rotation in moto, then checks its outcome with the
        // drivers and the leak scanner.
        .executableTarget(
            name: "PackageTestFixture",
            dependencies: [
                "TestSupport", "JSON", "DatabaseRotation", "PostgresTarget", "MariaDBTarget", "RedisTarget",
                argumentParser,
                logging,
            ]),
        .executableTarget(
            name: "RotatorBench",
            dependencies: [
                "TestSupport", "SigV4", "SecretsManager", "JSON", "DatabaseRotation", "PostgresTarget", "MariaDBTarget",
                "RedisTarget", "Rotation", "Timekeeping", logging,
            ],
            // The C runtime loop the benchmarks compare with, built by `make bench` with the zip's static libcurl.
            exclude: ["CLoop"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "TimekeepingTests", dependencies: ["Timekeeping"]),
        .testTarget(
            name: "DatabaseRotationTests",
            dependencies: [
                "DatabaseRotation", "DatabaseTestKit", "RDS", "Rotation", "SecretsManager", "TestSupport", "TestTags",
                "JSON",
            ]),
        .testTarget(
            name: "RDSTests",
            dependencies: [
                "RDS", "DatabaseTestKit", "SecretsManager", "HTTPClient", "TestSupport", "TestTags", "Timekeeping",
                "XML",
                logging,
            ]),
        .testTarget(name: "RedactionTests", dependencies: ["Redaction"]),
        .testTarget(
            name: "APIKeyTargetTests",
            dependencies: [
                "APIKeyTarget", "Rotation", "HTTPClient", "Timekeeping", "JSON", "TestSupport", "TestTags",
            ]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "JSON"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "TestSupport", logging]),
        .testTarget(
            name: "SecretsManagerTests",
            dependencies: [
                "SecretsManager", "TestTags", "SigV4", "TestSupport", "JSON", "HTTPClient", "Timekeeping", logging,
            ]),
        .testTarget(
            name: "RotationTests",
            dependencies: [
                "TestTags", "Rotation", "RotationOperations", "SecretsManager", "LambdaRuntime", "TestSupport", "JSON",
                logging,
            ]),
        .testTarget(
            name: "PostgresTargetTests",
            dependencies: [
                "PostgresTarget", "DatabaseRotation", "DatabaseTestKit", "Rotation", "RotationOperations",
                "TestSupport",
                "TestTags", "JSON", logging,
            ]),
        .testTarget(
            name: "MariaDBTargetTests",
            dependencies: [
                "MariaDBTarget", "DatabaseRotation", "DatabaseTestKit", "Rotation", "TestSupport", "TestTags", "JSON",
            ]),
        .testTarget(
            name: "RedisTargetTests",
            dependencies: [
                "RedisTarget", "DatabaseRotation", "DatabaseTestKit", "Rotation", "TestSupport", "TestTags", "JSON",
            ]),
        .testTarget(
            name: "FaultInjectionTests",
            dependencies: [
                "PostgresTarget", "MariaDBTarget", "DatabaseRotation", "Rotation", "TestSupport", "TestTags", "JSON",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
