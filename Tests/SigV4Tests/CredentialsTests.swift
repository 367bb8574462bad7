import SigV4
import Testing

@Suite struct CredentialsTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz"
    static let token = "IQoJb3JpZ2luX2VjEXAMPLEzzTOKENzz"

    /// Every textual form a value can take on its way to a log.
    static func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }

    @Test func descriptionsNeverShowSecretKeyOrToken() {
        let credentials = Credentials(
            accessKeyId: "ASIAEXAMPLE", secretAccessKey: Self.secret, sessionToken: Self.token)
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "secretsmanager")
        for text in Self.renderings(credentials) + Self.renderings(signer) + Self.renderings([credentials]) {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.token))
        }
        #expect("\(credentials)".contains("ASIAEXAMPLE"))
        #expect("\(credentials)".contains("sessionToken: <redacted>"))
    }
}
