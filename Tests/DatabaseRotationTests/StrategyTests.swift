import DatabaseRotation
import DatabaseTestKit
import JSON
import Rotation
import SecretsManager
import TestSupport
import TestTags
import Testing

/// The strategies every database shares, on the in-memory database: what each engine gets for free.
@Suite("Database strategies in process")
struct StrategyTests {
    @Test("single user: the new password logs in, the old one does not, every other key kept")
    func singleUser() throws {
        let lab = try DatabaseLab()
        let arn = lab.secret(user: "app", password: "old-Pw1!")
        try lab.rotate(arn)
        let new = try #require(try lab.field(arn, "AWSCURRENT", "password"))
        #expect(lab.database.canLogIn("app", new) && !lab.database.canLogIn("app", "old-Pw1!"))
        #expect(try lab.value(arn, "AWSCURRENT")?["note"] == .string("kept"))
        #expect(lab.logs.allText.contains("setSecret: Successfully set password for user app in MemDB DB"))
        expectNoSecrets([new, "old-Pw1!"], in: lab.logs.allText, "the log")
    }

    @Test("single user re-driven after setSecret: the pending password already logs in, nothing is set twice")
    func pendingAlreadyLogsIn() throws {
        let lab = try DatabaseLab()
        let arn = lab.secret(user: "app", password: "old-Pw1!")
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        try lab.step(.setSecret, arn, token)
        let changes = lab.database.changes.withLock { $0.count }
        try lab.step(.setSecret, arn, token)
        #expect(lab.database.changes.withLock { $0.count } == changes)
        #expect(lab.logs.allText.contains("AWSPENDING secret is already set as password in MemDB DB"))
    }

    @Test("the current password changed behind the secret's back: AWSPREVIOUS logs in and sets the new one")
    func previousFallback() throws {
        let lab = try DatabaseLab()
        let arn = lab.secret(user: "app", password: "first-Pw1!")
        try lab.rotate(arn)
        // The database went back to the first password; AWSPREVIOUS holds it.
        lab.database.alter("app") { $0.passwords = ["first-Pw1!"] }
        try lab.rotate(arn)
        let newest = try #require(try lab.field(arn, "AWSCURRENT", "password"))
        #expect(lab.database.canLogIn("app", newest))
    }

    @Test("no credential logs in: the templates' message, nothing changed")
    func nothingLogsIn() throws {
        let lab = try DatabaseLab()
        let arn = lab.secret(user: "app", password: "old-Pw1!")
        lab.database.alter("app") { $0.passwords = ["someone-else's"] }
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        #expect(throws: RotationError.self) { try lab.step(.setSecret, arn, token) }
        #expect(lab.database.changes.withLock { $0.isEmpty })
    }

    @Test("an account that does not check passwords proves nothing: PasswordNotChecked, nothing changed")
    func passwordNotChecked() throws {
        let lab = try DatabaseLab()
        lab.database.addAccount("trusted", password: "x", checksPassword: false)
        let arn = lab.secret(user: "trusted", password: "x", account: false)
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorType == "Target.PasswordNotChecked", "\(error.errorMessage)")
            #expect(error.errorMessage.contains("an account that does not check passwords"))
        }
        #expect(lab.database.changes.withLock { $0.isEmpty })
    }

    @Test("alternating users: the clone gets the current user's rights; the next rotation switches back")
    func alternatingUsers() throws {
        let lab = try DatabaseLab(traits: Self.copying)
        let master = lab.master()
        let arn = lab.secret(
            user: "app", password: "start-Pw1!", rights: ["SELECT", "INSERT"],
            extra: JSONObject(["masterarn": .string(master)]))
        try lab.rotate(arn)
        #expect(try lab.field(arn, "AWSCURRENT", "username") == "app_clone")
        #expect(lab.database.account("app_clone")?.rights == ["SELECT", "INSERT"])
        #expect(lab.database.canLogIn("app", "start-Pw1!"), "the original keeps working")
        lab.database.alter("app_clone") { $0.rights = ["SELECT"] }
        try lab.rotate(arn)
        #expect(try lab.field(arn, "AWSCURRENT", "username") == "app")
        #expect(lab.database.account("app")?.rights == ["SELECT"], "re-synced from the clone")
    }

    @Test("alternating users: a name too long for its _clone is refused with the template's message")
    func cloneNameTooLong() throws {
        let lab = try DatabaseLab()
        let master = lab.master()
        let arn = lab.secret(
            user: "twelve_chars", password: "Pw1!", extra: JSONObject(["masterarn": .string(master)]))
        let token = try lab.memory.startRotation(secretId: arn)
        expectRefusal({ try lab.step(.createSecret, arn, token) }) { error in
            #expect(error.errorMessage.contains("username length with _clone appended would exceed 16 characters"))
        }
    }

    @Test("alternating users: a pending version naming another user or host is refused before the master acts")
    func otherUserRefused() throws {
        let lab = try DatabaseLab()
        let master = lab.master()
        let arn = lab.secret(user: "app", password: "Pw1!", extra: JSONObject(["masterarn": .string(master)]))
        let token = try lab.memory.startRotation(secretId: arn)
        let forged = JSONObject([
            "engine": .string("memdb"), "host": .string("db.internal"), "username": .string("admin"),
            "password": .string("attacker-Pw1!"), "masterarn": .string(master),
        ])
        _ = try lab.memory.putSecretValue(
            secretId: arn, clientRequestToken: token, secretString: forged.serialized, versionStages: ["AWSPENDING"],
            rotationToken: nil, deadline: .after(milliseconds: 1_000))
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorMessage.contains("Attempting to modify user admin other than current user or clone app"))
        }
        #expect(lab.database.canLogIn("admin", "admin-Pw1!"), "the master's password is untouched")
    }

    @Test("alternating users: a master that may not create users gives Target.Permission, nothing changed")
    func weakMaster() throws {
        let lab = try DatabaseLab()
        lab.database.addAccount("weak", password: "weak-Pw1!")
        let master = lab.memory.createSecret(
            name: "weak-master",
            secretString: JSONObject([
                "engine": .string("memdb"), "host": .string("db.internal"), "username": .string("weak"),
                "password": .string("weak-Pw1!"),
            ]).serialized)
        let arn = lab.secret(user: "app", password: "Pw1!", extra: JSONObject(["masterarn": .string(master)]))
        let token = try lab.memory.startRotation(secretId: arn)
        try lab.step(.createSecret, arn, token)
        expectRefusal({ try lab.step(.setSecret, arn, token) }) { error in
            #expect(error.errorType == "Target.Permission", "\(error.errorMessage)")
        }
        #expect(lab.database.account("app_clone") == nil)
    }

    @Test("dual passwords: the previous password keeps working for one rotation")
    func dual() throws {
        var traits = InMemoryDriver.defaultTraits
        traits.supportsDualPasswords = true
        let lab = try DatabaseLab(traits: traits, environment: ["ROTATOR_MEMDB_MODE": "dual"])
        let arn = lab.secret(user: "app", password: "one-Pw1!")
        try lab.rotate(arn)
        let two = try #require(try lab.field(arn, "AWSCURRENT", "password"))
        #expect(lab.database.canLogIn("app", two) && lab.database.canLogIn("app", "one-Pw1!"))
        try lab.rotate(arn)
        #expect(!lab.database.canLogIn("app", "one-Pw1!") && lab.database.canLogIn("app", two))
    }

    @Test("dual passwords with a master secret: the master adds the password, the user needs no right over itself")
    func dualByMaster() throws {
        var traits = InMemoryDriver.defaultTraits
        traits.supportsDualPasswords = true
        traits.supportsMasterDualPasswords = true
        let lab = try DatabaseLab(traits: traits, environment: ["ROTATOR_MEMDB_MODE": "dual"])
        let master = lab.master()
        let arn = lab.secret(user: "app", password: "one-Pw1!", extra: JSONObject(["masterarn": .string(master)]))
        try lab.rotate(arn)
        #expect(try lab.field(arn, "AWSCURRENT", "username") == "app", "the same user, not a clone")
        let two = try #require(try lab.field(arn, "AWSCURRENT", "password"))
        #expect(lab.database.canLogIn("app", two) && lab.database.canLogIn("app", "one-Pw1!"))
        try lab.rotate(arn)
        let three = try #require(try lab.field(arn, "AWSCURRENT", "password"))
        #expect(!lab.database.canLogIn("app", "one-Pw1!"), "two rotations back: gone")
        #expect(lab.database.canLogIn("app", two) && lab.database.canLogIn("app", three))
        #expect(lab.database.account("app_clone") == nil)
        #expect(lab.logs.allText.contains("added a password beside the current one"))

        // A current password that does not log in: the master does nothing for it (the confused-deputy guard).
        lab.database.addAccount("other", password: "real-Pw1!")
        let other = lab.secret(
            user: "other", password: "wrong-Pw1!", account: false, extra: JSONObject(["masterarn": .string(master)]))
        let token = try lab.memory.startRotation(secretId: other)
        try lab.step(.createSecret, other, token)
        expectRefusal({ try lab.step(.setSecret, other, token) }) { error in
            #expect(error.errorMessage.hasPrefix("Unable to log into database using current credentials"))
        }
        #expect(lab.database.canLogIn("other", "real-Pw1!") && lab.database.account("other")?.passwords.count == 1)
    }

    @Test("dual passwords with a master secret, on an engine whose master cannot add one: refused in createSecret")
    func dualByMasterUnsupported() throws {
        var traits = InMemoryDriver.defaultTraits
        traits.supportsDualPasswords = true
        let lab = try DatabaseLab(traits: traits, environment: ["ROTATOR_MEMDB_MODE": "dual"])
        let master = lab.master()
        let arn = lab.secret(user: "app", password: "one-Pw1!", extra: JSONObject(["masterarn": .string(master)]))
        let token = try lab.memory.startRotation(secretId: arn)
        let before = try lab.memory.stages(secretId: arn)
        expectRefusal({ try lab.step(.createSecret, arn, token) }) { error in
            #expect(error.errorType == "Target.Unsupported")
            #expect(error.errorMessage.contains("leave out masterarn with ROTATOR_MEMDB_MODE=dual"), "\(error)")
        }
        #expect(try lab.memory.stages(secretId: arn) == before, "nothing written")
        #expect(try lab.field(arn, "AWSPENDING", "password") == nil, "the pending version got no value")
        #expect(lab.database.account("app")?.passwords == ["one-Pw1!"])
    }

    @Test("the server has no TLS: refused unless the fallback is allowed, then plain text with a warning")
    func tlsFallback() throws {
        let strict = try DatabaseLab()
        strict.database.offersTLS.withLock { $0 = false }
        let arn = strict.secret(user: "app", password: "Pw1!")
        let token = try strict.memory.startRotation(secretId: arn)
        try strict.step(.createSecret, arn, token)
        #expect(throws: RotationError.self) { try strict.step(.setSecret, arn, token) }

        let lenient = try DatabaseLab(environment: ["ROTATOR_ALLOW_TLS_FALLBACK": "true"])
        lenient.database.offersTLS.withLock { $0 = false }
        let allowed = lenient.secret(user: "app", password: "Pw1!")
        try lenient.rotate(allowed)
        #expect(lenient.logs.allText.contains("falling back to plain text"))
    }

    /// Traits of an engine that copies rights, as MySQL does.
    static var copying: DatabaseTraits {
        var traits = InMemoryDriver.defaultTraits
        traits.copiesRights = true
        return traits
    }
}
