import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Name resolution of the test's own making for a child process: its own `/etc/hosts` (extra names for
/// 127.0.0.1, such as an RDS endpoint or a CNAME) and its own `/etc/resolv.conf` (a DNS server that never
/// answers), bind-mounted in a private mount namespace (`unshare -m`, as root) so the machine is not touched.
package struct IsolatedNames: Sendable {
    /// `name → address` lines added to the machine's `/etc/hosts`.
    package var hosts: [(name: String, address: String)]
    /// The only DNS server the child may ask, or `nil` for the machine's.
    package var nameserver: String?

    package init(hosts: [(name: String, address: String)] = [], nameserver: String? = nil) {
        self.hosts = hosts
        self.nameserver = nameserver
    }

    /// `unshare` with arguments that run `executable arguments` under these names, and the files to remove after.
    func command(executable: URL, arguments: [String]) throws -> (URL, [String], [URL]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let hostsFile = folder.appendingPathComponent("hosts")
        let machineHosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? "127.0.0.1 localhost\n"
        try (machineHosts + "\n" + hosts.map { "\($0.address) \($0.name)" }.joined(separator: "\n") + "\n")
            .write(to: hostsFile, atomically: true, encoding: .utf8)
        var script = #"mount --bind "$1" /etc/hosts"#
        var files = [hostsFile.path]
        if let nameserver {
            let resolvFile = folder.appendingPathComponent("resolv.conf")
            try "nameserver \(nameserver)\n".write(to: resolvFile, atomically: true, encoding: .utf8)
            script += #" && mount --bind "$2" /etc/resolv.conf"#
            files.append(resolvFile.path)
        } else {
            files.append("-")
        }
        script += #" && shift 2 && exec "$@""#
        let unshareArguments = ["-m", "/bin/sh", "-c", script, "sh"] + files + [executable.path] + arguments
        return (URL(fileURLWithPath: "/usr/bin/unshare"), unshareArguments, [folder])
    }
}

/// A UDP "DNS server" that reads every query and answers none: name resolution through it hangs until the
/// resolver's own timeout.
package final class SilentDNSServer: @unchecked Sendable {
    package let address: String
    private let socketFD: Int32

    /// Binds `address`:53 (a 127.x.y.z address, as root).
    package init(address: String = "127.0.0.9") throws {
        self.address = address
        socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socketFD >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var bindAddress = sockaddr_in()
        bindAddress.sin_family = sa_family_t(AF_INET)
        bindAddress.sin_port = UInt16(53).bigEndian
        bindAddress.sin_addr.s_addr = inet_addr(address)
        let bound = withUnsafePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(socketFD)
            throw ServerError("bind \(address):53 failed: errno \(errno)")
        }
        let descriptor = socketFD
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while buffer.withUnsafeMutableBytes({ recv(descriptor, $0.baseAddress, $0.count, 0) }) >= 0 {}
        }.start()
    }

    package func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    deinit { stop() }
}
