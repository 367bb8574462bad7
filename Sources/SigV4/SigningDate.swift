/// The signing time, formatted without Foundation: `X-Amz-Date` (`yyyyMMdd'T'HHmmss'Z'`, UTC) and the
/// scope date (`yyyyMMdd`).
///
/// Both strings come from one value so that they can never straddle midnight, and no locale or calendar
/// setting can leak in (the week-based `YYYY` and Buddhist-calendar pitfalls of date formatters).
public struct SigningDate: Sendable, Equatable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let secondsSinceEpoch: Int64
    /// `yyyyMMdd'T'HHmmss'Z'`, the value of the `X-Amz-Date` header.
    public let amzDate: String
    /// `yyyyMMdd`, the first element of the credential scope.
    public let dateStamp: String

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
        let days = Self.floorDivide(secondsSinceEpoch, 86_400)
        let secondOfDay = secondsSinceEpoch - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        let stamp = Self.pad(year, 4) + Self.pad(month, 2) + Self.pad(day, 2)
        self.dateStamp = stamp
        self.amzDate =
            stamp + "T" + Self.pad(secondOfDay / 3_600, 2) + Self.pad(secondOfDay % 3_600 / 60, 2)
            + Self.pad(secondOfDay % 60, 2) + "Z"
    }

    public var description: String { amzDate }

    /// Year, month and day of the proleptic Gregorian calendar for a day count since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`, exact for every Int64 day count we can meet).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
