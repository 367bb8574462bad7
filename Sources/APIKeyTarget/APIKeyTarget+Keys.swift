import JSON
import Rotation

/// Minting, sweeping and retiring keys: the parts of a rotation that change what the API holds.
extension APIKeyTarget {
    /// createSecret: retire what the policy says is due, mint the new key, then revoke every key this function named
    /// for one of this secret's rotations that no labelled version holds (minted by an attempt that crashed, lost the
    /// API's answer, or was cleared by `rotator repair`, and never stored).
    package func issuePendingSecret(current: SecretValue, context: RotationContext) throws -> SecretValue? {
        let recipe = try recipe(for: current, secretId: context.secretId)
        let caller = try caller(recipe, context)
        let bindings = try bindings(recipe, context, current: current)
        let currentID = Self.id(current, recipe.idField)
        if recipe.retire != .expiry, let field = recipe.previousIDField, let due = Self.id(current, field),
            due != currentID
        {
            // nextRotation: kept through one rotation period, its time is up. immediately: finishSecret revoked it
            // already, unless it crashed or the API was down then; a key that is gone answers "already done".
            try revoke(due, why: "replaced by the last rotation", caller: caller, bindings: bindings)
        }
        // Under `expiry` the key AWSPREVIOUS holds stays until the API retires it.
        var keeping = currentID.map { [$0] } ?? []
        if recipe.retire == .expiry, let previous = try context.previous(), let id = Self.id(previous, recipe.idField) {
            keeping.append(id)
        }
        let created: JSONValue
        do {
            created = try caller.send(recipe.create, step: "create", bindings: bindings).body
        } catch {
            // An attempt may have minted before failing (an answer lost, then a refusal): look now, as far as the
            // API lets us.
            _ = try? sweep(keeping: keeping, caller: caller, bindings: bindings, context: context)
            throw error
        }
        guard let value = recipe.createdValue.resolve(in: created)?.stringValue, !value.isEmpty,
            let id = recipe.createdID.resolve(in: created), let idText = Self.idText(id)
        else {
            // The API minted a key this step cannot read: revoke it now, rather than leave it live.
            _ = try? sweep(keeping: keeping, caller: caller, bindings: bindings, context: context)
            throw RotationError.target(
                TargetErrorCode("APIError"),
                message: "Recipe \"\(recipe.name)\" create answered without a key at \(recipe.createdValue) or its id "
                    + "at \(recipe.createdID); the key it may have minted was revoked.")
        }
        try sweep(keeping: [idText] + keeping, caller: caller, bindings: bindings, context: context)
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
    package func didFinishSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        let recipe = try recipe(for: pending, secretId: context.secretId)
        guard recipe.retire == .immediately, let field = recipe.previousIDField,
            let replaced = Self.id(pending, field), replaced != Self.id(pending, recipe.idField)
        else { return }
        // The new key is AWSCURRENT now: it is the one that authenticates the revoke.
        let bindings = try bindings(recipe, context, current: pending)
        try revoke(replaced, why: "replaced by this rotation", caller: try caller(recipe, context), bindings: bindings)
    }

    /// After `rotator repair` cleared AWSPENDING: revokes the key that attempt minted, and any other key named for a
    /// rotation of this secret that neither AWSCURRENT nor AWSPREVIOUS holds.
    package func didClearPending(_ context: RotationContext) throws -> [String] {
        let current = try context.current()
        let recipe = try recipe(for: current, secretId: context.secretId)
        var keeping = Self.id(current, recipe.idField).map { [$0] } ?? []
        if let previous = try context.previous(), let id = Self.id(previous, recipe.idField) { keeping.append(id) }
        let revoked = try sweep(
            keeping: keeping, caller: try caller(recipe, context),
            bindings: try bindings(recipe, context, current: current),
            context: context)
        return revoked.map { "Revoked key \($0), minted by the cleared attempt or another and held by no label." }
    }

    /// Revokes every key named for one of this secret's rotations (this one, and every version Secrets Manager still
    /// lists) except `keeping`.
    /// - Returns: the ids revoked.
    @discardableResult
    func sweep(keeping: [String], caller: RecipeCaller, bindings: Bindings, context: RotationContext) throws
        -> [String]
    {
        let recipe = caller.recipe
        var names: Set<String> = [bindings.keyName]
        do {
            for token in try context.versionIds() where token != bindings.token {
                names.insert(
                    try Bindings(current: bindings.current, token: token, keyName: "").fill(
                        recipe.keyName, secretId: context.secretId))
            }
        } catch {
            let type = Self.report(error).errorType
            context.logger.warning(
                "Recipe \(recipe.name): could not list the versions of secret \(context.secretId) (\(type); allow secretsmanager:ListSecretVersionIds), so only keys named for this rotation are looked for."
            )
        }
        var revoked: [String] = []
        for item in try listAll(caller: caller, bindings: bindings)
        where recipe.listName.resolve(in: item)?.stringValue.map(names.contains) == true {
            guard let id = recipe.listID.resolve(in: item).flatMap(Self.idText) else {
                throw RotationError.target(
                    TargetErrorCode("APIError"),
                    message: "Recipe \"\(recipe.name)\" list has a key named for a rotation of this secret without an "
                        + "id at \(recipe.listID): it cannot be revoked.")
            }
            guard !keeping.contains(id) else { continue }
            try revoke(
                id, why: "minted by an attempt of a rotation of this secret and never stored, or no longer held",
                caller: caller, bindings: bindings)
            revoked.append(id)
        }
        return revoked
    }

    /// Every item of the recipe's list, page after page as its `paging` says.
    /// - Throws: `Target.APIError` for an answer without a list, one that says it was cut short when the recipe
    ///   declares no paging, or a list longer than `ListPaging.maximumPages` pages.
    func listAll(caller: RecipeCaller, bindings: Bindings) throws -> [JSONValue] {
        let recipe = caller.recipe
        var items: [JSONValue] = []
        var page: ListPage?
        for number in 1...ListPaging.maximumPages {
            let body = try caller.send(recipe.list, step: "list", bindings: bindings, page: page).body
            guard let pageItems = recipe.listItems.resolve(in: body)?.arrayValue else {
                throw RotationError.target(
                    TargetErrorCode("APIError"),
                    message: "Recipe \"\(recipe.name)\" list answered without a list at \(recipe.listItems).")
            }
            items += pageItems
            guard let paging = recipe.listPaging else {
                if let truncated = recipe.listTruncated, truncated.resolve(in: body) == .bool(true) {
                    throw RotationError.target(
                        TargetErrorCode("APIError"),
                        message: "Recipe \"\(recipe.name)\" list says at \(truncated) that it holds only part of the "
                            + "keys, and the recipe declares no paging (list.paging): keys it did not see could not be "
                            + "checked. Declare how the API pages, or raise the page size.")
                }
                return items
            }
            guard
                let next = Self.nextPage(
                    after: page, number: number, paging: paging, list: recipe.list, body: body,
                    count: pageItems.count)
            else { return items }
            page = next
        }
        throw RotationError.target(
            TargetErrorCode("APIError"),
            message: "Recipe \"\(recipe.name)\" list went on past \(ListPaging.maximumPages) pages; stopped.")
    }

    /// The page after `page` (the `number`-th read), or `nil` when that was the last.
    static func nextPage(
        after page: ListPage?, number: Int, paging: ListPaging, list: RecipeRequest, body: JSONValue, count: Int
    ) -> ListPage? {
        switch paging {
        case .pageNumbers(let parameter, let totalPages):
            let current: Int
            if case .number(_, let value)? = page {
                current = value
            } else {
                let written = list.query.first { $0.name == parameter }?.value.parts
                if case .literal(let text)? = written?.first, written?.count == 1, let start = Int(text) {
                    current = start
                } else {
                    current = 1
                }
            }
            if let totalPages {
                guard let total = totalPages.resolve(in: body)?.intValue, current < total else { return nil }
            } else if count == 0 {
                return nil
            }
            return .number(parameter: parameter, current + 1)
        case .cursor(let parameter, let next):
            guard let cursor = next.resolve(in: body)?.stringValue, !cursor.isEmpty else { return nil }
            if case .cursor(_, let previous)? = page, previous == cursor { return nil }
            return .cursor(parameter: parameter, cursor)
        case .nextURL(let next):
            guard let url = next.resolve(in: body)?.stringValue, !url.isEmpty else { return nil }
            if case .url(let previous)? = page, previous == url { return nil }
            return .url(url)
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
