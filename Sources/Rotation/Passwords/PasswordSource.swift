import SecretsManager

/// Where new passwords come from: generated here from the kernel's CSPRNG (the default: no extra API call, no
/// extra IAM permission), or from Secrets Manager's GetRandomPassword (`PASSWORD_SOURCE=api`). Both honour the
/// same policy, and an API password that breaks it is refused.
package struct PasswordSource {
    enum Kind: String, Sendable { case local, api }

    let kind: Kind
    let client: any SecretsManagerService
    /// Each target's policy, read once at start-up: the environment's, with the target's default exclusions.
    private let policies: [String: PasswordPolicy]

    /// - Throws: `ConfigurationError` for an unknown `PASSWORD_SOURCE`, or a policy no password can meet (at
    ///   start-up, not at the first rotation).
    init(environment: [String: String], client: any SecretsManagerService, targets: [any TargetService])
        throws(ConfigurationError)
    {
        let name = (environment["PASSWORD_SOURCE"] ?? "local").lowercased()
        guard let kind = Kind(rawValue: name) else {
            throw ConfigurationError("PASSWORD_SOURCE is \"\(name)\"; it must be local (the default) or api.")
        }
        self.kind = kind
        self.client = client
        var policies: [String: PasswordPolicy] = [:]
        // A target whose credentials are issued (API keys) draws no password: no policy to check or keep.
        for target in targets where target.generatesPasswords {
            policies[target.name] = try PasswordPolicy(
                environment: environment, defaultExcludeCharacters: target.defaultExcludeCharacters)
        }
        self.policies = policies
    }

    /// The policy for `target`.
    package func policy(for target: any TargetService) throws(ConfigurationError) -> PasswordPolicy {
        guard let policy = policies[target.name] else {
            throw ConfigurationError("no password policy for target \(target.name): it was not known at start-up")
        }
        return policy
    }

    func newPassword(for target: any TargetService, deadline: Deadline) throws -> String {
        let policy = try policy(for: target)
        switch kind {
        case .local:
            return PasswordGenerator(policy: policy).generate()
        case .api:
            let password = try client.getRandomPassword(
                RandomPasswordRequest(
                    passwordLength: policy.length, excludeCharacters: policy.excludeCharacters,
                    excludeNumbers: policy.excludeNumbers, excludePunctuation: policy.excludePunctuation,
                    excludeUppercase: policy.excludeUppercase, excludeLowercase: policy.excludeLowercase,
                    includeSpace: false, requireEachIncludedType: policy.requireEachIncludedType),
                deadline: deadline)
            guard policy.accepts(password) else {
                throw RotationError.passwordPolicyViolated(
                    "GetRandomPassword returned a password that breaks the configured policy (length, excluded "
                        + "characters or required types); refusing to store it.")
            }
            return password
        }
    }
}
