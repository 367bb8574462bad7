/// A target the function can rotate for, and how to build it from the environment.
public struct TargetChoice: Sendable {
    /// The name `ROTATOR_TARGET` selects it by (`generic`, `postgres`, …).
    public var name: String
    /// Values of the secret's `engine` field that select it when `ROTATOR_TARGET` is unset or `auto`.
    public var engines: [String]
    /// Builds the target from the environment once, at start-up. - Throws: `ConfigurationError`.
    public var make: @Sendable (_ environment: [String: String]) throws -> any TargetService

    public init(
        name: String, engines: [String] = [],
        make: @escaping @Sendable (_ environment: [String: String]) throws -> any TargetService
    ) {
        self.name = name
        self.engines = engines
        self.make = make
    }

    /// The built-in target for secrets that protect no external service.
    public static let generic = TargetChoice(name: "generic") { _ in GenericTarget() }
}

/// Picks the target for a secret: the one `ROTATOR_TARGET` names, or (when it is `auto` or unset) the one whose
/// engine matches the secret's `engine` field, else the generic target.
struct TargetSelector {
    private let fixed: (any TargetService)?
    private let byEngine: [(engines: [String], target: any TargetService)]
    private let generic: any TargetService

    /// - Throws: `ConfigurationError` for an unknown `ROTATOR_TARGET`, or whatever a target's factory throws.
    init(choices: [TargetChoice], environment: [String: String]) throws {
        var all = choices
        if !all.contains(where: { $0.name == "generic" }) { all.insert(.generic, at: 0) }
        let requested = environment["ROTATOR_TARGET"].map { $0.lowercased() } ?? "auto"
        generic = GenericTarget()
        if requested == "auto" || requested.isEmpty {
            fixed = nil
            byEngine = try all.filter { !$0.engines.isEmpty }.map { ($0.engines, try $0.make(environment)) }
        } else {
            guard let choice = all.first(where: { $0.name == requested }) else {
                let names = (all.map(\.name) + ["auto"]).joined(separator: ", ")
                throw ConfigurationError("ROTATOR_TARGET is \"\(requested)\"; it must be one of: \(names).")
            }
            fixed = try choice.make(environment)
            byEngine = []
        }
    }

    /// The configured target, if `ROTATOR_TARGET` names one (so its password defaults apply at start-up).
    var configuredTarget: (any TargetService)? { fixed }

    /// - Throws: `RotationError.noTarget` for an engine no target handles, or a database-looking secret without
    ///   an engine (rotating it with the generic target would change the password in Secrets Manager only).
    func target(for current: SecretValue, secretId: String) throws(RotationError) -> any TargetService {
        if let fixed { return fixed }
        guard let object = current.object else { return generic }
        guard let engine = object["engine"]?.stringValue else {
            if object["host"] != nil {
                throw .noTarget(
                    "Secret \(secretId) has a \"host\" but no \"engine\" field, so it looks like a database secret. "
                        + "Add \"engine\" (for example \"postgres\") or set ROTATOR_TARGET; rotating it as a generic "
                        + "secret would change the password in Secrets Manager but not in the database.")
            }
            return generic
        }
        guard let match = byEngine.first(where: { $0.engines.contains(engine) }) else {
            let known = byEngine.flatMap(\.engines).joined(separator: ", ")
            throw .noTarget(
                "Secret \(secretId) has engine \"\(engine)\", which this function does not rotate"
                    + (known.isEmpty ? "." : " (it rotates: \(known)).") + " Set ROTATOR_TARGET to override.")
        }
        return match.target
    }
}
