/// A point in time written as RFC 3339 in UTC (`2026-11-21T10:00:00Z`), with optional fractional seconds.
///
/// Parsing is done by hand so that it is exact, fast and independent of the locale and time zone.
public struct Timestamp: Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// Nanoseconds within the second, 0..<1_000_000_000.
    public let nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// The calendar date in UTC.
    public var date: (year: Int, month: Int, day: Int) { Timestamp.civil(fromDays: days) }

    /// Whole days since 1970-01-01, rounded down.
    private var days: Int64 { seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400 }

    /// The current time, truncated to whole seconds.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int64(spec.tv_sec))
    }
}

/// Why a text is not an RFC 3339 UTC time.
public struct TimestampError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String {
        "'\(text.excerpt)' is not an RFC 3339 time in UTC; write it like 2026-11-21T10:00:00Z"
    }
}

extension Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. Offsets other than `Z` are refused so every file sorts the same way.
    public init(parsing text: Substring) throws(TimestampError) {
        let bytes = Array(text.utf8)
        func fail() -> TimestampError { TimestampError(text: String(text)) }
        func number(_ start: Int, _ count: Int) throws(TimestampError) -> Int {
            guard start + count <= bytes.count else { throw fail() }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { throw fail() }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func expect(_ index: Int, _ characters: String) throws(TimestampError) {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { throw fail() }
        }
        guard bytes.count >= 20 else { throw fail() }
        let year = try number(0, 4)
        try expect(4, "-")
        let month = try number(5, 2)
        try expect(7, "-")
        let day = try number(8, 2)
        try expect(10, "T")
        let hour = try number(11, 2)
        try expect(13, ":")
        let minute = try number(14, 2)
        try expect(16, ":")
        let second = try number(17, 2)
        var index = 19
        var nanos = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                guard digits < 9 else { throw fail() }
                nanos = nanos * 10 + Int(bytes[index] - 48)
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw fail() }
            for _ in digits..<9 { nanos *= 10 }
        }
        guard index == bytes.count - 1, bytes[index] == UInt8(ascii: "Z") else { throw fail() }
        guard (1970...9999).contains(year), (1...12).contains(month),
              (1...Timestamp.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { throw fail() }
        let days = Timestamp.days(fromCivil: year, month, day)
        self.init(seconds: days * 86_400 + Int64(hour * 3600 + minute * 60 + second), nanoseconds: Int32(nanos))
    }

    public init(parsing text: String) throws(TimestampError) {
        try self.init(parsing: text[...])
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

extension Timestamp: CustomStringConvertible {
    /// The canonical RFC 3339 text, with the fraction only when it is not zero (trailing zeros dropped).
    public var description: String {
        let (year, month, day) = date
        let secondOfDay = Int(seconds - days * 86_400)
        var text = "\(zeroPadded(year, 4))-\(twoDigits(month))-\(twoDigits(day))T"
        text += "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay % 3600 / 60)):\(twoDigits(secondOfDay % 60))"
        if nanoseconds != 0 {
            var fraction = zeroPadded(Int(nanoseconds), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}

/// `value` in decimal with leading zeros to `width` digits.
func zeroPadded(_ value: Int, _ width: Int) -> String {
    let raw = String(value)
    return String(repeating: "0", count: max(0, width - raw.count)) + raw
}

/// `value` as two digits, as months, days and times are written.
func twoDigits(_ value: Int) -> String { zeroPadded(value, 2) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
