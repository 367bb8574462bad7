import Testing

extension Tag {
    /// Needs a real server (moto, PostgreSQL): not run by `make unit-test`. Suites so tagged end in `ServerTests`,
    /// the name `make unit-test` skips (this toolchain's `swift test` cannot filter by tag yet).
    @Tag package static var server: Self
}
