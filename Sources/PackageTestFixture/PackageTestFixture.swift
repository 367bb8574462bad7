import ArgumentParser
import Foundation
import JSON
import TestSupport

// The package test's Secrets Manager fixture (scripts/package-test.sh and scripts/layout-profile.sh): stages a
// rotation in moto the way Secrets Manager does before it invokes the function, and afterwards checks from outside
// that the whole rotation happened. Secret values go only to the state file (mode 600), never to the output.

@main
struct PackageTestFixture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "PackageTestFixture",
        abstract: "Stages a rotation in moto for the package test and checks its outcome.",
        subcommands: [Setup.self, Verify.self, VerifyRefused.self])
}

/// Where moto is and where the fixture keeps what it staged.
struct MotoOptions: ParsableArguments {
    @Option(help: "moto's https://127.0.0.1:PORT") var endpoint: String
    @Option(help: "the CA file that signed moto's certificate") var ca: String
    @Option(help: "the state file (mode 600): the secret's ARN, token and values") var state: String

    /// moto in the package test checks no signature; the keys are the ones the function in the chroot gets.
    func admin() throws -> MotoAdmin {
        try MotoAdmin(
            endpoint: endpoint, accessKeyId: "AKIAPACKAGETEST00001", secretAccessKey: "package-test-not-secret",
            caFile: ca)
    }
}

/// A failed check or a fixture that could not be set up: the message says which, never a secret.
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
