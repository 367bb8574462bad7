import DatabaseRotation
import JSON
import Rotation
import TestSupport
import Testing

@testable import PostgresTarget

@Suite("Configuration, target selection and error sorting")
struct ConfigurationTests {
    @Test("CA file: ROTATOR_DB_CA_FILE, then AWS_CA_BUNDLE, then the first system bundle that exists")
    func caFileRules() throws {
        let all: (String) -> Bool = { _ in true }
        #expect(
            try DatabaseTargetConfiguration(
                environment: ["ROTATOR_DB_CA_FILE": "/db.pem", "AWS_CA_BUNDLE": "/aws.pem"],
                modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: all
            ).caFile == "/db.pem")
        #expect(
            try DatabaseTargetConfiguration(
                environment: ["AWS_CA_BUNDLE": "/aws.pem"], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: all
            ).caFile == "/aws.pem")
        #expect(
            try DatabaseTargetConfiguration(environment: [:], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: all)
                .caFile == "/etc/pki/tls/certs/ca-bundle.crt")
        #expect(
            try DatabaseTargetConfiguration(
                environment: [:], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: { $0 == "/etc/ssl/cert.pem" }
            ).caFile == "/etc/ssl/cert.pem")
        #expect(
            try DatabaseTargetConfiguration(
                environment: [:], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: { _ in false }
            ).caFile == nil)
    }

    @Test("mode and fallback switches")
    func switches() throws {
        let none: (String) -> Bool = { _ in false }
        let defaults = try DatabaseTargetConfiguration(
            environment: [:], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: none)
        #expect(
            defaults.mode == .automatic && !defaults.allowTLSFallback && defaults.connectTimeoutMilliseconds == 5_000)
        #expect(
            try DatabaseTargetConfiguration(
                environment: ["ROTATOR_POSTGRES_MODE": "Alternating"], modeVariable: "ROTATOR_POSTGRES_MODE",
                fileExists: none
            ).mode == .alternatingUsers)
        #expect(
            try DatabaseTargetConfiguration(
                environment: ["ROTATOR_POSTGRES_MODE": "single"], modeVariable: "ROTATOR_POSTGRES_MODE",
                fileExists: none
            ).mode == .singleUser)
        #expect(throws: DatabaseError.self) {
            try DatabaseTargetConfiguration(
                environment: ["ROTATOR_POSTGRES_MODE": "dual"], modeVariable: "ROTATOR_POSTGRES_MODE", fileExists: none)
        }
        for truthy in ["true", "1", "Y", "yes"] {
            #expect(
                try DatabaseTargetConfiguration(
                    environment: ["ROTATOR_ALLOW_TLS_FALLBACK": truthy], modeVariable: "ROTATOR_POSTGRES_MODE",
                    fileExists: none
                ).allowTLSFallback)
        }
        #expect(
            try !DatabaseTargetConfiguration(
                environment: ["ROTATOR_ALLOW_TLS_FALLBACK": "on"], modeVariable: "ROTATOR_POSTGRES_MODE",
                fileExists: none
            ).allowTLSFallback)
    }

    @Test("selection: masterarn or the mode decides the strategy")
    func selection() throws {
        let single = try SecretValue(secretString: #"{"engine":"postgres","host":"h","username":"u","password":"p"}"#)
        let multi = try SecretValue(
            secretString:
                #"{"engine":"aurora-postgresql","host":"h","username":"u","password":"p","masterarn":"arn:m"}"#)
        let automatic = DatabaseTargetConfiguration(caFile: nil)
        let target = DatabaseTarget(driver: PostgresDriver(), configuration: automatic)
        #expect(target.strategy(for: single) is SingleUserStrategy<PostgresDriver>)
        #expect(target.strategy(for: multi) is AlternatingUsersStrategy<PostgresDriver>)
        // "masterarn": null names no master secret; a wrongly typed one is reported by the alternating strategy.
        let nullMaster = try SecretValue(
            secretString: #"{"engine":"postgres","host":"h","username":"u","password":"p","masterarn":null}"#)
        #expect(!automatic.usesAlternatingUsers(nullMaster))
        let numberMaster = try SecretValue(
            secretString: #"{"engine":"postgres","host":"h","username":"u","password":"p","masterarn":7}"#)
        #expect(automatic.usesAlternatingUsers(numberMaster))
        #expect(!DatabaseTargetConfiguration(mode: .singleUser, caFile: nil).usesAlternatingUsers(multi))
        #expect(DatabaseTargetConfiguration(mode: .alternatingUsers, caFile: nil).usesAlternatingUsers(single))
    }

    @Test("the postgres TargetChoice: engines, the templates' exclusions, a bad mode fails at start-up")
    func choice() throws {
        let choice = PostgresDriver.choice
        #expect(choice.name == "postgres" && choice.engines == ["postgres", "aurora-postgresql"])
        let target = try choice.make(["ROTATOR_DB_CA_FILE": "/ca.pem"])
        #expect(target is DatabaseTarget<PostgresDriver> && target.name == "postgres")
        #expect(target.defaultExcludeCharacters == ":/@\"'\\")
        #expect(throws: ConfigurationError.self) { try choice.make(["ROTATOR_POSTGRES_MODE": "both"]) }
    }

    @Test("the postgres target picks the strategy per secret: masterarn toggles the user name")
    func dispatch() throws {
        let target = DatabaseTarget(driver: PostgresDriver(), configuration: DatabaseTargetConfiguration(caFile: nil))
        let context = SecretVersions().context(logger: LogRecorder().logger)
        let single = try SecretValue(secretString: #"{"engine":"postgres","host":"h","username":"u","password":"p"}"#)
        let multi = try SecretValue(
            secretString: #"{"engine":"postgres","host":"h","username":"u","password":"p","masterarn":"arn:m"}"#)
        #expect(
            try target.makePendingSecret(current: single, newPassword: "n", context: context).string("username") == "u")
        #expect(
            try target.makePendingSecret(current: multi, newPassword: "n", context: context).string("username")
                == "u_clone")
    }

    @Test(
        "libpq connection messages sort into categories",
        arguments: [
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "u""#,
                DatabaseError.Category.authentication
            ),
            (
                #"connection to server at "db" (10.0.0.1), port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.2", user "u", database "d", SSL off"#,
                .authentication
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "ghost" does not exist"#,
                .authentication
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "nope" does not exist"#,
                .configuration
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "u" is not permitted to log in"#,
                .permission
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  permission denied for database "d" DETAIL:  User does not have CONNECT privilege."#,
                .permission
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?"#,
                .network
            ),
            (#"could not translate host name "nowhere.invalid" to address: Name or service not known"#, .network),
            (
                #"connection to server at "ssl.example.com" (10.0.0.1), port 5432 failed: FATAL:  the database system is shutting down"#,
                .network
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: server does not support SSL, but SSL was required"#,
                .tls
            ),
            (#"connection to server at "127.0.0.1", port 5432 failed: SSL error: certificate verify failed"#, .tls),
            (
                #"connection to server at "db", port 5432 failed: server certificate for "other" does not match host name "db""#,
                .tls
            ),
            (
                #"connection to server at "localhost" (::1), port 5432 failed: Connection refused connection to server at "localhost" (127.0.0.1), port 5432 failed: SSL error: certificate verify failed"#,
                .tls
            ),
            (
                #"connection to server at "127.0.0.1", port 5432 failed: root certificate file "/x.pem" does not exist"#,
                .configuration
            ),
            // A server with lc_messages=de_DE: unrecognised, and not taken for an unreachable host.
            (
                #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  Passwort-Authentifizierung für Benutzer »u« fehlgeschlagen"#,
                .connectionFailed
            ),
        ])
    func connectionMessages(message: String, expected: DatabaseError.Category) {
        #expect(DatabaseErrorClassifier.category(connectionMessage: message) == expected)
    }

    @Test("SQLSTATEs sort into categories")
    func sqlStates() {
        #expect(DatabaseErrorClassifier.category(sqlState: "42501") == .permission)
        #expect(DatabaseErrorClassifier.category(sqlState: "28P01") == .authentication)
        #expect(DatabaseErrorClassifier.category(sqlState: "28000") == .authentication)
        #expect(DatabaseErrorClassifier.category(sqlState: "08006") == .network)
        #expect(DatabaseErrorClassifier.category(sqlState: "57P01") == .network)
        #expect(DatabaseErrorClassifier.category(sqlState: "42710") == .query)
        #expect(DatabaseError(.tls, "x").rotationError(templateMessage: "T") == .target(.tls, message: "T (tls: x)"))
        #expect(
            DatabaseError(.invalidSecret, "host key is missing from secret JSON").rotationError
                == .invalidSecret("host key is missing from secret JSON"))
    }

    @Test("connection parameters never show the password; no attempt without time left")
    func parameters() {
        let parameters = DatabaseLogin(
            host: "db", port: 5432, user: "u", password: "s3cr3t-pw", database: "d",
            tls: .verifyFull(caFile: "/ca.pem"))
        #expect(!parameters.description.contains("s3cr3t-pw") && !"\(parameters)".contains("s3cr3t-pw"))
        let pairs = parameters.libpqParameters(addresses: ["10.0.0.1", "10.0.0.2"])
        #expect(pairs.contains { $0 == ("sslmode", "verify-full") })
        // libpq connects to the resolved addresses and verifies the certificate against the name.
        #expect(
            pairs.contains { $0 == ("host", "db,db") } && pairs.contains { $0 == ("hostaddr", "10.0.0.1,10.0.0.2") })
        var renamed = parameters
        renamed.serverName = "mydb.abc.eu-west-1.rds.amazonaws.com"
        #expect(
            renamed.libpqParameters(addresses: ["10.0.0.1"]).contains {
                $0 == ("host", "mydb.abc.eu-west-1.rds.amazonaws.com")
            })
        #expect(throws: DatabaseError.self) {
            _ = try PostgresConnection(login: parameters, deadline: .after(milliseconds: 900))
        }
    }
}
