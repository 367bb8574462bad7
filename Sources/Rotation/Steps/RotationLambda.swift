import LambdaRuntime
import Logging
import SecretsManager

/// The rotation function as a Lambda: build everything from the environment, then serve events.
///
/// A package with its own target needs only:
/// ```swift
/// import Rotation
/// exit(RotationLambda.run(targets: [TargetChoice(name: "my-api") { env in try MyAPITarget(environment: env) }]))
/// ```
public enum RotationLambda {
    /// Runs the Runtime API loop with a `RotationHandler` for `targets` (the generic target is always there);
    /// returns the process exit status. Configuration errors are reported through `/runtime/init/error`.
    public static func run(environment: [String: String] = ProcessEnvironment.read(), targets: [TargetChoice] = [])
        -> Int32
    {
        LambdaRuntime.run(environment: environment) { initContext in
            let signals = try StepSignals(
                environment: initContext.environment, configuration: initContext.configuration)
            return try makeHandler(
                environment: initContext.environment, targets: targets, logger: initContext.logger, signals: signals)
        }
    }

    /// Builds a handler: the Secrets Manager client, the target selector and the password source.
    /// - Throws: `ConfigurationError` (or the client's configuration error) when the environment is unusable.
    /// - Parameter signals: the steps' outcome lines and metrics (Lambda only).
    public static func makeHandler(
        environment: [String: String], targets: [TargetChoice], logger: Logger, signals: StepSignals? = nil
    ) throws -> RotationHandler {
        let configuration: SecretsManagerConfiguration
        do {
            configuration = try SecretsManagerConfiguration(environment: environment)
        } catch {
            throw ConfigurationError(error.message)
        }
        let client = try SecretsManagerClient(configuration: configuration, logger: logger)
        return try makeHandler(environment: environment, targets: targets, client: client, signals: signals)
    }

    /// Builds a handler on a Secrets Manager of the caller's (an in-memory one in tests).
    /// - Throws: `ConfigurationError` when the environment is unusable (target, password policy).
    public static func makeHandler(
        environment: [String: String], targets: [TargetChoice], client: any SecretsManagerService,
        signals: StepSignals? = nil
    ) throws -> RotationHandler {
        let selector = try TargetSelector(choices: targets, environment: environment)
        let passwords = try PasswordSource(environment: environment, client: client, targets: selector.targets)
        return RotationHandler(client: client, selector: selector, passwords: passwords, signals: signals)
    }
}
