import JSON

/// A target the function can rotate for, and how to build it from the environment.
public struct TargetChoice: Sendable {
    /// The name `ROTATOR_TARGET` selects it by (`generic`, `postgres`, …).
    public var name: String
    /// Values of the secret's `engine` field that select it when `ROTATOR_TARGET` is unset or `auto`.
    public var engines: [String]
    /// Keys whose presence in a secret selects it when `ROTATOR_TARGET` is unset or `auto` (`rotator_recipe`).
    public var secretKeys: [String]
    /// Builds the target from the environment once, at start-up. - Throws: `ConfigurationError`.
    public var make: @Sendable (_ environment: [String: String]) throws -> any TargetService

    public init(
        name: String, engines: [String] = [], secretKeys: [String] = [],
        make: @escaping @Sendable (_ environment: [String: String]) throws -> any TargetService
    ) {
        self.name = name
        self.engines = engines
        self.secretKeys = secretKeys
        self.make = make
    }

    /// The built-in target for secrets that protect no external service.
    public static let generic = TargetChoice(name: "generic") { environment in
        try GenericTarget(environment: environment)
    }
}

/// Picks the target for a secret: the one `ROTATOR_TARGET` names, or (when it is `auto` or unset) the one whose
/// engine matches the secret's `engine` field, else the generic target (which refuses database-looking secrets).
package struct TargetSelector {
    private let fixed: (any TargetService)?
    private let byEngine: [(engines: [String], target: any TargetService)]
    private let byKey: [(keys: [String], target: any TargetService)]
    private let generic: any TargetService

    /// - Throws: `ConfigurationError` for an unknown `ROTATOR_TARGET`, or whatever a target's factory throws.
    init(choices: [TargetChoice], environment: [String: String]) throws {
        var all = choices
        if !all.contains(where: { $0.name == "generic" }) { all.insert(.generic, at: 0) }
        let requested = environment["ROTATOR_TARGET"].map { $0.lowercased() } ?? "auto"
        if requested == "auto" || requested.isEmpty {
            fixed = nil
            byEngine = try all.filter { !$0.engines.isEmpty }.map { ($0.engines, try $0.make(environment)) }
            byKey = try all.filter { !$0.secretKeys.isEmpty }.map { ($0.secretKeys, try $0.make(environment)) }
            generic = try all.first(where: { $0.name == "generic" }).map { try $0.make(environment) } ?? GenericTarget()
        } else {
            guard let choice = all.first(where: { $0.name == requested }) else {
                let names = (all.map(\.name) + ["auto"]).joined(separator: ", ")
                throw ConfigurationError("ROTATOR_TARGET is \"\(requested)\"; it must be one of: \(names).")
            }
            let target = try choice.make(environment)
            fixed = target
            byEngine = []
            byKey = []
            generic = target
        }
    }

    /// Every target this selector can return.
    var targets: [any TargetService] {
        fixed.map { [$0] } ?? [generic] + byEngine.map(\.target) + byKey.map(\.target)
    }

    /// - Throws: `RotationError.noTarget` for an engine no target handles.
    package func target(for current: SecretValue, secretId: String) throws(RotationError) -> any TargetService {
        if let fixed { return fixed }
        if let object = current.object, let match = byKey.first(where: { $0.keys.contains { object[$0] != nil } }) {
            return match.target
        }
        guard let engine = current.object?["engine"] else { return generic }
        guard let name = engine.stringValue, let match = byEngine.first(where: { $0.engines.contains(name) }) else {
            let known = byEngine.flatMap(\.engines).joined(separator: ", ")
            let shown =
                engine.stringValue.map { JSONValue.quoted($0.count > 40 ? String($0.prefix(40)) + "…" : $0) }
                ?? "that is a JSON \(engine.typeName)"
            throw .noTarget(
                "Secret \(secretId) has engine \(shown), which this function does not rotate"
                    + (known.isEmpty ? "." : " (it rotates: \(known)).") + " Set ROTATOR_TARGET to override.")
        }
        return match.target
    }
}
