import Testing

@testable import RedisTarget

/// The RESP2 encoder and reader, without a server.
@Suite struct RESPTests {
    static func parse(_ text: String) throws -> (value: RESPValue, consumed: Int)? {
        try RESP.parse(Array(text.utf8)[...])
    }

    @Test("a command is an array of bulk strings, byte counts in UTF-8, so no argument is read as syntax")
    func encoding() {
        #expect(
            String(decoding: RESP.encode(["ACL", "SETUSER", "app", "#ab\r\n"]), as: UTF8.self)
                == "*4\r\n$3\r\nACL\r\n$7\r\nSETUSER\r\n$3\r\napp\r\n$5\r\n#ab\r\n\r\n")
        #expect(String(decoding: RESP.encode(["é"]), as: UTF8.self) == "*1\r\n$2\r\né\r\n")
    }

    @Test("every RESP2 reply type, and how many bytes it took")
    func replies() throws {
        #expect(try Self.parse("+OK\r\n")?.value == .simple("OK"))
        #expect(
            try Self.parse("-NOPERM this user has no permissions\r\n")?.value
                == .error("NOPERM this user has no permissions"))
        #expect(try Self.parse(":-42\r\n")?.value == .integer(-42))
        #expect(try Self.parse("$5\r\na\r\nbc\r\n")?.value == .bulk(Array("a\r\nbc".utf8)))
        #expect(try Self.parse("$-1\r\n")?.value == .bulk(nil))
        #expect(try Self.parse("*-1\r\n")?.value == .array(nil))
        let nested = try #require(try Self.parse("*2\r\n*1\r\n:1\r\n$0\r\n\r\n+next\r\n"))
        #expect(nested.value == .array([.array([.integer(1)]), .bulk([])]))
        #expect(nested.consumed == 18)
    }

    @Test("a reply cut anywhere is incomplete, not an error")
    func incomplete() throws {
        let whole = "*3\r\n$4\r\nuser\r\n+on\r\n*1\r\n$2\r\n~*\r\n"
        for end in 0..<whole.utf8.count {
            #expect(try RESP.parse(Array(whole.utf8).prefix(end)[...]) == nil, "cut at \(end)")
        }
        #expect(try Self.parse(whole)?.consumed == whole.utf8.count)
    }

    @Test(
        "bytes no RESP2 reply can be are refused, saying where, never what",
        arguments: [
            "?x\r\n", ":12a\r\n", "$3\r\nabcd\r\n", "$-2\r\n", "*999999999\r\n", "$99999999999\r\n", "+a\rb\r\n",
            String(repeating: "*1\r\n", count: 40) + ":1\r\n",
        ])
    func malformed(text: String) {
        let error = #expect(throws: RESPError.self) { try Self.parse(text) }
        #expect(error?.description.hasPrefix("not a RESP reply at byte") == true)
    }
}

/// Reading `ACL LIST` lines back as rules.
@Suite struct ACLRulesTests {
    @Test("passwords go, every other rule stays in order, selectors stay whole")
    func rules() {
        let line =
            "on sanitize-payload #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 nopass ~app:* resetchannels &app:* -@all +get +set (~other:* +get) (~x:* &y +@read)"
        #expect(
            ACLRules.withoutPasswords(line)
                == [
                    "on", "sanitize-payload", "~app:*", "resetchannels", "&app:*", "-@all", "+get", "+set",
                    "(~other:* +get)", "(~x:* &y +@read)",
                ])
        #expect(ACLRules.withoutPasswords("off >plain <gone !abc resetpass -@all") == ["off", "-@all"])
        #expect(ACLRules.withoutPasswords("on (~a:* +get") == nil)
        #expect(ACLRules.withoutPasswords("on ~a:*) +get") == nil)
    }
}
