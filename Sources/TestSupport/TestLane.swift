import Foundation

/// `make unit-test` runs the tests that need no server, quickly; it sets `ROTATOR_TEST_LANE=unit` and skips suites
/// named `…ServerTests`. A test that starts moto or PostgreSQL without being in such a suite fails there, so the
/// fast lane stays free of servers by construction.
package enum TestLane {
    /// - Throws: `ServerError` in the unit lane.
    static func allowServer(_ what: String) throws {
        guard ProcessInfo.processInfo.environment["ROTATOR_TEST_LANE"] == "unit" else { return }
        throw ServerError(
            "this test starts \(what), but it runs in the unit lane: put it in a suite named "
                + "…ServerTests, tagged .server")
    }
}
