import HTTPClient
import JSON
import Rotation

/// Rotates a key issued by another service's HTTPS API, as a recipe describes it: createSecret mints the new
/// key (after revoking keys a crashed attempt minted and never stored), testSecret calls the API with it, and the
/// previous key is retired by the recipe's policy once AWSCURRENT has moved.
///
/// | Variable | Meaning | Default |
/// |---|---|---|
/// | `ROTATOR_RECIPES_FILE` | the recipes file (JSON) | `$LAMBDA_TASK_ROOT/recipes.json` when it exists |
/// | `ROTATOR_RECIPE` | the recipe for secrets that name none (`"rotator_recipe"` in the secret wins) | none |
/// | `ROTATOR_API_CA_FILE` | PEM bundle of the CAs that may sign the APIs' certificates | `AWS_CA_BUNDLE`, else the system bundle |
package final class APIKeyTarget: DiagnosableTarget {
    /// The secret key that names the recipe; a secret that has it selects this target (`ROTATOR_TARGET=auto`).
    package static let recipeKey = "rotator_recipe"

    package let book: RecipeBook
    /// Where the recipes came from, for messages.
    package let source: String?
    let defaultRecipe: String?
    let httpConfiguration: HTTPClientConfiguration
    /// One libcurl handle for the sandbox's life (kept-alive connections across steps); made on first use.
    private var client: HTTPClient?

    package init(
        book: RecipeBook, source: String? = nil, defaultRecipe: String? = nil,
        httpConfiguration: HTTPClientConfiguration = HTTPClientConfiguration()
    ) {
        self.book = book
        self.source = source
        self.defaultRecipe = defaultRecipe
        self.httpConfiguration = httpConfiguration
    }

    /// - Throws: `ConfigurationError` naming the file, the recipe and the field.
    package convenience init(environment: [String: String], files: LocalFiles = .system) throws(ConfigurationError) {
        let named = environment["ROTATOR_RECIPES_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let bundled = environment["LAMBDA_TASK_ROOT"].map { $0 + "/recipes.json" }
        let path = named ?? bundled.flatMap { files.exists($0) ? $0 : nil }
        var book = RecipeBook()
        if let path {
            guard let text = files.read(path) else {
                throw ConfigurationError("ROTATOR_RECIPES_FILE names \(path), which cannot be read (or is over 1 MiB)")
            }
            do {
                book = try RecipeBook(json: text)
            } catch {
                throw ConfigurationError("The recipes file \(path): \(error.message)")
            }
        }
        let recipe = environment["ROTATOR_RECIPE"].flatMap { $0.isEmpty ? nil : $0 }
        if let recipe, book.recipes[recipe] == nil {
            throw ConfigurationError(
                "ROTATOR_RECIPE is \"\(recipe)\", which \(path.map { "the recipes file \($0)" } ?? "no recipes file") "
                    + "does not define" + (path == nil ? " (set ROTATOR_RECIPES_FILE)" : ""))
        }
        let ca =
            environment["ROTATOR_API_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }
        if let ca, !files.exists(ca) {
            throw ConfigurationError("ROTATOR_API_CA_FILE names \(ca), which does not exist")
        }
        let bundle = ca ?? SystemCABundle.find(in: files)
        self.init(
            book: book, source: path, defaultRecipe: recipe,
            httpConfiguration: HTTPClientConfiguration(
                connectTimeoutMilliseconds: 3_000, caBundlePath: bundle, usesEnvironmentProxy: true,
                maxResponseBytes: 1 << 20, userAgent: "rotator-apikey"))
    }

    package var name: String { "apikey" }

    /// The recipe's name, for the outcome line, metrics and `rotator status`; only a name the loaded recipes define
    /// is printed (the secret's value is anyone's text until it names a recipe).
    package func strategyName(for current: SecretValue) -> String? {
        guard let name = current.string(Self.recipeKey) ?? defaultRecipe else { return nil }
        return book.recipes[name] != nil ? name : "unknown recipe"
    }

    /// The recipe `value` names (or the configured one). - Throws: `RotationError` saying which is missing.
    func recipe(for value: SecretValue, secretId: String) throws(RotationError) -> Recipe {
        guard value.object != nil else {
            throw .invalidSecret("Secret \(secretId) is not JSON; an API key secret holds the key and its id as JSON.")
        }
        let named = value.object?[Self.recipeKey]
        if let named, named.stringValue == nil {
            throw .invalidSecret("The \"\(Self.recipeKey)\" key of secret \(secretId) is not a string.")
        }
        guard let name = named?.stringValue ?? defaultRecipe else {
            throw .noTarget(
                "Secret \(secretId) names no recipe: add \"\(Self.recipeKey)\" to it, or set ROTATOR_RECIPE.")
        }
        guard let recipe = book.recipes[name] else {
            let known = book.recipes.keys.sorted().joined(separator: ", ")
            throw .noTarget(
                "Secret \(secretId) names recipe "
                    + (name.utf8.count <= 64 && name.utf8.allSatisfy(RecipeReader.isNameByte)
                        ? "\"\(name)\"" : "(not a recipe name)")
                    + ", which "
                    + (source.map {
                        "the recipes file \($0) does not define (it has: \(known.isEmpty ? "none" : known))."
                    }
                        ?? "no recipes file defines: set ROTATOR_RECIPES_FILE or ship recipes.json in the zip."))
        }
        return recipe
    }

    package func checkCurrent(_ current: SecretValue, context: RotationContext) throws {
        let recipe = try recipe(for: current, secretId: context.secretId)
        guard current.string(recipe.valueField) != nil else {
            throw RotationError.invalidSecret(
                "Secret \(context.secretId) has no string \"\(recipe.valueField)\" (the key recipe \"\(recipe.name)\" rotates)."
            )
        }
        guard Self.id(current, recipe.idField) != nil else {
            throw RotationError.invalidSecret(
                "Secret \(context.secretId) has no \"\(recipe.idField)\" (the id of its key, which recipe \"\(recipe.name)\" "
                    + "needs to retire it later). Store the id of the current key with it.")
        }
    }

    package var generatesPasswords: Bool { false }

    /// `rotator doctor`: the current key passes the recipe's test, and may list keys (what every rotation does).
    package func diagnose(current: SecretValue, previous: SecretValue?, context: RotationContext) -> [DiagnosticCheck] {
        guard let recipe = try? recipe(for: current, secretId: context.secretId) else { return [] }
        var checks: [DiagnosticCheck] = [
            .passed("recipe", "\(recipe.name): \(recipe.baseURL), retire \(recipe.retire.rawValue)")
        ]
        switch verifyCredential(current, label: "AWSCURRENT", context: context) {
        case .works: checks.append(.passed("login with AWSCURRENT", "the recipe's test accepted the current key"))
        case .fails(let reason):
            return checks + [
                .failed(
                    "login with AWSCURRENT", reason,
                    advice: "the API refuses the current key: `rotator repair` finds the one that works")
            ]
        case .unreachable(let reason):
            return checks + [
                .failed("login with AWSCURRENT", reason, advice: "the API could not be reached: check the network")
            ]
        case .cannotTell: break
        }
        do {
            let caller = try caller(recipe, context)
            _ = try caller.send(recipe.list, step: "list", bindings: try bindings(recipe, context, current: current))
            checks.append(.passed("privileges", "the recipe's list request answered (keys can be managed)"))
        } catch {
            let report = Self.report(error)
            checks.append(
                .failed(
                    "privileges", "\(report.errorType): \(report.errorMessage)",
                    advice: "the key that mints must be allowed to list, create and revoke keys"))
        }
        return checks
    }

    package func setSecret(_ context: RotationContext) throws {
        context.logger.info("setSecret: the API issued the key in createSecret; nothing to set.")
    }

    package func testSecret(_ context: RotationContext) throws {
        let pending = try context.pending()
        let recipe = try recipe(for: pending, secretId: context.secretId)
        try prove(pending, recipe: recipe, context: context)
        context.logger.info("testSecret: the API accepted the AWSPENDING key of secret \(context.secretId).")
    }

    package func verifyCredential(_ value: SecretValue, label: String, context: RotationContext) -> CredentialCheck {
        do {
            try prove(value, recipe: try recipe(for: value, secretId: context.secretId), context: context)
            return .works
        } catch let error as RotationError {
            // An API that cannot be reached, or answers with its own trouble, says nothing about the key.
            if case .target(let code, _) = error,
                [.network, .tls, .timeout, .connectionFailed].contains(code)
                    || code.rawValue == "APIUnavailable" || code.rawValue == "RateLimited"
            {
                return .unreachable("\(error.errorType): \(error.errorMessage)")
            }
            return .fails("\(error.errorType): \(error.errorMessage)")
        } catch {
            return .fails("\(type(of: error))")
        }
    }

    /// The recipe's test request with `value` as the version under test, tried `testAttempts` times.
    func prove(_ value: SecretValue, recipe: Recipe, context: RotationContext) throws {
        let caller = try caller(recipe, context)
        var bindings = try bindings(recipe, context, current: value)
        bindings.pending = value
        var attempt = 1
        while true {
            do {
                _ = try caller.send(recipe.test, step: "test", bindings: bindings)
                return
            } catch {
                // A key just minted may take a moment to work everywhere.
                let delay = 500 * Int64(attempt + 1)
                guard attempt < recipe.testAttempts, error.errorType == "Target.LoginFailed",
                    delay < context.deadline.remainingMilliseconds - RecipeCaller.deadlineMarginMilliseconds
                else { throw error }
                attempt += 1
                Pause.sleep(milliseconds: delay)
            }
        }
    }

    func caller(_ recipe: Recipe, _ context: RotationContext) throws(RotationError) -> RecipeCaller {
        if let client { return RecipeCaller(recipe: recipe, client: client, context: context) }
        do {
            let made = try HTTPClient(configuration: httpConfiguration)
            client = made
            return RecipeCaller(recipe: recipe, client: made, context: context)
        } catch {
            throw .target(.network, message: "Could not make an HTTP client: \(error.message)")
        }
    }

    func bindings(_ recipe: Recipe, _ context: RotationContext, current: SecretValue?) throws -> Bindings {
        let keyName = try Bindings(current: current, token: context.token, keyName: "").fill(
            recipe.keyName, secretId: context.secretId)
        let now = Int(Deadline.now().epochMilliseconds / 1_000)
        return Bindings(
            current: current, pending: nil, previous: recipe.readsPrevious ? try context.previous() : nil,
            token: context.token, keyName: keyName, targetID: nil,
            expiresAtSeconds: recipe.ttlSeconds.map { now + $0 }, ttlSeconds: recipe.ttlSeconds)
    }

    /// A key id as text: APIs use strings or numbers.
    static func id(_ value: SecretValue, _ field: String) -> String? {
        switch value.object?[field] {
        case .string(let text) where !text.isEmpty: text
        case .number(let literal): literal
        default: nil
        }
    }
}

extension APIKeyTarget {
    /// `ROTATOR_TARGET=apikey`, or any secret with `rotator_recipe` under `auto`.
    package static let choice = TargetChoice(name: "apikey", secretKeys: [recipeKey]) { environment in
        try APIKeyTarget(environment: environment)
    }
}

extension APIKeyTarget {
    /// A failure's type and message as Lambda would report them, for doctor's checks and log lines.
    static func report(_ error: any Error) -> (errorType: String, errorMessage: String) {
        if let error = error as? RotationError { return (error.errorType, error.errorMessage) }
        return (String(describing: type(of: error)), String(describing: error))
    }
}
