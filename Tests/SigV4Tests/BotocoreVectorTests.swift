import SigV4
import Testing

/// Secrets Manager requests the official suite does not cover (session token, non-ASCII body, ports),
/// checked against botocore. See `BotocoreVector` for how the expected values were produced.
@Suite struct BotocoreVectorTests {
    @Test func vectorsArePresent() throws {
        _ = try BotocoreVector.load()
        #expect(BotocoreVector.all.count == 4)
        // The cases the issue asks for are really among them.
        #expect(BotocoreVector.all.contains { $0.sessionToken != nil })
        #expect(BotocoreVector.all.contains { $0.body.utf8.contains(where: { $0 >= 0x80 }) })
        #expect(BotocoreVector.all.contains { $0.host.hasSuffix(":4566") })
    }

    @Test(arguments: BotocoreVector.all)
    func signsLikeBotocore(_ vector: BotocoreVector) {
        let signer = SigV4Signer(
            credentials: Credentials(
                accessKeyId: vector.accessKeyId, secretAccessKey: vector.secretAccessKey,
                sessionToken: vector.sessionToken),
            region: vector.region, service: "secretsmanager")
        let request = SignableRequest(
            method: "POST", path: "/",
            headers: [
                ("Host", vector.host), ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "secretsmanager.\(vector.operation)"),
                // Never signed: proxies rewrite it and moto's verifier drops it.
                ("User-Agent", "rotator-test/1"),
            ],
            body: Array(vector.body.utf8))
        let date = SigningDate(secondsSinceEpoch: vector.epochSeconds)
        let signature = signer.sign(request, at: date)

        #expect(date.amzDate == vector.amzDate, "X-Amz-Date")
        #expect(signature.canonicalRequest.signedHeaders == vector.signedHeaders, "signed headers")
        #expect(signature.canonicalRequest.text == vector.canonicalRequest, "canonical request")
        #expect(signature.stringToSign == vector.stringToSign, "string to sign")
        #expect(signature.signature == vector.signature, "signature")
        #expect(signature.authorization == vector.authorization, "Authorization header")
        #expect(!signature.headersToAdd.contains { $0.name.lowercased() == "x-amz-content-sha256" })
        let addedNames = signature.headersToAdd.map(\.name)
        #expect(
            addedNames
                == (vector.sessionToken == nil
                    ? ["X-Amz-Date", "Authorization"] : ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"]))
    }
}
