import DatabaseRotation
import JSON
import Rotation
import TestSupport
import Testing

@testable import PostgresTarget

@Suite("Secret JSON as the templates read it")
struct PostgresSecretTests {
    func parse(_ json: String, _ validation: DatabaseSecret.Validation = .singleUser) throws -> DatabaseSecret {
        try DatabaseSecret(try SecretValue(secretString: json), driver: PostgresDriver(), validation: validation)
    }

    func message(_ json: String, _ validation: DatabaseSecret.Validation = .singleUser) -> String? {
        do {
            _ = try parse(json, validation)
            return nil
        } catch let error as DatabaseError {
            #expect(error.category == .invalidSecret)
            return error.message
        } catch {
            Issue.record("not a DatabaseError: \(error)")
            return nil
        }
    }

    @Test("defaults: port 5432, dbname postgres; port as number or string")
    func defaults() throws {
        let secret = try parse(#"{"engine":"postgres","host":"db","username":"u","password":"p"}"#)
        #expect(secret.port == 5432 && secret.dbname == "postgres" && secret.ssl == nil && secret.masterARN == nil)
        #expect(
            try parse(#"{"engine":"aurora-postgresql","host":"db","username":"u","password":"p","port":"6543"}"#).port
                == 6543)
        #expect(
            try parse(#"{"engine":"postgres","host":"db","username":"u","password":"p","port":6543,"dbname":null}"#)
                .dbname == "postgres")
        #expect(
            try parse(#"{"engine":"postgres","host":"db","username":"u","password":"p","port":" 15 ","dbname":"app"}"#)
                .port == 15)
    }

    @Test("the templates' messages for a wrong engine and missing keys, in each template's order")
    func templateMessages() {
        let engine = "Database engine must be set to 'postgres' in order to use this rotation lambda"
        #expect(message(#"{"host":"db","username":"u","password":"p"}"#) == engine)
        #expect(message(#"{"engine":"mysql"}"#) == engine)
        #expect(
            message(#"{"engine":"postgres","username":"u","password":"p"}"#) == "host key is missing from secret JSON")
        #expect(
            message(#"{"engine":"postgres","host":"db","password":"p"}"#) == "username key is missing from secret JSON")
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u"}"#) == "password key is missing from secret JSON")
        // The alternating-users template checks that engine is present with the other keys, before its value.
        #expect(
            message(#"{"host":"db","username":"u","password":"p"}"#, .alternatingUsers)
                == "engine key is missing from secret JSON")
        #expect(
            message(#"{"engine":"postgres","username":"u"}"#, .alternatingUsers)
                == "host key is missing from secret JSON")
        #expect(message(#"{"engine":"oracle","host":"db","username":"u","password":"p"}"#, .alternatingUsers) == engine)
    }

    @Test("wrong types and bad ports say what is wrong without showing a value")
    func wrongTypes() {
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":12345}"#)
                == "password in secret JSON must be a string, not a number")
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":"p","port":"54x"}"#)?.hasPrefix(
                "port in secret JSON must be") == true)
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":"p","port":70000}"#)?.hasPrefix(
                "port in secret JSON must be") == true)
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":"a\u0000b"}"#)
                == "password in secret JSON contains a NUL character")
        #expect(message("just-a-password")?.hasPrefix("Secret value is not a JSON object") == true)
    }

    @Test("empty fields and libpq's other readings of host are refused, so libpq's defaults never fill them in")
    func emptyAndUnusualFields() throws {
        for key in ["host", "username", "password", "dbname"] {
            var object = try #require(
                try JSONValue(parsing: #"{"engine":"postgres","host":"db","username":"u","password":"p","dbname":"d"}"#)
                    .objectValue)
            object[key] = .string("")
            #expect(message(object.serialized) == "\(key) in secret JSON is empty", "\(key)")
        }
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":"p","dbname":"a\u0000b"}"#)
                == "dbname in secret JSON contains a NUL character")
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u\u0000x","password":"p"}"#)
                == "username in secret JSON contains a NUL character")
        for host in ["/var/run/postgresql", "db1,db2", "db host"] {
            #expect(
                message(#"{"engine":"postgres","host":"\#(host)","username":"u","password":"p"}"#)?.hasPrefix(
                    "host in secret JSON must be one host name") == true, "\(host)")
        }
        #expect(
            message(#"{"engine":"postgres","host":"db","username":"u","password":"p","tls_server_name":""}"#)
                == "tls_server_name in secret JSON is empty")
    }

    @Test(
        "ssl values as the templates read them",
        arguments: [
            (JSONValue?.none, TLSSetting.preferred), (.bool(true), .required), (.bool(false), .disabled),
            (.string("TRUE"), .required), (.string("false"), .disabled), (.string("yes"), .preferred),
            (.string("require"), .preferred), (.number("1"), .preferred), (.null, .preferred),
        ])
    func tlsSetting(value: JSONValue?, expected: TLSSetting) {
        #expect(TLSSetting(sslValue: value) == expected)
    }

    @Test("the _clone rule and PostgreSQL's 63-byte limit")
    func cloneNames() throws {
        #expect(try UserNames.alternate(of: "app", maximum: 63) == "app_clone")
        #expect(try UserNames.alternate(of: "app_clone", maximum: 63) == "app")
        #expect(try UserNames.alternate(of: "Über", maximum: 63) == "Über_clone")
        let longest = String(repeating: "a", count: 57)
        #expect(try UserNames.alternate(of: longest, maximum: 63) == longest + "_clone")
        let tooLong = "Unable to clone user, username length with _clone appended would exceed 63 characters"
        #expect(throws: DatabaseError(.invalidSecret, tooLong)) {
            try UserNames.alternate(of: longest + "a", maximum: 63)
        }
        #expect(throws: DatabaseError.self) { try UserNames.alternate(of: "_clone", maximum: 63) }
        // 29 two-byte characters are 58 bytes: the template would allow it, PostgreSQL would cut it short.
        #expect(throws: DatabaseError(.invalidSecret, tooLong)) {
            try UserNames.alternate(of: String(repeating: "é", count: 29), maximum: 63)
        }
    }

    @Test("makePendingSecret keeps every other key, value, type and the order")
    func pendingKeepsEverything() throws {
        let current = try SecretValue(
            secretString:
                #"{"engine":"postgres","host":"db","username":"app","password":"old","port":"5432","ssl":true,"custom":1.50,"masterarn":"arn:m"}"#
        )
        let context = SecretVersions().context(logger: LogRecorder().logger)
        let single = try SingleUserStrategy(
            driver: PostgresDriver(), configuration: DatabaseTargetConfiguration(caFile: nil)
        )
        .makePendingSecret(current: current, newPassword: "new", context: context)
        #expect(
            single.secretString
                == #"{"engine":"postgres","host":"db","username":"app","password":"new","port":"5432","ssl":true,"custom":1.50,"masterarn":"arn:m"}"#
        )
        let alternating = try AlternatingUsersStrategy(
            driver: PostgresDriver(), configuration: DatabaseTargetConfiguration(caFile: nil)
        )
        .makePendingSecret(current: current, newPassword: "new", context: context)
        #expect(
            alternating.secretString
                == #"{"engine":"postgres","host":"db","username":"app_clone","password":"new","port":"5432","ssl":true,"custom":1.50,"masterarn":"arn:m"}"#
        )
        let bad = try SecretValue(secretString: #"{"engine":"postgres","username":"app","password":"old"}"#)
        #expect(throws: RotationError.self) {
            try SingleUserStrategy(driver: PostgresDriver(), configuration: DatabaseTargetConfiguration(caFile: nil))
                .makePendingSecret(current: bad, newPassword: "n", context: context)
        }
    }
}
