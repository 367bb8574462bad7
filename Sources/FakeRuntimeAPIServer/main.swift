import Foundation
import JSON
import TestSupport

// The test suite's fake Lambda Runtime API as a program, for the package test's shell script (the zip in a chroot):
//
//   FakeRuntimeAPIServer --events events.json --record calls.jsonl --port-file port [--deadline-ms 60000]
//
// Serves the events of a JSON array (each item the event payload, or {"payload": ..., "requestId": ...,
// "headers": {...}}), one per GET /runtime/invocation/next; then answers 500, so a correct runtime exits. Writes one
// JSON line per call to the record file: {"kind": "next"|"response"|"error"|"init-error", "status", "requestId",
// "errorType", "body" (parsed JSON, or text)}. Runs until killed (SIGTERM); each line is written as it happens.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("FakeRuntimeAPIServer: \(message)\n".utf8))
    exit(2)
}

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else {
        fail("usage: --events F --record F [--port-file F] [--deadline-ms N]")
    }
    options[String(name.dropFirst(2))] = value
}
guard let eventsPath = options["events"], let recordPath = options["record"] else {
    fail("--events and --record are required")
}
let deadlineSeconds = Double(options["deadline-ms"] ?? "60000").map { $0 / 1000 } ?? 60
guard let eventsData = FileManager.default.contents(atPath: eventsPath),
    case .array(let items)? = try? JSONValue(parsing: [UInt8](eventsData))
else { fail("--events must name a file holding a JSON array") }

let script: [FakeRuntimeAPI.Next] = items.enumerated().map { index, item in
    let payload = item["payload"] ?? item
    let requestID =
        item["requestId"]?.stringValue ?? String(format: "req-%04d-8476a536-e9f4-11e8-9739-2dfe598c3fcd", index + 1)
    let extra = (item["headers"]?.objectValue?.members ?? []).compactMap { member in
        member.value.stringValue.map { (member.key, $0) }
    }
    return .event(
        .init(requestID: requestID, body: payload.serializedBytes, extra: extra, deadlineSeconds: deadlineSeconds))
}

/// The record file, one JSON line per call, written from the server's threads.
final class RecordFile: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(path: String) {
        // createFile replaces what is at `path` (it writes a new file and renames it over the old one), which would
        // turn `--record /dev/null` into a regular file: an existing file is opened and emptied instead.
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { fail("cannot write \(path)") }
        try? handle.truncate(atOffset: 0)  // a device such as /dev/null cannot be truncated, and need not be
        self.handle = handle
    }

    func write(_ entry: JSONObject) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data((entry.serialized + "\n").utf8))
    }
}
let record = RecordFile(path: recordPath)

let fake = try FakeRuntimeAPI(
    script: script,
    journal: { call in
        switch call {
        case .next(let status, let requestID):
            var entry = JSONObject(["kind": .string("next"), "status": .integer(status)])
            if let requestID { entry["requestId"] = .string(requestID) }
            record.write(entry)
        case .post(let post):
            let kind =
                switch post.kind {
                case .response: "response"
                case .error: "error"
                case .initError: "init-error"
                }
            var entry = JSONObject(["kind": .string(kind), "status": .integer(post.status)])
            if let id = post.requestID { entry["requestId"] = .string(id) }
            if let type = post.errorTypeHeader { entry["errorType"] = .string(type) }
            entry["body"] = (try? JSONValue(parsing: post.request.body)) ?? .string(post.bodyText)
            record.write(entry)
        }
    })

if let portFile = options["port-file"] {
    // Published atomically: the shell script waits for the file to be non-empty.
    try String(fake.server.port).write(toFile: portFile + ".tmp", atomically: false, encoding: .utf8)
    try FileManager.default.moveItem(atPath: portFile + ".tmp", toPath: portFile)
}
while true { sleep(3600) }
