import HTTPClient

/// The profiles of the shared `credentials` and `config` files
/// (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html), found where the SDKs look: `AWS_CONFIG_FILE`
/// and `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`.
package struct AWSProfiles: Sendable {
    /// The profile the environment selects: `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`, then `default`.
    package let selected: String
    /// Whether the environment named it (an absent named profile is an error; an absent `default` is not).
    package let isNamed: Bool
    package let credentialsPath: String?
    package let configPath: String?
    private let credentialsFile: SharedConfigFile?
    private let configFile: SharedConfigFile?

    /// One profile: its keys in each file. Keys of the credentials file win where both have one, as in the CLI.
    package struct Profile: Sendable {
        package let name: String
        package let fromCredentialsFile: [String: String]?
        package let fromConfigFile: [String: String]?

        package subscript(key: String) -> String? {
            fromCredentialsFile?[key].nonEmpty ?? fromConfigFile?[key].nonEmpty
        }
    }

    package init(environment: [String: String], files: LocalFiles) {
        let named = environment.nonEmpty("AWS_PROFILE") ?? environment.nonEmpty("AWS_DEFAULT_PROFILE")
        selected = named ?? "default"
        isNamed = named != nil
        let home = environment.nonEmpty("HOME")
        credentialsPath = Self.expand(
            environment.nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials", home: home)
        configPath = Self.expand(environment.nonEmpty("AWS_CONFIG_FILE") ?? "~/.aws/config", home: home)
        credentialsFile = credentialsPath.flatMap(files.read).map(SharedConfigFile.init(text:))
        configFile = configPath.flatMap(files.read).map(SharedConfigFile.init(text:))
    }

    /// The profile called `name`, or `nil` when neither file has it.
    package func profile(_ name: String) -> Profile? {
        let profile = Profile(
            name: name, fromCredentialsFile: credentialsFile?.credentialsProfile(name),
            fromConfigFile: configFile?.configProfile(name))
        return profile.fromCredentialsFile == nil && profile.fromConfigFile == nil ? nil : profile
    }

    /// Where the profiles were looked for, for messages.
    package var filesDescription: String {
        "\(credentialsPath ?? "~/.aws/credentials (HOME is not set)") and \(configPath ?? "~/.aws/config (HOME is not set)")"
    }

    /// `~/x` relative to `home`; `nil` when the path needs HOME and there is none.
    private static func expand(_ path: String, home: String?) -> String? {
        guard path.hasPrefix("~/") else { return path }
        guard let home else { return nil }
        return home + path.dropFirst(1)
    }
}
