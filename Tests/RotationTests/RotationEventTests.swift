import JSON
import Rotation
import Testing

@Suite("Rotation event")
struct RotationEventTests {
    private func parse(_ text: String) throws(RotationError) -> RotationEvent {
        try RotationEvent(parsing: Array(text.utf8))
    }

    @Test("a complete event parses; unknown fields are ignored")
    func valid() throws {
        let event = try parse(
            #"{"Step":"setSecret","SecretId":"arn:x","ClientRequestToken":"t-1","RotationToken":"r-1","New":1}"#)
        #expect(
            event == RotationEvent(step: .setSecret, secretId: "arn:x", clientRequestToken: "t-1", rotationToken: "r-1")
        )
        #expect(try parse(#"{"Step":"createSecret","SecretId":"a","ClientRequestToken":"t"}"#).rotationToken == nil)
    }

    @Test(
        "a missing or wrongly typed field gives an error that names it",
        arguments: [
            (#"{"SecretId":"a","ClientRequestToken":"t"}"#, "\"Step\""),
            (#"{"Step":"setSecret","ClientRequestToken":"t"}"#, "\"SecretId\""),
            (#"{"Step":"setSecret","SecretId":"a"}"#, "\"ClientRequestToken\""),
            (
                #"{"Step":"setSecret","SecretId":5,"ClientRequestToken":"t"}"#,
                "\"SecretId\" field must be a string, not a number"
            ),
            (
                #"{"Step":["setSecret"],"SecretId":"a","ClientRequestToken":"t"}"#,
                "\"Step\" field must be a string, not a array"
            ),
            (
                #"{"Step":"setSecret","SecretId":"a","ClientRequestToken":null}"#,
                "\"ClientRequestToken\" field must be a string, not a null"
            ),
            (
                #"{"Step":"setSecret","SecretId":"a","ClientRequestToken":"t","RotationToken":7}"#,
                "\"RotationToken\" field must be a string"
            ),
            (#"{"Step":"setSecret","SecretId":"","ClientRequestToken":"t"}"#, "\"SecretId\" field is empty"),
        ])
    func fieldErrors(text: String, expected: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.errorType == "Rotation.InvalidEvent")
            #expect(error.errorMessage.contains(expected), "\(error.errorMessage)")
        }
    }

    @Test(
        "Step must be one of the four names, exactly",
        arguments: ["CreateSecret", "create_secret", "createsecret", " setSecret", ""])
    func stepSpelling(step: String) {
        #expect(throws: RotationError.self) {
            try parse(#"{"Step":"\#(step)","SecretId":"a","ClientRequestToken":"t"}"#)
        }
    }

    @Test(
        "bodies that are not a JSON object are rejected with a clear message",
        arguments: ["", "null", "[]", "\"x\"", "{", "\u{FF}"])
    func notAnObject(text: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.errorType == "Rotation.InvalidEvent")
            #expect(error.errorMessage.contains("Secrets Manager sends"))
        }
    }

    @Test("an event serialises back to the JSON Secrets Manager sends")
    func roundTrip() throws {
        let event = RotationEvent(step: .finishSecret, secretId: "s", clientRequestToken: "t", rotationToken: "r")
        #expect(try RotationEvent(parsing: Array(event.json.utf8)) == event)
    }
}
