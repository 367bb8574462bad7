import JSON
import Testing

@Suite("JSON")
struct JSONTests {
    @Test("member order, number literals and types survive a round trip")
    func roundTrip() throws {
        let text =
            #"{"engine":"postgres","port":"5432","n":5432,"f":1.50,"e":-2E+10,"ok":true,"none":null,"a":[1,{"z":0}],"u":"ሴ é"}"#
        let value = try JSONValue(parsing: text)
        #expect(value.serialized == text)
        #expect(value.objectValue?.keys == ["engine", "port", "n", "f", "e", "ok", "none", "a", "u"])
        #expect(value["n"]?.intValue == 5432)
        #expect(value["f"]?.doubleValue == 1.5)
        #expect(value["port"]?.stringValue == "5432")
    }

    @Test("replacing a member keeps its position; new members go last")
    func replaceKeepsPosition() throws {
        guard case .object(var object) = try JSONValue(parsing: #"{"username":"u","password":"old","host":"h"}"#) else {
            Issue.record("not an object")
            return
        }
        object["password"] = .string("new")
        object["extra"] = .bool(false)
        #expect(object.serialized == #"{"username":"u","password":"new","host":"h","extra":false}"#)
    }

    @Test(
        "escapes decode and re-encode",
        arguments: [
            (#""a\"b\\c\/d\n\t\u0001""#, "a\"b\\c/d\n\t\u{01}"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\u00e9""#, "é"),
        ])
    func escapes(literal: String, expected: String) throws {
        #expect(try JSONValue(parsing: literal).stringValue == expected)
        #expect(try JSONValue(parsing: JSONValue.quoted(expected)).stringValue == expected)
    }

    @Test(
        "serialisation escapes exactly what JSON requires, also where an escape and a combining mark form one Character",
        arguments: [
            ("\"\u{301}", #""\"\#u{301}""#), ("\r\n", #""\r\n""#), ("é\u{7F}x\u{1F}", #""é\u007fx\u001f""#),
            ("plain text", #""plain text""#), ("", #""""#), ("\\\u{0}😀", #""\\\u0000😀""#),
        ])
    func serialisation(text: String, expected: String) throws {
        #expect(JSONValue.quoted(text) == expected)
        #expect(try JSONValue(parsing: JSONValue.quoted(text)).stringValue == text)
    }

    @Test(
        "invalid documents are rejected with an offset, never with their content",
        arguments: [
            "", "{", #"{"a":}"#, "[1,]", "01", "1.", "-", "tru", #""\ud800""#, #""\x""#, "{} x", "\"a\u{01}\"",
            #"{"a" 1}"#, "[1 2]", "nul", "1e", #""\u12G4""#,
        ])
    func invalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("invalid UTF-8 in a string is rejected")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test("nesting beyond the limit fails instead of exhausting the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        #expect((try? JSONValue(parsing: "[[[[1]]]]")) != nil)
    }

    @Test("the error message does not echo the document")
    func errorHidesContent() {
        do {
            _ = try JSONValue(parsing: #"{"password":"hunter2-secret"#)
            Issue.record("expected a parse error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
