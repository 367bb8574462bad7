// swift-tools-version:6.0
import PackageDescription

// An example of using the rotator as a library: your own TargetService, and a few lines of `main` that run the
// Lambda with it. Build it with `swift build` in this folder (CI does).
let package = Package(
    name: "CustomTarget",
    dependencies: [
        .package(name: "rotator", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "CustomTargetLambda",
            dependencies: [.product(name: "Rotation", package: "rotator")])
    ],
    swiftLanguageModes: [.v6]
)
