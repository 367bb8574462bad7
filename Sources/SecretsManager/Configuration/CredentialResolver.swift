import HTTPClient
import SigV4

/// Finds static credentials: the environment first (what Lambda provides), then the shared credentials and
/// config files for local runs, in botocore's order. Sources that need a network call or a helper
/// program (role assumption, web identity, SSO, credential_process, containers, IMDS) are refused with an
/// error naming them, rather than silently using other keys.
enum CredentialResolver {
    /// Profile keys that make botocore assume a role before it would read static keys.
    private static let roleKeys = ["role_arn", "web_identity_token_file"]
    private static let ssoKeys = ["sso_session", "sso_start_url", "sso_account_id", "sso_role_name"]

    /// - Throws: a configuration error saying which source was found unusable, or where it looked. It names
    ///   variables, files and profiles, never a key value.
    static func resolve(environment: [String: String], files: LocalFiles) throws(SecretsManagerConfigurationError)
        -> Credentials
    {
        if let accessKey = environment.nonEmpty("AWS_ACCESS_KEY_ID") {
            guard let secret = environment.nonEmpty("AWS_SECRET_ACCESS_KEY") else {
                throw SecretsManagerConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            let token = environment.nonEmpty("AWS_SESSION_TOKEN") ?? environment.nonEmpty("AWS_SECURITY_TOKEN")
            return Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token)
        }

        let profile = environment.nonEmpty("AWS_PROFILE") ?? environment.nonEmpty("AWS_DEFAULT_PROFILE") ?? "default"
        let home = environment.nonEmpty("HOME")
        let credentialsPath = expand(
            environment.nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials", home: home)
        let configPath = expand(environment.nonEmpty("AWS_CONFIG_FILE") ?? "~/.aws/config", home: home)
        let fromCredentials = credentialsPath.flatMap(files.read).map(SharedConfigFile.init(text:))?
            .credentialsProfile(profile)
        let fromConfig = configPath.flatMap(files.read).map(SharedConfigFile.init(text:))?.configProfile(profile)
        let sections = [fromCredentials, fromConfig].compactMap { $0 }

        for key in roleKeys where sections.contains(where: { $0[key] != nil }) {
            throw unsupported(profile, "role assumption (\(key))")
        }
        for key in ssoKeys where sections.contains(where: { $0[key] != nil }) {
            throw unsupported(profile, "AWS IAM Identity Center / SSO (\(key))")
        }
        if let credentials = try staticKeys(fromCredentials, profile: profile, file: credentialsPath ?? "") {
            return credentials
        }
        if sections.contains(where: { $0["credential_process"] != nil }) {
            throw unsupported(profile, "credential_process")
        }
        if let credentials = try staticKeys(fromConfig, profile: profile, file: configPath ?? "") {
            return credentials
        }

        var message =
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), "
            + "or put static keys for profile \"\(profile)\" in \(credentialsPath ?? "~/.aws/credentials (HOME is not set)")"
        if sections.isEmpty && environment["AWS_PROFILE"] != nil {
            message += "; profile \"\(profile)\" was not found"
        }
        if environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] != nil
            || environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] != nil
        {
            message += "; container credentials (AWS_CONTAINER_CREDENTIALS_*) are not supported"
        }
        throw SecretsManagerConfigurationError(message)
    }

    private static func staticKeys(_ section: [String: String]?, profile: String, file: String)
        throws(SecretsManagerConfigurationError) -> Credentials?
    {
        guard let section, let accessKey = section["aws_access_key_id"].nonEmpty else { return nil }
        guard let secret = section["aws_secret_access_key"].nonEmpty else {
            throw SecretsManagerConfigurationError(
                "profile \"\(profile)\" in \(file) has aws_access_key_id but no aws_secret_access_key")
        }
        return Credentials(
            accessKeyId: accessKey, secretAccessKey: secret, sessionToken: section["aws_session_token"].nonEmpty)
    }

    private static func unsupported(_ profile: String, _ what: String) -> SecretsManagerConfigurationError {
        SecretsManagerConfigurationError(
            "profile \"\(profile)\" needs \(what), which this client does not support: "
                + "use static keys or set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN "
                + "(for example from `aws configure export-credentials --format env`)")
    }

    /// `~/x` relative to `home`; `nil` when the path needs HOME and there is none.
    private static func expand(_ path: String, home: String?) -> String? {
        guard path.hasPrefix("~/") else { return path }
        guard let home else { return nil }
        return home + path.dropFirst(1)
    }
}
