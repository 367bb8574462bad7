import Timekeeping

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A profile's `credential_process`: a program that prints credentials as JSON on standard output
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html). IAM Identity Center (SSO)
/// profiles work through it: `credential_process = aws configure export-credentials --profile sso-profile
/// --format process`.
///
/// The command line is split as a POSIX shell would split words (quotes and backslashes, no expansion) and run
/// without a shell. Its standard error is read and dropped, never shown: programs of this kind print tokens
/// there when asked to debug. Messages name only the program, since arguments can hold secrets too.
struct CredentialProcess: Sendable {
    let arguments: [String]
    let origin: String
    /// Longer than an interactive SSO login's browser round trip needs, shorter than a hung program deserves.
    static let timeoutMilliseconds = 60_000
    static let maximumOutputBytes = 64 << 10

    /// - Throws: when the command line is empty or has an unterminated quote.
    init(commandLine: String, profile: String) throws(CredentialError) {
        guard let words = Self.words(commandLine), let program = words.first else {
            throw CredentialError(
                "credential_process of profile \"\(profile)\" is empty or has an unterminated quote")
        }
        arguments = words
        origin = "credential_process \(Self.programName(program)) of profile \"\(profile)\""
    }

    func run(environment: [String: String]) throws(CredentialError) -> ExpiringCredentials {
        let output = try ChildOutput.run(arguments, environment: environment, origin: origin)
        return try CredentialDocument.read(output, origin: origin, requiresVersion1: true)
    }

    /// The last path component: enough to recognise the program, without a directory that may name a user.
    private static func programName(_ program: String) -> String {
        String(program.split(separator: "/").last ?? Substring(program))
    }

    /// Words as `sh` splits them, without expansions: whitespace separates; '…' is literal; "…" keeps all but
    /// `\"`, `\\`, `\$` and `` \` ``; a backslash outside quotes keeps the next character. `nil` for an open quote.
    static func words(_ line: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "'":
                inWord = true
                guard let end = characters.firstIndex(of: "'") else { return nil }
                current += String(characters[..<end])
                characters = characters[(end + 1)...]
            case "\"":
                inWord = true
                var closed = false
                while let next = characters.popFirst() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\", let escaped = characters.first, "\"\\$`".contains(escaped) {
                        current.append(escaped)
                        characters = characters.dropFirst()
                    } else {
                        current.append(next)
                    }
                }
                guard closed else { return nil }
            case "\\":
                inWord = true
                if let escaped = characters.popFirst(), escaped != "\n" { current.append(escaped) }
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

/// Runs a program without a shell and returns its standard output, bounded in size and time.
enum ChildOutput {
    static func run(_ arguments: [String], environment: [String: String], origin: String) throws(CredentialError)
        -> [UInt8]
    {
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard openPipe(&output) else { throw CredentialError("cannot start \(origin): pipe failed") }
        guard openPipe(&errors) else {
            close(output[0])
            close(output[1])
            throw CredentialError("cannot start \(origin): pipe failed")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        var spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        // ETXTBSY: another thread's fork still holds the program open for writing (a script just written); it
        // closes as soon as that child execs.
        for _ in 0..<5 where spawned == ETXTBSY {
            usleep(20_000)
            spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        }
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        close(output[1])
        close(errors[1])
        defer {
            close(output[0])
            close(errors[0])
        }
        guard spawned == 0 else {
            throw CredentialError("cannot start \(origin): \(String(cString: strerror(spawned)))")
        }
        let (stdout, stderrBytes, finished) = drain(
            output: output[0], errors: errors[0], timeoutMilliseconds: CredentialProcess.timeoutMilliseconds)
        if !finished { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let hidden =
            stderrBytes > 0
            ? "; its standard error (\(stderrBytes) bytes) is not shown, as it may hold secrets: run the command yourself to read it"
            : ""
        guard finished else {
            throw CredentialError(
                "\(origin) did not finish within \(CredentialProcess.timeoutMilliseconds / 1_000) s or printed more than \(CredentialProcess.maximumOutputBytes) bytes, and was stopped\(hidden)"
            )
        }
        let exited = (status & 0x7F) == 0
        guard exited && (status >> 8) & 0xFF == 0 else {
            let how = exited ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
            throw CredentialError("\(origin) \(how)\(hidden)")
        }
        return stdout
    }

    /// A pipe whose ends close on exec, so only the child's dup2'd copies reach it. (Glibc's module map has no
    /// `pipe2`; the tool is single-threaded, so nothing can spawn between the two calls.)
    private static func openPipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Reads both pipes until both close, the output grows too large, or the time is up (`finished` false).
    private static func drain(output: Int32, errors: Int32, timeoutMilliseconds: Int)
        -> (output: [UInt8], errorBytes: Int, finished: Bool)
    {
        var collected: [UInt8] = []
        var errorBytes = 0
        var open: [Int32] = [output, errors]
        let started = MonotonicClock.milliseconds()
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while !open.isEmpty {
            let left = Int64(timeoutMilliseconds) - (MonotonicClock.milliseconds() - started)
            guard left > 0 else { return (collected, errorBytes, false) }
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    open.removeAll { $0 == descriptor.fd }
                    continue
                }
                if descriptor.fd == output {
                    collected += chunk[..<count]
                    if collected.count > CredentialProcess.maximumOutputBytes { return (collected, errorBytes, false) }
                } else {
                    errorBytes += count
                }
            }
        }
        return (collected, errorBytes, true)
    }
}
