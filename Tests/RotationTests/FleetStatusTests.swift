import LambdaRuntime
import Rotation
import RotationOperations
import SecretsManager
import Testing

@Suite("Account view: each secret's state from ListSecrets")
struct FleetStatusTests {
    let now = 1_800_000_000.0
    func entry(
        enabled: Bool? = true, next: Double? = nil, last: Double? = nil, days: Int? = nil,
        stages: [(versionId: String, stages: [String])] = [("v1", ["AWSCURRENT"])]
    ) -> SecretListEntry {
        SecretListEntry(
            arn: "arn:aws:secretsmanager:us-east-1:1:secret:s", name: "s", rotationEnabled: enabled,
            rotationLambdaARN: "arn:aws:lambda:us-east-1:1:function:rotator", rotationDays: days,
            lastRotatedDate: last, nextRotationDate: next, versionIdsToStages: stages)
    }

    @Test("ok, off, overdue (a day past the window), rotating, stuck, no-current")
    func states() {
        func state(_ entry: SecretListEntry, pendingCreated: Double? = nil) -> FleetEntry.State {
            FleetEntry.state(of: entry, pendingCreated: pendingCreated, now: now)
        }
        #expect(state(entry(next: now + 3_600, last: now - 86_400)) == .ok)
        #expect(state(entry(next: now - 3_600, last: now - 86_400)) == .ok, "inside the day-long window")
        #expect(state(entry(next: now - 90_000, last: now - 86_400)) == .overdue)
        #expect(state(entry(last: now - 40 * 86_400, days: 30)) == .overdue, "no NextRotationDate: last + days")
        #expect(state(entry(last: now - 10 * 86_400, days: 30)) == .ok)
        #expect(state(entry()) == .overdue, "on, and never rotated")
        #expect(state(entry(enabled: nil)) == .off)
        #expect(state(entry(enabled: false, next: now - 900_000)) == .off, "off is never overdue")
        let pending = entry(stages: [("v1", ["AWSCURRENT"]), ("v2", ["AWSPENDING"])])
        #expect(state(pending, pendingCreated: now - 60) == .rotating)
        #expect(state(pending, pendingCreated: now - 7_200) == .stuck)
        #expect(state(pending, pendingCreated: nil) == .stuck, "no date: assume the worst")
        #expect(state(entry(enabled: false, stages: pending.versionIdsToStages), pendingCreated: now - 7_200) == .stuck)
        #expect(
            state(entry(stages: [("v1", ["AWSCURRENT", "AWSPENDING"])])) == .overdue, "a finished rotation's label")
        #expect(state(entry(stages: [])) == .noCurrent)
        #expect(
            FleetEntry.state(of: pending, pendingCreated: now - 60, now: now, stuckAfterSeconds: 30) == .stuck)
    }

    @Test("RFC 3339 times parse to epoch seconds, offsets and fractions included; anything else is nil")
    func times() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parse("2027-01-04T09:00:00Z") == 1_799_053_200)
        #expect(RFC3339.parse("2027-01-04T10:00:00+01:00") == 1_799_053_200)
        #expect(RFC3339.parse("2027-01-04t08:30:00.5-00:30") == 1_799_053_200.5)
        #expect(RFC3339.parse("2000-02-29T12:00:00Z") == 951_825_600)
        for bad in ["2027-01-04", "2027-13-04T09:00:00Z", "2027-01-04T09:00:00", "2027-01-04T09:00:00Zjunk", "x"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
        #expect(RFC3339.parse(RFC3339.format(seconds: 1_799_053_200, milliseconds: 250)) == 1_799_053_200.25)
    }
}
