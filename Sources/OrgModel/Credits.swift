/// An exact amount of credits: a decimal with at most four fractional digits, held as integer ten-thousandths.
///
/// Credits never pass through floating point. They are parsed from the text of a scalar, and every
/// arithmetic operation reports overflow instead of wrapping or trapping.
public struct Credits: Hashable, Comparable, Sendable {
    /// The amount in ten-thousandths of a credit.
    public let units: Int64

    /// The number of units in one credit.
    public static let unitsPerCredit: Int64 = 10_000
    /// The number of fractional digits credits carry.
    public static let fractionDigits = 4
    public static let zero = Credits(units: 0)
    /// The largest representable amount: 922,337,203,685,477.5807.
    public static let max = Credits(units: Int64.max)
    /// The smallest representable amount: -922,337,203,685,477.5807 (symmetric with `max`, so negation never overflows).
    public static let min = Credits(units: -Int64.max)

    /// An amount of `units` ten-thousandths. `Int64.min` lies outside the symmetric range and is read as `min`.
    public init(units: Int64) { self.units = Swift.max(units, -Int64.max) }

    /// Whole credits, or nil if the amount is out of range.
    public init?(whole: Int64) {
        let (value, overflow) = whole.multipliedReportingOverflow(by: Self.unitsPerCredit)
        guard !overflow, value != Int64.min else { return nil }
        self.units = value
    }

    public static func < (lhs: Credits, rhs: Credits) -> Bool { lhs.units < rhs.units }

    public var isNegative: Bool { units < 0 }
    public var isPositive: Bool { units > 0 }
    public var isZero: Bool { units == 0 }

    /// The sum, or `CreditsError.overflow` when it leaves the representable range.
    public func adding(_ other: Credits) throws(CreditsError) -> Credits {
        let (value, overflow) = units.addingReportingOverflow(other.units)
        guard !overflow, value != Int64.min else { throw .overflow }
        return Credits(units: value)
    }

    /// The difference, or `CreditsError.overflow` when it leaves the representable range.
    public func subtracting(_ other: Credits) throws(CreditsError) -> Credits {
        let (value, overflow) = units.subtractingReportingOverflow(other.units)
        guard !overflow, value != Int64.min else { throw .overflow }
        return Credits(units: value)
    }

    public var negated: Credits { Credits(units: -units) }
}

/// Why a text is not an amount of credits, or why arithmetic on credits failed.
public enum CreditsError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case notADecimal(String)
    case tooManyFractionDigits(String)
    case outOfRange(String)
    case overflow

    public var description: String {
        switch self {
        case .empty:
            return "an amount of credits is required"
        case .notADecimal(let text):
            return "'\(text.excerpt)' is not an amount of credits; write a plain decimal such as 1500 or 12.5"
        case .tooManyFractionDigits(let text):
            return "'\(text.excerpt)' has more than \(Credits.fractionDigits) fractional digits; credits are exact to 0.0001"
        case .outOfRange(let text):
            return "'\(text.excerpt)' is out of range; amounts must lie within ±\(Credits.max)"
        case .overflow:
            return "the sum exceeds the largest amount of credits orgsync can represent (\(Credits.max))"
        }
    }
}

extension Credits {
    /// Parses an amount from its decimal text: an optional `-`, digits, and at most four fractional digits.
    ///
    /// Exponents, `+`, leading zeros such as `007`, `nan`, `inf` and digit separators are refused: the
    /// text must mean the same thing to every YAML and JSON reader.
    public init(parsing text: Substring) throws(CreditsError) {
        var bytes = text.utf8[...]
        guard !bytes.isEmpty else { throw .empty }
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var integerDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        var magnitude: UInt64 = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, integerDigits > 0 else { throw .notADecimal(String(text)) }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .notADecimal(String(text)) }
            if seenPoint {
                fractionDigits += 1
                guard fractionDigits <= Credits.fractionDigits else { throw .tooManyFractionDigits(String(text)) }
            } else {
                if integerDigits == 1, leadingZero { throw .notADecimal(String(text)) }
                if integerDigits == 0, byte == UInt8(ascii: "0") { leadingZero = true }
                integerDigits += 1
            }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .outOfRange(String(text)) }
            magnitude = next
        }
        guard integerDigits > 0, !(seenPoint && fractionDigits == 0) else { throw .notADecimal(String(text)) }
        for _ in fractionDigits..<Credits.fractionDigits {
            let (times10, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw .outOfRange(String(text)) }
            magnitude = times10
        }
        guard magnitude <= UInt64(Int64.max) else { throw .outOfRange(String(text)) }
        let value = Int64(magnitude)
        self.units = negative ? -value : value
    }

    public init(parsing text: String) throws(CreditsError) {
        try self.init(parsing: text[...])
    }
}

extension Credits: CustomStringConvertible {
    /// The canonical text: no exponent, no trailing fractional zeros, `-` for negatives (`1500`, `12.5`, `-0.0001`).
    public var description: String {
        let magnitude = units.magnitude
        let whole = magnitude / UInt64(Credits.unitsPerCredit)
        var fraction = magnitude % UInt64(Credits.unitsPerCredit)
        var text = units < 0 ? "-" : ""
        text += String(whole)
        if fraction != 0 {
            var digits = Credits.fractionDigits
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let raw = String(fraction)
            text += "." + String(repeating: "0", count: digits - raw.count) + raw
        }
        return text
    }

    /// The amount in words, for sentences: "1 credit", "12,500.25 credits".
    public var amount: String { formatted + (units == Credits.unitsPerCredit ? " credit" : " credits") }

    /// The amount with thousands separators, for people: `12,500.25`.
    public var formatted: String {
        let plain = description
        let negative = plain.hasPrefix("-")
        let body = negative ? String(plain.dropFirst()) : plain
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = Array(parts[0])
        var grouped = ""
        for (index, character) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        let fraction = parts.count > 1 ? "." + parts[1] : ""
        return (negative ? "-" : "") + grouped + fraction
    }
}

extension Sequence where Element == Credits {
    /// The exact total, or `CreditsError.overflow`.
    public func sum() throws(CreditsError) -> Credits {
        var total = Credits.zero
        for amount in self { total = try total.adding(amount) }
        return total
    }
}
