import Foundation
import HTTPClient
import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// A local API that issues, lists, tests and revokes keys (`scripts/api_keys_server.py`), shaped like SendGrid's
/// API keys and Cloudflare's user tokens: over HTTPS with the test CA's certificate (or plain HTTP on loopback,
/// for a proxy that must read the requests). Its `/_admin/` routes seed keys, report them, and inject faults.
package final class APIKeysServer: @unchecked Sendable {
    package let certificates: TestCertificates
    package let tls: Bool
    /// Set once in `init` (its launch closure needs `self`, so it cannot be a `let`).
    private var server: ServerProcess?
    private let logFile: URL

    package typealias Key = APIKeysAdmin.Key

    package init(tls: Bool = true) throws {
        try TestLane.allowServer("the API-keys server")
        certificates = try TestCertificates.shared.get()
        self.tls = tls
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("api-keys-\(UUID().uuidString).log")
        server = ServerProcess(
            name: "API-keys server", stopping: .init(signal: SIGTERM, seconds: 5, hardSignal: SIGKILL),
            launch: { [unowned self] port in try launch(port: port) })
        try server?.start()
    }

    deinit {
        server?.stop()
        try? FileManager.default.removeItem(at: logFile)
    }

    package var port: Int { server?.port ?? 0 }
    /// What a recipe's `baseURL` is for this server.
    package var baseURL: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    package func stop() { server?.stop() }

    private func launch(port: Int) throws -> Process {
        let arguments =
            ["--port", String(port), "--watch-parent"]
            + (tls ? ["--cert", certificates.serverCertificateFile, "--key", certificates.serverKeyFile] : ["--plain"])
        let process = try PythonScript.start("api_keys_server.py", arguments, log: logFile)
        let giveUp = Date().addingTimeInterval(20)
        while Date() < giveUp {
            if FreePort.isAccepting(port: port) { return process }
            guard process.isRunning else {
                let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                throw ServerError("the API-keys server exited before listening on \(port): \(text.suffix(2_000))")
            }
            usleep(30_000)
        }
        process.terminate()
        throw ServerError("the API-keys server did not listen on port \(port) within 20 s")
    }
}

extension APIKeysServer: APIKeysAdministration {
    package var caFile: String? { tls ? certificates.caFile : nil }
}
