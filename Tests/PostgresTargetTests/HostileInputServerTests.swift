import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

/// Names and passwords that break string pasting: quotes, spaces, case, non-ASCII, every punctuation mark.
@Suite("Hostile user names and passwords rotate correctly and never reach a log", .tags(.server))
struct HostileInputServerTests {
    static let names = [
        #"o'brien"#, #"say "hi""#, "Mixed Case User", "ÜberNutzer_ñ_日本", #"semi;colon--drop"#, #"back\slash $1"#,
    ]

    /// A password with every punctuation character, in a random order, plus a random tail.
    static func hostilePassword() -> String {
        String(everyPunctuation.shuffled()) + "Aa1" + randomPassword(length: 16)
    }

    @Test("single user, every hostile name and password")
    func singleUser() throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let target = SingleUserStrategy(driver: PostgresDriver(), configuration: server.configuration())
        var used: [String] = []
        for name in Self.names {
            let oldPassword = Self.hostilePassword()
            let newPassword = Self.hostilePassword()
            used += [oldPassword, newPassword]
            try server.createRole(name, password: oldPassword)
            let current = postgresSecret(port: server.port, username: name, password: oldPassword)
            let versions = SecretVersions(current: current, pending: current.with("password", .string(newPassword)))
            try target.setSecret(versions.context(logger: logs.logger))
            try target.testSecret(versions.context(logger: logs.logger))
            #expect(server.logsIn(name, newPassword), "\(name)")
            #expect(!server.logsIn(name, oldPassword), "\(name)")
        }
        expectNoSecrets(used, in: server.log(), "the server log")
        expectNoSecrets(used, in: logs.allText, "our log")
    }

    @Test("alternating users, every hostile name and password: clones are created and alternate")
    func alternatingUsers() throws {
        let server = try PostgresServer()
        let logs = LogRecorder()
        let target = AlternatingUsersStrategy(driver: PostgresDriver(), configuration: server.configuration())
        let masterPassword = Self.hostilePassword()
        try server.createRole("Rotation Admin ü", password: masterPassword, options: "CREATEROLE")
        let master = postgresSecret(port: server.port, username: "Rotation Admin ü", password: masterPassword)
        var used = [masterPassword]
        for name in Self.names {
            let password = Self.hostilePassword()
            try server.createRole(name, password: password)
            var current = postgresSecret(
                port: server.port, username: name, password: password, masterARN: SecretVersions.masterARN)
            used.append(password)
            for round in 0..<3 {
                let newPassword = Self.hostilePassword()
                used.append(newPassword)
                let pending = try target.makePendingSecret(
                    current: current, newPassword: newPassword,
                    context: SecretVersions().context(logger: logs.logger))
                let versions = SecretVersions(current: current, pending: pending)
                versions.setOther(SecretVersions.masterARN, master)
                try target.setSecret(versions.context(logger: logs.logger))
                try target.testSecret(versions.context(logger: logs.logger))
                let pendingUser = try #require(pending.string("username"))
                #expect(pendingUser == (round % 2 == 0 ? name + "_clone" : name))
                #expect(server.logsIn(pendingUser, newPassword), "\(pendingUser)")
                current = pending
            }
            let (clone, role) = try server.asSuperuser {
                (try $0.quoteLiteral(name + "_clone"), try $0.quoteLiteral(name))
            }
            #expect(try server.execute("SELECT pg_has_role(\(clone), \(role), 'MEMBER')") == "t", "\(name)")
        }
        expectNoSecrets(used, in: server.log(), "the server log")
        expectNoSecrets(used, in: logs.allText, "our log")
    }
}
