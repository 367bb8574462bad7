import SigV4
import Testing

/// Canonicalisation rules the official suite cannot catch: each path segment is URI-encoded twice, except for S3
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
@Suite struct CanonicalRequestTests {
    /// The path is normalised and then encoded a second time, as every non-S3 service expects.
    @Test(arguments: [
        ("", "/"),
        ("/", "/"),
        ("/a%20b", "/a%2520b"),
        ("/documents%20and%20settings/", "/documents%2520and%2520settings/"),
        ("/a@b", "/a%40b"),
        ("/$x", "/%24x"),
        ("/R0oX=", "/R0oX%3D"),
        ("/a%2Fb", "/a%252Fb"),
        ("/%40connections/abc%3D", "/%2540connections/abc%253D"),
        ("/a/./b/../c/", "/a/c/"),
        ("/..", "/"),
        ("/a/b/..", "/a"),
        ("//x//y//", "/x/y/"),
        ("/-_.~AZaz09", "/-_.~AZaz09"),
    ])
    func canonicalURI(path: String, expected: String) {
        #expect(CanonicalRequest.canonicalURI(path: path) == expected)
    }

    @Test(arguments: [
        ("", ""),
        ("a-b=1&a=2", "a=2&a-b=1"),  // pairs sorted, not joined strings ('-' < '=')
        ("q.parser=x&q=y", "q=y&q.parser=x"),
        ("select-type=1&select=2", "select=2&select-type=1"),
        ("k=a+b", "k=a%2Bb"),  // a literal '+' is not a space
        ("k=a%2Bb", "k=a%2Bb"),
        ("k=a%20b", "k=a%20b"),
        ("k=a/b&j=c%2fd", "j=c%2Fd&k=a%2Fb"),  // escapes re-encoded in uppercase
        ("Z=1&%5B=2", "%5B=2&Z=1"),  // sorted after encoding
        ("flag&b=", "b=&flag="),  // no '=' means an empty value
        ("k=v2&k=V1&k=v1", "k=V1&k=v1&k=v2"),  // repeated keys by value, bytewise
        ("k=%ZZ", "k=%25ZZ"),  // a '%' that is not an escape is data
        ("caf%C3%A9=1&cafe%CC%81=2", "caf%C3%A9=1&cafe%CC%81=2"),  // NFC and NFD stay distinct
    ])
    func canonicalQuery(query: String, expected: String) {
        #expect(CanonicalRequest.canonicalQuery(query) == expected)
    }

    @Test func canonicalHeadersTrimCollapseJoinAndSort() {
        let result = CanonicalRequest.canonicalHeaders([
            ("X-Amz-Target", "  secretsmanager.PutSecretValue \t"),
            ("Host", "Example.com:8443"),
            ("My-Header", "a   b\t\tc"),
            ("my-header", "\"x   y\""),
            ("My-Header-2", "z"),
        ])
        #expect(
            result.canonical
                == "host:Example.com:8443\nmy-header:a b c,\"x y\"\nmy-header-2:z\nx-amz-target:secretsmanager.PutSecretValue\n"
        )
        #expect(result.signedHeaders == "host;my-header;my-header-2;x-amz-target")
    }

    @Test func emptyBodyHashesToTheEmptyStringDigest() {
        let request = SignableRequest(method: "post", headers: [("Host", "h")])
        let canonical = CanonicalRequest(request)
        #expect(canonical.text == "POST\n/\n\nhost:h\n\nhost\n\(Digest.emptySHA256Hex)")
    }

    @Test func signerNeverSignsUserAgentAndReplacesDateAndToken() {
        let signer = SigV4Signer(
            credentials: Credentials(accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "token"),
            region: "us-east-1", service: "secretsmanager")
        let request = SignableRequest(
            method: "POST",
            headers: [
                ("Host", "h"), ("User-Agent", "ua"), ("X-Amz-Date", "19990101T000000Z"),
                ("X-Amz-Security-Token", "old"), ("Content-Type", "application/x-amz-json-1.1"),
            ])
        let signature = signer.sign(request, at: SigningDate(secondsSinceEpoch: 1_440_938_160))
        #expect(signature.canonicalRequest.signedHeaders == "content-type;host;x-amz-date;x-amz-security-token")
        #expect(signature.canonicalRequest.text.contains("x-amz-date:20150830T123600Z\nx-amz-security-token:token\n"))
        #expect(!signature.canonicalRequest.text.contains("user-agent"))
    }

    @Test func cachedSigningKeyGivesTheSameSignatureAndChangesWithTheDay() {
        let credentials = Credentials(accessKeyId: "AKID", secretAccessKey: "secret")
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "secretsmanager")
        let today = SigningDate(secondsSinceEpoch: 1_700_000_000)
        let tomorrow = SigningDate(secondsSinceEpoch: 1_700_000_000 + 86_400)
        let request = SignableRequest(method: "POST", headers: [("Host", "h")], body: Array("{}".utf8))
        func fresh(_ date: SigningDate) -> String {
            SigV4Signer(credentials: credentials, region: "eu-west-1", service: "secretsmanager").sign(
                request, at: date
            ).authorization
        }
        #expect(signer.sign(request, at: today).authorization == fresh(today))
        #expect(signer.sign(request, at: today).authorization == fresh(today))  // from the cache
        #expect(signer.sign(request, at: tomorrow).authorization == fresh(tomorrow))  // a new day, a new key
        #expect(fresh(today) != fresh(tomorrow))
    }
}
