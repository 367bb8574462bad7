/// The target for secrets that protect no external service (AWS's generic template): rotation only
/// replaces the value in Secrets Manager. Its steps log what they skip, so nobody mistakes them for checks.
///
/// It refuses any secret that names an `engine` or a `host`, however it was selected: for a database secret it
/// would move `AWSCURRENT` to a password the database never received, and lock the application out.
public struct GenericTarget: TargetService {
    /// The JSON key that holds the credential (`ROTATOR_PASSWORD_KEY`, default `password`).
    public let passwordKey: String

    public init(passwordKey: String = "password") {
        self.passwordKey = passwordKey
    }

    /// Reads `ROTATOR_PASSWORD_KEY`. - Throws: `ConfigurationError` when it is set but empty.
    public init(environment: [String: String]) throws(ConfigurationError) {
        guard let key = environment["ROTATOR_PASSWORD_KEY"] else {
            self.init()
            return
        }
        guard !key.isEmpty else {
            throw ConfigurationError(
                "ROTATOR_PASSWORD_KEY is empty; unset it (the key is then \"password\") or name the JSON key to rotate."
            )
        }
        self.init(passwordKey: key)
    }

    public var name: String { "generic" }

    public func checkCurrent(_ current: SecretValue, context: RotationContext) throws {
        guard let object = current.object else { return }
        if object["rotator_recipe"] != nil {
            throw RotationError.noTarget(
                "Secret \(context.secretId) names a recipe (\"rotator_recipe\"): its key is issued by an API, and the "
                    + "generic target would change it in Secrets Manager only. Set ROTATOR_TARGET to auto or apikey.")
        }
        let named = ["engine", "host"].filter { object[$0] != nil }
        if !named.isEmpty {
            let engine = object["engine"]?.stringValue.map { " (engine \"\($0)\")" } ?? ""
            throw RotationError.noTarget(
                "Secret \(context.secretId) names \(named.map { "\"\($0)\"" }.joined(separator: " and "))\(engine), so it "
                    + "looks like a database secret, but the generic target would change its password in Secrets Manager "
                    + "only and lock the application out of the database. Set ROTATOR_TARGET to auto (choose by engine) "
                    + "or to the database's target, and give the secret an \"engine\" if it has none.")
        }
        _ = try current.replacing(passwordKey, with: "", secretId: context.secretId)
    }

    public func makePendingSecret(current: SecretValue, newPassword: String, context: RotationContext) throws
        -> SecretValue
    {
        try current.replacing(passwordKey, with: newPassword, secretId: context.secretId)
    }

    public func setSecret(_ context: RotationContext) throws {
        context.logger.info("setSecret: generic target, no external service to update; skipped.")
    }

    public func testSecret(_ context: RotationContext) throws {
        context.logger.info("testSecret: generic target, no external service to test against; skipped.")
    }

    /// Nothing to prove: the pending value exists (the handler checks), and no service uses it yet.
    public func provePending(_ context: RotationContext) throws {}
}
