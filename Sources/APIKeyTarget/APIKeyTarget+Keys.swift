import JSON
import Rotation

/// Minting, sweeping and retiring keys: the parts of a rotation that change what the API holds.
extension APIKeyTarget {
    /// createSecret: retire what the policy says is due, mint the new key, then revoke every other key named for
    /// this rotation (minted by an attempt that crashed or lost the API's answer, and never stored).
    public func issuePendingSecret(current: SecretValue, context: RotationContext) throws -> SecretValue? {
        let recipe = try recipe(for: current, secretId: context.secretId)
        let caller = try caller(recipe, context)
        let bindings = try bindings(recipe, context, current: current)
        let currentID = Self.id(current, recipe.idField)
        if recipe.retire == .nextRotation, let field = recipe.previousIDField, let due = Self.id(current, field),
            due != currentID
        {
            // Replaced by the last rotation and kept through one rotation period: its time is up.
            try revoke(due, why: "replaced by the last rotation", caller: caller, bindings: bindings)
        }
        let created: JSONValue
        do {
            created = try caller.send(recipe.create, step: "create", bindings: bindings).body
        } catch {
            // An attempt may have minted before failing (an answer lost, then a refusal): the next rotation has
            // another token and would not find it, so look now, as far as the API lets us.
            try? sweep(keeping: currentID.map { [$0] } ?? [], caller: caller, bindings: bindings)
            throw error
        }
        guard let value = recipe.createdValue.resolve(in: created)?.stringValue, !value.isEmpty else {
            throw RotationError.target(
                TargetErrorCode("APIError"),
                message: "Recipe \"\(recipe.name)\" create answered without a key at \(recipe.createdValue).")
        }
        guard let id = recipe.createdID.resolve(in: created), let idText = Self.idText(id) else {
            throw RotationError.target(
                TargetErrorCode("APIError"),
                message: "Recipe \"\(recipe.name)\" create answered without the key's id at \(recipe.createdID).")
        }
        try sweep(keeping: [idText] + (currentID.map { [$0] } ?? []), caller: caller, bindings: bindings)
        guard case .json(var object) = current else { return nil }
        object[recipe.valueField] = .string(value)
        object[recipe.idField] = id
        if let field = recipe.previousIDField, let currentID {
            object[field] = current.object?[recipe.idField] ?? .string(currentID)
        }
        context.logger.info(
            "createSecret: recipe \(recipe.name) minted key \(idText) (\(bindings.keyName)) for secret \(context.secretId)."
        )
        return .json(object)
    }

    /// finishSecret, after AWSCURRENT moved: with `retire: immediately`, revoke the key the new one replaced.
    /// A re-drive revokes it again, which the API answers as already done.
    public func didFinishSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        let recipe = try recipe(for: pending, secretId: context.secretId)
        guard recipe.retire == .immediately, let field = recipe.previousIDField,
            let replaced = Self.id(pending, field), replaced != Self.id(pending, recipe.idField)
        else { return }
        // The new key is AWSCURRENT now: it is the one that authenticates the revoke.
        let bindings = try bindings(recipe, context, current: pending)
        try revoke(replaced, why: "replaced by this rotation", caller: try caller(recipe, context), bindings: bindings)
    }

    /// Revokes every key named for this rotation except `keeping`.
    func sweep(keeping: [String], caller: RecipeCaller, bindings: Bindings) throws {
        let recipe = caller.recipe
        let listed = try caller.send(recipe.list, step: "list", bindings: bindings).body
        guard let items = recipe.listItems.resolve(in: listed)?.arrayValue else {
            throw RotationError.target(
                TargetErrorCode("APIError"),
                message: "Recipe \"\(recipe.name)\" list answered without a list at \(recipe.listItems).")
        }
        for item in items where recipe.listName.resolve(in: item)?.stringValue == bindings.keyName {
            guard let id = recipe.listID.resolve(in: item).flatMap(Self.idText) else {
                throw RotationError.target(
                    TargetErrorCode("APIError"),
                    message: "Recipe \"\(recipe.name)\" list has a key named for this rotation without an id at "
                        + "\(recipe.listID): it cannot be revoked.")
            }
            guard !keeping.contains(id) else { continue }
            try revoke(
                id, why: "minted by an earlier attempt of this rotation and never stored", caller: caller,
                bindings: bindings)
        }
    }

    private func revoke(_ id: String, why: String, caller: RecipeCaller, bindings: Bindings) throws {
        var bindings = bindings
        bindings.targetID = id
        let answer = try caller.send(caller.recipe.revoke, step: "revoke", bindings: bindings)
        caller.context.logger.info(
            "Recipe \(caller.recipe.name): revoked key \(id) (\(why))\(answer.alreadyDone ? "; it was already gone" : "")."
        )
    }

    static func idText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty: text
        case .number(let literal): literal
        default: nil
        }
    }
}
