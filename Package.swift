// swift-tools-version:6.0
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "rotator",
    products: [
        .executable(name: "rotator", targets: ["rotator"]),
        .executable(name: "RotatorLambda", targets: ["RotatorLambda"]),
        // Library products so another package can write its own TargetService and run the Lambda with it.
        .library(name: "Rotation", targets: ["Rotation"]),
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
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .yum(["libpq-devel"])]),

        // Pure Swift building blocks.
        .target(name: "JSON"),
        .target(name: "SigV4", dependencies: ["CCrypto"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),

        // The Lambda side: Runtime API loop, context, log format.
        .target(name: "LambdaRuntime", dependencies: ["HTTPClient", "JSON", logging]),

        // The AWS side: the only way the function touches a secret.
        .target(name: "SecretsManager", dependencies: ["SigV4", "HTTPClient", "JSON", logging]),

        // Rotation logic, the TargetService protocol and the generic target.
        .target(name: "Rotation", dependencies: ["SecretsManager", "LambdaRuntime", "JSON", logging]),
        .target(name: "PostgresTarget", dependencies: ["Rotation", "CLibPQ", "JSON", logging]),

        .executableTarget(
            name: "rotator",
            dependencies: ["Rotation", "PostgresTarget", "LambdaRuntime", "SecretsManager", argumentParser, logging]),

        // The Lambda zip's binary: Lambda mode only, no command line.
        .executableTarget(name: "RotatorLambda", dependencies: ["Rotation", "PostgresTarget"]),

        // A minimal echo function on the same runtime: the baseline for `make bench`.
        .executableTarget(name: "LambdaEcho", dependencies: ["LambdaRuntime"]),

        // Test infrastructure shared by the tests and the benchmarks: the fake Runtime API server,
        // moto and PostgreSQL launchers, process helpers. Never linked into the Lambda binary.
        .target(name: "TestSupport", dependencies: ["JSON"]),
        .executableTarget(
            name: "RotatorBench",
            dependencies: ["TestSupport", "SigV4", "SecretsManager", "JSON", "HTTPClient", "PostgresTarget", "Rotation", logging]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "JSON"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "TestSupport", "JSON", logging]),
        .testTarget(name: "SecretsManagerTests", dependencies: ["SecretsManager", "SigV4", "TestSupport", "JSON", "HTTPClient", logging]),
        .testTarget(name: "RotationTests", dependencies: ["Rotation", "SecretsManager", "TestSupport", "JSON"]),
        .testTarget(name: "PostgresTargetTests", dependencies: ["PostgresTarget", "Rotation", "TestSupport", "JSON"]),
    ],
    swiftLanguageModes: [.v6]
)
