import Foundation
import RotationOperations
import SecretsManager
import TestSupport
import TestTags
import Testing

/// GetFunctionConfiguration against moto's Lambda with signature checking: what the doctor reads of a deployed
/// function, and the answers it must tell apart (found, missing, not allowed).
@Suite(.tags(.server)) struct DeployedFunctionServerTests {
    @Test("a function is read (never its other variables); a missing one is missing; without permission, skipped")
    func lookups() throws {
        let moto = try SharedMoto.get()
        let name = "doctor-\(UUID().uuidString.prefix(8).lowercased())"
        let arn = try moto.adminClient.createFunction(
            name: name, timeout: 120, environment: ["ROTATOR_TARGET": "postgres", "OTHER_SETTING": "zzNOTSHOWNzz"])
        let user = try moto.adminClient.user(allowedTo: ["lambda:GetFunctionConfiguration"])
        var allowed = moto.clientEnvironment
        allowed["AWS_ACCESS_KEY_ID"] = user.accessKeyId
        allowed["AWS_SECRET_ACCESS_KEY"] = user.secretAccessKey
        allowed["AWS_SESSION_TOKEN"] = nil
        let reader = try LambdaFunctionReader(
            environment: allowed, configuration: try SecretsManagerConfiguration(environment: allowed))
        let found = reader.lookup(arn)
        #expect(
            found
                == .found(
                    DeployedFunction(
                        name: name, runtime: "provided.al2023", architectures: ["arm64"], timeoutSeconds: 120,
                        state: "Active", subnetCount: 0, rotatorTarget: "postgres")))
        #expect(!"\(found)".contains("zzNOTSHOWNzz"))
        #expect(reader.lookup(arn + "-gone") == .notFound)

        // The rotation role of the tests may not read functions: the doctor skips, it does not fail.
        let role = try LambdaFunctionReader(
            environment: moto.clientEnvironment,
            configuration: try SecretsManagerConfiguration(environment: moto.clientEnvironment))
        #expect(role.lookup(arn) == .noPermission)
    }
}
