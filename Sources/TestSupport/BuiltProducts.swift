import Foundation

/// Where SwiftPM put the executables of this package, for tests that run the real binaries.
package enum BuiltProducts {
    /// The folder of the running test bundle, which holds the package's executables of the same build.
    package static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["ROTATOR_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        // On Linux the test binary is `<config>/rotatorPackageTests.xctest`.
        while folder.path != "/"
            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("LambdaEcho").path)
        {
            folder.deleteLastPathComponent()
        }
        return folder.path == "/" ? bundle.deletingLastPathComponent() : folder
    }

    package static func executable(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// The package's root folder (holds Package.swift), from this source file's location.
    package static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
