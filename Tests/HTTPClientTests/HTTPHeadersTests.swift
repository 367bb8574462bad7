import HTTPClient
import Testing

@Suite("Header fields: names compare case-insensitively, as RFC 9110 says")
struct HTTPHeadersTests {
    @Test("lookup, set and remove fold ASCII letters only, and a longer or shorter name never matches")
    func caseInsensitiveNames() {
        var headers = HTTPHeaders([
            HTTPHeaders.Field(name: "Lambda-Runtime-Aws-Request-Id", value: "first"),
            HTTPHeaders.Field(name: "CONTENT-TYPE", value: "application/json"),
            HTTPHeaders.Field(name: "X-Ä", value: "non-ascii"),
        ])
        #expect(headers["lambda-runtime-aws-request-id"] == "first")
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["Content-Typ"] == nil)
        #expect(headers["Content-Types"] == nil)
        #expect(headers["Content_Type"] == nil)
        // Only ASCII letters fold: "@" (0x40) and "`" (0x60) differ by the same bit as "A" and "a".
        #expect(headers["X-Ä"] == "non-ascii")
        #expect(headers["x-ä"] == nil)
        headers.add(name: "@", value: "at")
        #expect(headers["`"] == nil)

        headers.set(name: "content-type", value: "text/plain")
        #expect(headers.fields.filter { $0.value == "application/json" }.isEmpty)
        #expect(headers["CONTENT-type"] == "text/plain")
        headers.remove(name: "LAMBDA-RUNTIME-AWS-REQUEST-ID")
        #expect(headers["Lambda-Runtime-Aws-Request-Id"] == nil)
    }
}
