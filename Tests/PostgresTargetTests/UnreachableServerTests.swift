import DatabaseRotation
import Foundation
import JSON
import Rotation
import TestSupport
import TestTags
import Testing

@testable import PostgresTarget

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Server down, unreachable or out of time: a clear error, nothing changed", .tags(.server))
struct UnreachableServerTests {
    @Test("server stopped: a network error naming the cause, AWSPENDING untouched, password unchanged after restart")
    func serverDown() throws {
        let server = try PostgresServer()
        let oldPassword = randomPassword()
        let newPassword = randomPassword()
        try server.createRole("app_user", password: oldPassword)
        let current = postgresSecret(port: server.port, username: "app_user", password: oldPassword)
        let pending = current.with("password", .string(newPassword))
        let versions = SecretVersions(current: current, pending: pending)
        let logs = LogRecorder()
        let target = SingleUserStrategy(driver: PostgresDriver(), configuration: server.configuration())
        server.stop()

        let started = Date()
        let error = targetError { try target.setSecret(versions.context(logger: logs.logger)) }
        #expect(error?.type == "Target.Network")
        #expect(
            error?.message.hasPrefix(
                "Unable to log into database with previous, current, or pending secret of secret arn \(SecretVersions.arn) (network: "
            ) == true)
        #expect(error?.message.contains("Connection refused") == true)
        #expect(Date().timeIntervalSince(started) < 3)
        // One attempt reached the network: the current credential was not tried against a host known to be down.
        #expect(
            logs.contains(
                .info,
                "Not logging in as user 'app_user' (AWSCURRENT) on host '127.0.0.1': unreachable earlier in this step"))
        #expect(versions["AWSPENDING"] == pending)

        try server.start()
        #expect(server.logsIn("app_user", oldPassword))
        #expect(!server.logsIn("app_user", newPassword))
    }

    @Test("a host that accepts TCP but never answers: the attempt ends at the connect timeout")
    func silentHost() throws {
        let listener = try SilentListener()
        let current = postgresSecret(port: listener.port, username: "app_user", password: randomPassword())
        let versions = SecretVersions(current: current, pending: current.with("password", .string(randomPassword())))
        var configuration = DatabaseTargetConfiguration(caFile: "/nonexistent-is-fine-here.pem")
        configuration.connectTimeoutMilliseconds = 1_500
        let target = SingleUserStrategy(driver: PostgresDriver(), configuration: configuration)

        let started = Date()
        let error = targetError { try target.testSecret(versions.context(logger: LogRecorder().logger)) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error?.type == "Target.Network")
        #expect(
            error?.message.contains(
                "timeout expired after 1500 ms connecting to app_user@127.0.0.1:\(listener.port)/postgres") == true)
        #expect(elapsed >= 1.4 && elapsed < 3)
    }

    @Test("the Lambda deadline cuts a connection attempt short, and no attempt starts with less than a second left")
    func deadline() throws {
        let listener = try SilentListener()
        let current = postgresSecret(port: listener.port, username: "app_user", password: randomPassword())
        let versions = SecretVersions(current: current, pending: current.with("password", .string(randomPassword())))
        let target = SingleUserStrategy(
            driver: PostgresDriver(), configuration: DatabaseTargetConfiguration(caFile: "/unused.pem"))
        let logs = LogRecorder()

        let started = Date()
        let error = targetError {
            try target.setSecret(versions.context(logger: logs.logger, deadline: .after(milliseconds: 2_500)))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error?.type == "Target.Timeout")
        #expect(elapsed >= 1.9 && elapsed < 2.5)
        // The pending attempt used the time; the current one did not start.
        #expect(
            logs.contains(
                .info,
                "(AWSCURRENT) with host '127.0.0.1' over SSL/TLS failed: timeout: not connecting to app_user@127.0.0.1")
        )

        let late = targetError {
            try target.testSecret(versions.context(logger: logs.logger, deadline: .after(milliseconds: 1_200)))
        }
        #expect(late?.type == "Target.Timeout")
        #expect(late?.message.contains("left before the Lambda deadline") == true)
        #expect(listener.connectionsAccepted() == 1)
    }

    @Test("the statement log is on: a canary shows up in it, so the password scans mean something")
    func logIsScannable() throws {
        let server = try PostgresServer()
        let canary = "canary-" + randomAlphanumericForTests()
        try server.execute("SELECT '\(canary)'")
        #expect(server.log().contains(canary))
    }
}

private func randomAlphanumericForTests() -> String {
    String(randomPassword(length: 40).filter { $0.isLetter || $0.isNumber })
}

/// A TCP port on 127.0.0.1 that completes handshakes (the kernel does) but never reads or answers: a server
/// that hangs, or a firewall that black-holes after the SYN.
final class SilentListener {
    let port: Int
    private let socketFD: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0, listen(fd, 16) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard fd >= 0, result == 0 else { throw TestServerError("silent listener: errno \(errno)") }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// How many connections are waiting in the backlog (accepts and closes them to count).
    func connectionsAccepted() -> Int {
        var count = 0
        var flags = fcntl(socketFD, F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(socketFD, F_SETFL, flags)
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { break }
            close(client)
            count += 1
        }
        return count
    }

    deinit { close(socketFD) }
}
