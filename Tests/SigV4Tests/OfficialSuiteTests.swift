import Foundation
import SigV4
import Testing

/// The official AWS SigV4 suite, both formats. Each stage is checked from the suite's own expected input
/// for that stage, so a failure names the stage that is wrong instead of cascading.
@Suite struct OfficialSuiteTests {
    @Test func suiteIsPresentAndComplete() {
        guard SuiteCase.suiteIsPresent else {
            let message = "SigV4 suite not found at \(SuiteCase.suiteRoot.path): the official-suite tests did not run"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record(Comment(rawValue: message))
            } else {
                print("SKIPPED: \(message)")
            }
            return
        }
        // Every classic case, and all newer cases but the seven S3-only `normalize: false` ones.
        #expect(SuiteCase.classicCases.count == 34)
        #expect(SuiteCase.newerCases.count == 31)
    }

    @Test(arguments: SuiteCase.classicCases + SuiteCase.newerCases)
    func canonicalRequest(_ suiteCase: SuiteCase) {
        let signature = signer(suiteCase).sign(suiteCase.request, at: suiteCase.date)
        #expect(signature.canonicalRequest.text == suiteCase.expectedCanonicalRequest, "canonical request")
    }

    @Test(arguments: SuiteCase.classicCases + SuiteCase.newerCases)
    func stringToSign(_ suiteCase: SuiteCase) {
        let scope = SigV4Signer.credentialScope(
            date: suiteCase.date, region: suiteCase.region, service: suiteCase.service)
        let stringToSign = SigV4Signer.stringToSign(
            canonicalRequest: suiteCase.expectedCanonicalRequest, date: suiteCase.date, scope: scope)
        #expect(stringToSign == suiteCase.expectedStringToSign, "string to sign")
    }

    @Test(arguments: SuiteCase.classicCases + SuiteCase.newerCases)
    func signature(_ suiteCase: SuiteCase) {
        let key = SigV4Signer.signingKey(
            secretAccessKey: suiteCase.credentials.secretAccessKey, date: suiteCase.date, region: suiteCase.region,
            service: suiteCase.service)
        let signature = SigV4Signer.signature(signingKey: key, stringToSign: suiteCase.expectedStringToSign)
        #expect(signature == suiteCase.expectedSignature, "signature")
    }

    @Test(arguments: SuiteCase.classicCases + SuiteCase.newerCases)
    func authorizationEndToEnd(_ suiteCase: SuiteCase) {
        let signature = signer(suiteCase).sign(suiteCase.request, at: suiteCase.date)
        #expect(signature.stringToSign == suiteCase.expectedStringToSign, "string to sign (end to end)")
        #expect(signature.authorization == suiteCase.expectedAuthorization, "Authorization header")
    }

    private func signer(_ suiteCase: SuiteCase) -> SigV4Signer {
        SigV4Signer(credentials: suiteCase.credentials, region: suiteCase.region, service: suiteCase.service)
    }
}
