/// What sets one database engine apart, as one value: its names, defaults and limits. The messages the templates
/// share are derived from the name, so a new engine states only what differs.
public struct DatabaseTraits: Sendable {
    /// The `ROTATOR_TARGET` name (`postgres`).
    public var name: String
    /// The engine's name in messages, as the templates write it (`PostgreSQL` → "… in PostgreSQL DB …").
    public var displayName: String
    /// The secret's `engine` values this driver rotates (`postgres`, `aurora-postgresql`).
    public var engines: [String]
    /// `port` when the secret has none.
    public var defaultPort: Int
    /// `dbname` when the secret has none (PostgreSQL: `postgres`); `nil` connects to no database in particular.
    public var defaultDatabase: String?
    /// The longest user name the server keeps (PostgreSQL: 63 bytes; MySQL: 32 characters; MariaDB: 80), unless
    /// `USERNAME_CHARACTER_LIMIT` says otherwise, and how the server counts it.
    public var maximumUserNameLength: Int
    public var userNameLengthUnit: UserNames.Unit
    /// Whether the engine can keep the current password working beside a new one (the `dual` mode).
    public var supportsDualPasswords: Bool
    /// Whether a master user can add a password beside another user's current one (`addPassword`): dual passwords
    /// with `masterarn`. Redis's ACLs can; MySQL's `RETAIN CURRENT PASSWORD` is driven here by the user itself.
    public var supportsMasterDualPasswords: Bool
    /// Whether `updateUser` copies rights from the template and reads them back (MySQL-family grants), rather than
    /// making the clone follow the template by membership (PostgreSQL roles). A re-driven setSecret whose pending
    /// password already logs in then copies again: the password may have been set before the copy was verified.
    public var copiesRights: Bool
    /// `EXCLUDE_CHARACTERS` when unset (the engine's template default).
    public var defaultExcludeCharacters: String
    /// How this engine lets a user in without a password, for the error that says so ("a trust, peer or cert
    /// rule in pg_hba.conf").
    public var passwordlessLoginCause: String
    /// The template's text for a secret with a missing or other engine: "Database engine must be set to
    /// '<name>' in order to use this rotation lambda", unless the engine's template says otherwise.
    public var wrongEngineMessage: String
    /// The environment variable that chooses single or alternating users: `ROTATOR_<NAME>_MODE`.
    public var modeVariable: String

    public init(
        name: String, displayName: String, engines: [String], defaultPort: Int, defaultDatabase: String?,
        maximumUserNameLength: Int, userNameLengthUnit: UserNames.Unit = .bytes, supportsDualPasswords: Bool = false,
        supportsMasterDualPasswords: Bool = false, copiesRights: Bool = false,
        defaultExcludeCharacters: String = #"/@"'\"#, passwordlessLoginCause: String,
        wrongEngineMessage: String? = nil, modeVariable: String? = nil
    ) {
        self.name = name
        self.displayName = displayName
        self.engines = engines
        self.defaultPort = defaultPort
        self.defaultDatabase = defaultDatabase
        self.maximumUserNameLength = maximumUserNameLength
        self.userNameLengthUnit = userNameLengthUnit
        self.supportsDualPasswords = supportsDualPasswords
        self.supportsMasterDualPasswords = supportsMasterDualPasswords
        self.copiesRights = copiesRights
        self.defaultExcludeCharacters = defaultExcludeCharacters
        self.passwordlessLoginCause = passwordlessLoginCause
        self.wrongEngineMessage =
            wrongEngineMessage ?? "Database engine must be set to '\(name)' in order to use this rotation lambda"
        self.modeVariable = modeVariable ?? "ROTATOR_\(name.uppercased())_MODE"
    }
}

extension DatabaseDriver {
    public var name: String { traits.name }
    public var displayName: String { traits.displayName }
    public var engines: [String] { traits.engines }
    public var wrongEngineMessage: String { traits.wrongEngineMessage }
    public var defaultPort: Int { traits.defaultPort }
    public var defaultDatabase: String? { traits.defaultDatabase }
    public var maximumUserNameLength: Int { traits.maximumUserNameLength }
    public var userNameLengthUnit: UserNames.Unit { traits.userNameLengthUnit }
    public var supportsDualPasswords: Bool { traits.supportsDualPasswords }
    public var copiesRights: Bool { traits.copiesRights }
    public var defaultExcludeCharacters: String { traits.defaultExcludeCharacters }
    public var modeVariable: String { traits.modeVariable }
    public var passwordlessLoginCause: String { traits.passwordlessLoginCause }
}
