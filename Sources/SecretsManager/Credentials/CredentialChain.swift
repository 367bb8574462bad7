import HTTPClient
import SigV4

/// Finds credentials where the AWS SDKs look, in their order
/// (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html):
///
/// 1. the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`): what Lambda provides;
/// 2. the selected profile's `role_arn` with `source_profile` or `credential_source`, through STS `AssumeRole`;
/// 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`, or the profile's
///    `web_identity_token_file`, through STS `AssumeRoleWithWebIdentity`;
/// 4. the profile's static keys in the credentials file, its `credential_process`, its static keys in the config
///    file (SSO settings are refused with the `credential_process` line that serves them);
/// 5. the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_*`);
/// 6. the EC2 instance metadata service with IMDSv2, unless `AWS_EC2_METADATA_DISABLED=true`, and never inside
///    Lambda, whose role arrives in the environment.
///
/// Static keys are read here; anything fetched (roles, processes, endpoints) is fetched on first use and again
/// before it expires. Errors name variables, files, profiles and endpoints, never a key value.
enum CredentialChain {
    struct Context {
        var environment: [String: String]
        var files: LocalFiles
        var profiles: AWSProfiles
        /// The region STS is called in (the client's own).
        var region: String?
        var caBundlePath: String?
        var clock: @Sendable () -> Double
    }

    static func resolve(_ context: Context) throws(SecretsManagerConfigurationError) -> any CredentialProvider {
        let environment = context.environment
        if let keys = try environmentKeys(environment) { return keys }

        let profiles = context.profiles
        let profile = profiles.profile(profiles.selected)
        if profile == nil && profiles.isNamed {
            throw SecretsManagerConfigurationError(
                "profile \"\(profiles.selected)\" (AWS_PROFILE) was not found in \(profiles.filesDescription)")
        }
        if let profile, profile["role_arn"] != nil, profile["web_identity_token_file"] == nil {
            return try assumedRole(profile, context, visited: [])
        }
        if let webIdentity = try webIdentity(profile, context) { return webIdentity }
        if let profile, let provider = try profileCredentials(profile, context) { return provider }
        if let container = try MetadataEndpoints.container(environment: environment, files: context.files) {
            return RefreshingCredentialProvider(
                source: "container credentials endpoint", clock: context.clock, fetch: container)
        }
        let inLambda = environment["AWS_LAMBDA_FUNCTION_NAME"] != nil || environment["AWS_LAMBDA_RUNTIME_API"] != nil
        let imdsDisabled = ["true", "1"].contains((environment["AWS_EC2_METADATA_DISABLED"] ?? "").lowercased())
        let searched =
            "no AWS credentials in the environment (AWS_ACCESS_KEY_ID), profile \"\(profiles.selected)\" of "
            + "\(profiles.filesDescription), web identity (AWS_WEB_IDENTITY_TOKEN_FILE) or a container endpoint "
            + "(AWS_CONTAINER_CREDENTIALS_*)"
        guard !inLambda && !imdsDisabled else {
            throw SecretsManagerConfigurationError(
                searched + (inLambda ? "" : "; the instance metadata service is off (AWS_EC2_METADATA_DISABLED)")
                    + ". Set AWS_PROFILE to a profile with keys, a role or a credential_process, or export "
                    + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let imds = try MetadataEndpoints.instanceMetadata(environment: environment)
        return RefreshingCredentialProvider(source: "EC2 instance metadata (IMDSv2)", clock: context.clock) {
            () throws(CredentialError) -> ExpiringCredentials in
            do throws(CredentialError) {
                return try imds()
            } catch {
                throw CredentialError(searched + ", and " + error.message)
            }
        }
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (or the older `AWS_SECURITY_TOKEN`).
    private static func environmentKeys(_ environment: [String: String]) throws(SecretsManagerConfigurationError)
        -> (any CredentialProvider)?
    {
        guard let accessKey = environment.nonEmpty("AWS_ACCESS_KEY_ID") else { return nil }
        guard let secret = environment.nonEmpty("AWS_SECRET_ACCESS_KEY") else {
            throw SecretsManagerConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        let token = environment.nonEmpty("AWS_SESSION_TOKEN") ?? environment.nonEmpty("AWS_SECURITY_TOKEN")
        return StaticCredentialProvider(
            Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token),
            source: "environment (AWS_ACCESS_KEY_ID)")
    }

    /// The credentials a profile holds itself: static keys (credentials file first), `credential_process`, or a
    /// refusal for SSO settings. `nil` when it has none of these.
    private static func profileCredentials(_ profile: AWSProfiles.Profile, _ context: Context)
        throws(SecretsManagerConfigurationError) -> (any CredentialProvider)?
    {
        if let keys = try staticKeys(profile.fromCredentialsFile, profile.name, context.profiles.credentialsPath) {
            return keys
        }
        if let ssoKey = ["sso_session", "sso_start_url", "sso_account_id", "sso_role_name"].first(where: {
            profile[$0] != nil
        }), profile["credential_process"] == nil {
            throw SecretsManagerConfigurationError(
                "profile \"\(profile.name)\" uses IAM Identity Center (\(ssoKey)), which this tool reads through the "
                    + "CLI: add a profile with `credential_process = aws configure export-credentials --profile "
                    + "\(profile.name) --format process` and use that one (after `aws sso login`)")
        }
        if let commandLine = profile["credential_process"] {
            let process: CredentialProcess
            do throws(CredentialError) {
                process = try CredentialProcess(commandLine: commandLine, profile: profile.name)
            } catch {
                throw SecretsManagerConfigurationError(error.message)
            }
            let environment = context.environment
            return RefreshingCredentialProvider(source: process.origin, clock: context.clock) {
                () throws(CredentialError) -> ExpiringCredentials in try process.run(environment: environment)
            }
        }
        return try staticKeys(profile.fromConfigFile, profile.name, context.profiles.configPath)
    }

    /// `role_arn` with `source_profile` (which may itself assume a role) or `credential_source`.
    private static func assumedRole(_ profile: AWSProfiles.Profile, _ context: Context, visited: Set<String>)
        throws(SecretsManagerConfigurationError) -> any CredentialProvider
    {
        let name = profile.name
        if profile["mfa_serial"] != nil {
            throw SecretsManagerConfigurationError(
                "profile \"\(name)\" needs an MFA code (mfa_serial), which a tool run by scripts cannot ask for: "
                    + "use a profile whose credentials already carry MFA (for example a credential_process such as "
                    + "`aws configure export-credentials`)")
        }
        let role = try roleToAssume(profile, context)
        let source: any CredentialProvider
        switch (profile["source_profile"], profile["credential_source"]) {
        case (let sourceName?, nil):
            guard !visited.contains(sourceName) || sourceName == name else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(name)\": source_profile \"\(sourceName)\" leads back to itself")
            }
            guard let sourceProfile = context.profiles.profile(sourceName) else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(name)\" names source_profile \"\(sourceName)\", which is not in \(context.profiles.filesDescription)"
                )
            }
            if sourceName != name, sourceProfile["role_arn"] != nil {
                if let web = try webIdentity(sourceProfile, context, fromEnvironment: false) {
                    source = web
                } else {
                    source = try assumedRole(sourceProfile, context, visited: visited.union([name]))
                }
            } else if let provider = try profileCredentials(sourceProfile, context) {
                source = provider
            } else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(name)\" names source_profile \"\(sourceName)\", which has no credentials")
            }
        case (nil, let credentialSource?):
            source = try Self.credentialSource(credentialSource, profile: name, context)
        case (.some, .some):
            throw SecretsManagerConfigurationError(
                "profile \"\(name)\" sets both source_profile and credential_source: keep one")
        case (nil, nil):
            throw SecretsManagerConfigurationError(
                "profile \"\(name)\" has role_arn but neither source_profile nor credential_source to assume it with")
        }
        let sts = try SecurityTokenService(
            environment: context.environment, region: context.region, caBundlePath: context.caBundlePath)
        return RefreshingCredentialProvider(
            source: "profile \"\(name)\": AssumeRole \(role.arn) with \(source.source)", clock: context.clock
        ) { () throws(CredentialError) -> ExpiringCredentials in
            try sts.assumeRole(role, as: source.credentials())
        }
    }

    /// `credential_source`: where a profile's role takes its source credentials when no profile holds them.
    private static func credentialSource(_ value: String, profile: String, _ context: Context)
        throws(SecretsManagerConfigurationError) -> any CredentialProvider
    {
        switch value {
        case "Environment":
            guard let keys = try environmentKeys(context.environment) else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(profile)\" has credential_source = Environment, but AWS_ACCESS_KEY_ID is not set")
            }
            return keys
        case "EcsContainer":
            guard
                let container = try MetadataEndpoints.container(environment: context.environment, files: context.files)
            else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(profile)\" has credential_source = EcsContainer, but AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
                        + "and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
            }
            return RefreshingCredentialProvider(
                source: "container credentials endpoint", clock: context.clock, fetch: container)
        case "Ec2InstanceMetadata":
            return RefreshingCredentialProvider(
                source: "EC2 instance metadata (IMDSv2)", clock: context.clock,
                fetch: try MetadataEndpoints.instanceMetadata(environment: context.environment))
        default:
            throw SecretsManagerConfigurationError(
                "profile \"\(profile)\" has credential_source \"\(value)\": use Environment, EcsContainer or Ec2InstanceMetadata"
            )
        }
    }

    /// Web identity from the environment (it wins, as in the SDKs) or from the profile; `nil` when neither sets it.
    private static func webIdentity(
        _ profile: AWSProfiles.Profile?, _ context: Context, fromEnvironment: Bool = true
    ) throws(SecretsManagerConfigurationError) -> (any CredentialProvider)? {
        let environment = fromEnvironment ? context.environment : [:]
        guard let tokenFile = environment.nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE") ?? profile?["web_identity_token_file"]
        else { return nil }
        guard let roleArn = environment.nonEmpty("AWS_ROLE_ARN") ?? profile?["role_arn"] else {
            throw SecretsManagerConfigurationError(
                "a web identity token file is set (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file) but no role: "
                    + "set AWS_ROLE_ARN or role_arn")
        }
        var settings = RoleToAssume(arn: roleArn, sessionName: defaultSessionName(context))
        if let profile { settings = try roleToAssume(profile, context) }
        settings.arn = roleArn
        if let name = environment.nonEmpty("AWS_ROLE_SESSION_NAME") { settings.sessionName = name }
        let role = settings
        let sts = try SecurityTokenService(
            environment: context.environment, region: context.region, caBundlePath: context.caBundlePath)
        let files = context.files
        return RefreshingCredentialProvider(
            source: "web identity (\(tokenFile)): AssumeRoleWithWebIdentity \(roleArn)", clock: context.clock
        ) { () throws(CredentialError) -> ExpiringCredentials in
            // Read at every fetch: the platform replaces the token before it expires.
            guard let token = files.read(tokenFile)?.trimmingWhitespace, !token.isEmpty else {
                throw CredentialError("cannot read the web identity token file \(tokenFile)")
            }
            return try sts.assumeRole(role, webIdentityToken: token)
        }
    }

    private static func roleToAssume(_ profile: AWSProfiles.Profile, _ context: Context)
        throws(SecretsManagerConfigurationError) -> RoleToAssume
    {
        var duration: Int?
        if let text = profile["duration_seconds"] {
            guard let seconds = Int(text), (900...43_200).contains(seconds) else {
                throw SecretsManagerConfigurationError(
                    "profile \"\(profile.name)\": duration_seconds must be 900 to 43200 (got \"\(text)\")")
            }
            duration = seconds
        }
        return RoleToAssume(
            arn: profile["role_arn"] ?? "", sessionName: profile["role_session_name"] ?? defaultSessionName(context),
            externalId: profile["external_id"], durationSeconds: duration)
    }

    /// `rotator-<seconds since the epoch>`, as botocore names its sessions `botocore-session-<seconds>`: CloudTrail
    /// shows which tool assumed the role.
    private static func defaultSessionName(_ context: Context) -> String {
        "rotator-\(Int(context.clock()))"
    }

    private static func staticKeys(_ section: [String: String]?, _ profile: String, _ file: String?)
        throws(SecretsManagerConfigurationError) -> (any CredentialProvider)?
    {
        guard let section, let accessKey = section["aws_access_key_id"].nonEmpty else { return nil }
        guard let secret = section["aws_secret_access_key"].nonEmpty else {
            throw SecretsManagerConfigurationError(
                "profile \"\(profile)\" in \(file ?? "") has aws_access_key_id but no aws_secret_access_key")
        }
        return StaticCredentialProvider(
            Credentials(
                accessKeyId: accessKey, secretAccessKey: secret, sessionToken: section["aws_session_token"].nonEmpty),
            source: "profile \"\(profile)\" (\(file ?? ""))")
    }
}
