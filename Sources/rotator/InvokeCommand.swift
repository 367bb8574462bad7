import ArgumentParser
import Rotation
import RotationOperations

#if canImport(Glibc)
    import Glibc
#endif

struct Invoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one rotation step from a JSON event file, in-process, exactly as Lambda would.")

    @Option(name: .shortAndLong, help: "The event file (see events/), or - for standard input.")
    var event: String

    @Option(help: "Seconds before the step's deadline, as the Lambda timeout would set it (1–900).")
    var timeout = 30

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (1...900).contains(timeout) else {
            throw ValidationError("--timeout must be 1 to 900 seconds (Lambda's limit).")
        }
    }

    func run() throws {
        guard let body = readEvent(event) else {
            throw failure(ConfigurationError("Cannot read the event file \(event)."))
        }
        do {
            let rotation = try common.makeRotation()
            let response = try rotation.invoke(event: body, timeoutSeconds: timeout)
            print(String(decoding: response, as: UTF8.self))
        } catch {
            throw failure(error)
        }
    }

    private func readEvent(_ path: String) -> [UInt8]? {
        // fdopen(0) rather than the global `stdin`, which Swift 6 treats as shared mutable state.
        let file = path == "-" ? fdopen(0, "rb") : fopen(path, "rb")
        guard let file else { return nil }
        defer { if path != "-" { fclose(file) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > 1 << 20 { return nil }  // No real event is anywhere near 1 MiB.
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
