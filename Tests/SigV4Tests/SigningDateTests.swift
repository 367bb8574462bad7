import Foundation
import SigV4
import Testing

@Suite struct SigningDateTests {
    @Test(arguments: [
        (Int64(0), "19700101T000000Z"),
        (1_440_938_160, "20150830T123600Z"),  // the suite's date
        (1_709_251_198, "20240229T235958Z"),  // leap day, two seconds before midnight
        (1_735_516_800, "20241230T000000Z"),  // where the week-based `YYYY` would give 2025
        (951_782_400, "20000229T000000Z"),  // a leap day in a century year divisible by 400
        (4_107_542_399, "21000228T235959Z"),  // 2100 is not a leap year
        (-1, "19691231T235959Z"),
    ])
    func formats(seconds: Int64, expected: String) {
        let date = SigningDate(secondsSinceEpoch: seconds)
        #expect(date.amzDate == expected)
        #expect(date.dateStamp == String(expected.prefix(8)))
    }

    /// Every day across 1970–2200 agrees with Foundation's Gregorian calendar.
    @Test func agreesWithFoundationDayByDay() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var mismatches = 0
        for day in stride(from: Int64(0), to: 84_000, by: 1) {
            let seconds = day * 86_400 + (day * 7_919) % 86_400
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            if SigningDate(secondsSinceEpoch: seconds).amzDate != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
