import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts programs with posix_spawn, the cheapest way to start a process, so benchmarks time the program
/// and not the launcher; and collects their resource use with wait4.
package enum Spawn {
    package struct Finished: Sendable {
        package var status: Int32
        /// Peak resident set size (ru_maxrss), in kilobytes.
        package var maxRSSKilobytes: Int
    }

    /// Starts `path` with `environment`; output goes to /dev/null. Returns the process id.
    package static func start(_ path: String, arguments: [String] = [], environment: [String: String]) throws -> pid_t {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { throw ServerError("posix_spawn \(path) failed: \(result)") }
        return pid
    }

    /// Waits for `pid` and returns its exit status and peak memory.
    package static func wait(_ pid: pid_t) -> Finished {
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
        return Finished(status: exitStatus, maxRSSKilobytes: Int(usage.ru_maxrss))
    }
}
