import Foundation

// `make bench`: figures for the budgets in the issues, printed, never asserted by timed tests.
// Arguments: the folder holding the release binaries (rotator, LambdaEcho).
let binaries = CommandLine.arguments.dropFirst().first ?? ".build-release/release"

func section(_ title: String) { print("\n== \(title)") }

do {
    section("Lambda runtime (LambdaEcho, release build)")
    let echo = binaries + "/LambdaEcho"
    print(try RuntimeBenchmarks.coldStart(binary: echo, environment: [:]))
    let warm = try RuntimeBenchmarks.warmRoundTrip(binary: echo, environment: [:], event: #"{"Step":"createSecret"}"#)
    print(warm.roundTrip)
    print(warm.memory)
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
