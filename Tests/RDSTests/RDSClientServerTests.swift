import Foundation
import RDS
import TestSupport
import TestTags
import Testing

/// What moto's RDS makes beside the databases: the secret RDS manages for a master user, as the function reads it.
/// (`RDSContract` holds the client's answers and the in-memory RDS to moto.)
@Suite("RDS client against moto", .tags(.server))
struct RDSClientServerTests {
    @Test("the RDS-managed secret moto makes for an instance carries the tag and owning service the function reads")
    func managedSecret() throws {
        let moto = try SharedMoto.get()
        let id = "pg-\(UUID().uuidString.prefix(8).lowercased())"
        let answer = try moto.adminClient.rds(
            "CreateDBInstance",
            [
                ("DBInstanceIdentifier", id), ("Engine", "postgres"), ("DBInstanceClass", "db.t3.micro"),
                ("MasterUsername", "postgres"), ("ManageMasterUserPassword", "true"), ("AllocatedStorage", "20"),
            ])
        let secretARN = try #require(
            answer.components(separatedBy: "<SecretArn>").dropFirst().first?.components(separatedBy: "</SecretArn>")
                .first)
        let described = try moto.describe(secretId: secretARN)
        #expect(described["Name"]?.stringValue?.hasPrefix("rds!db-") == true)
        #expect(described["OwningService"]?.stringValue == "rds")
        let tags = described["Tags"]?.arrayValue ?? []
        #expect(
            tags.contains {
                $0["Key"]?.stringValue == "aws:rds:primaryDBInstanceArn"
                    && $0["Value"]?.stringValue == "arn:aws:rds:us-east-1:123456789012:db:\(id)"
            })
    }
}
