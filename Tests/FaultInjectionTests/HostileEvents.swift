import Foundation
import JSON
import TestSupport

/// Events and Runtime API answers, generated and mutated: wrong types, huge strings, deep nesting, invalid UTF-8,
/// duplicated keys and headers, missing headers, absurd deadlines, and some well-formed rotation events (which
/// reach Secrets Manager and fail fast there). Seeded, so a failure can be replayed.
struct HostileEvents {
    private var random: SeededRandom
    private(set) var produced = 0
    /// Events that carry a request id, and so must be answered.
    private(set) var answerable = 0
    private var lastWasUnanswerable = false

    init(random: SeededRandom) {
        self.random = random
    }

    private mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }

    mutating func next() -> FakeRuntimeAPI.Next {
        produced += 1
        let id = "fuzz-\(produced)"
        var headers: [(String, String)] = [
            ("Lambda-Runtime-Aws-Request-Id", id),
            ("Lambda-Runtime-Deadline-Ms", String(Int64(Date().timeIntervalSince1970 * 1000) + 10_000)),
            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:rotator"),
        ]
        // Never two unanswerable answers in a row: four would (rightly) make the runtime give up.
        if !lastWasUnanswerable && below(200) == 0 {
            lastWasUnanswerable = true
            return below(2) == 0
                ? .status([400, 404, 429][below(3)])
                : .event(.init(rawHeaders: Array(headers.dropFirst()), body: body()))
        }
        lastWasUnanswerable = false
        answerable += 1
        if below(10) < 3 { mutate(&headers) }
        return .event(.init(rawHeaders: headers, body: body()))
    }

    private mutating func mutate(_ headers: inout [(String, String)]) {
        switch below(6) {
        case 0:
            let absurd = ["0", "-1", "abc", "99999999999999999999999", "1", String(Int64.max), "", "1e12", " 5"]
            headers[1].1 = absurd[below(absurd.count)]
        case 1: headers.remove(at: 1)  // no deadline
        case 2: headers.append(("Lambda-Runtime-Aws-Request-Id", "second-\(produced)"))  // duplicated: the first counts
        case 3: headers.remove(at: 2)  // no function ARN
        case 4: headers.append(("Lambda-Runtime-Trace-Id", String(repeating: "T", count: 8_000)))
        default: headers.append(("X-Random-\(below(1000))", String(random.next())))
        }
    }

    private mutating func body() -> [UInt8] {
        switch below(20) {
        case 0, 1, 2:
            let step = ["createSecret", "setSecret", "testSecret", "finishSecret", "CreateSecret", ""][below(6)]
            return Array(
                #"{"Step":"\#(step)","SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:s-\#(below(100))","ClientRequestToken":"\#(UUID().uuidString)"}"#
                    .utf8)
        case 3: return (0..<below(2_048)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 4: return Array(#"{"Step":\#(below(9)),"SecretId":[true],"ClientRequestToken":{"a":null}}"#.utf8)
        case 5: return Array(#"{"Step":"setSecret"}"#.utf8)
        case 6:
            // A huge string, now and then a megabyte.
            let size = below(100) == 0 ? 1 << 20 : below(65_536)
            return Array(#"{"Step":"setSecret","SecretId":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: size)
                + Array(#"","ClientRequestToken":"t"}"#.utf8)
        case 7:
            let depth = 1 + below(20_000)
            return Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
        case 8:
            // {"Step":"<invalid UTF-8>"}
            return [0x7B, 0x22, 0x53, 0x74, 0x65, 0x70, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D]
        case 9:
            return Array(#"{"Step":"createSecret","Step":"finishSecret","SecretId":"s","ClientRequestToken":"t"}"#.utf8)
        case 10: return Array(#"{"Step":NaN,"SecretId":Infinity}"#.utf8)
        case 11: return []
        case 12: return Array(#"{"Step":"\ud800","SecretId":"\u0000","ClientRequestToken":"\uffff"}"#.utf8)
        case 13: return Array(String(repeating: #"{"a":"#, count: below(300)).utf8)
        default:
            let keys = ["Step", "SecretId", "ClientRequestToken", "RotationToken", "Extra"]
            var object = JSONObject()
            for key in keys where below(3) != 0 {
                object[key] =
                    [
                        JSONValue.string("createSecret"), .integer(below(10)), .null, .bool(true), .array([]),
                        .string(String(repeating: "é", count: below(100))),
                    ][below(6)]
            }
            return Array(object.serialized.utf8)
        }
    }
}
