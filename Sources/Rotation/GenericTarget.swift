/// The target for secrets that protect no external service (AWS's generic template): rotation only
/// replaces the value in Secrets Manager. Its steps log what they skip, so nobody mistakes them for checks.
public struct GenericTarget: TargetService {
    public init() {}

    public var name: String { "generic" }

    public func setSecret(_ context: RotationContext) throws {
        context.logger.info("setSecret: generic target, no external service to update; skipped.")
    }

    public func testSecret(_ context: RotationContext) throws {
        context.logger.info("testSecret: generic target, no external service to test against; skipped.")
    }
}
