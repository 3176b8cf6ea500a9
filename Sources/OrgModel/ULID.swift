/// Generates ULIDs for ledger events and usage records: 48 bits of milliseconds, then 80 random bits
/// from the system's CSPRNG, in Crockford base32.
///
/// The ids one generator makes always increase, so events a single operation writes at one `at` replay in
/// the order they were made; an id for a time earlier than the last id's continues from the last id, a
/// random step up.
public struct ULIDGenerator: Sendable {
    private var lastMilliseconds: UInt64 = 0
    private var lastRandom: (high: UInt16, low: UInt64) = (0, 0)

    public init() {}

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id for `time`, greater than every id this generator made or resumed after before: when `time`
    /// is not later than the last id's millisecond, the id continues from that id.
    public mutating func next(at time: Timestamp) -> String {
        var random = SystemRandomNumberGenerator()
        return next(at: time, using: &random)
    }

    /// `next(at:)` with the random part drawn from `random`: a seeded generator gives the same ids every run.
    public mutating func next(at time: Timestamp, using random: inout some RandomNumberGenerator) -> String {
        let milliseconds = UInt64(max(0, time.seconds)) * 1000 + UInt64(time.nanoseconds / 1_000_000)
        if milliseconds <= lastMilliseconds, lastMilliseconds > 0 {
            // Step the 80-bit random part up by a random amount: still increasing, and two clones that resume
            // after the same event (two admins offline) do not make the same next id.
            let (low, carry) = lastRandom.low.addingReportingOverflow(UInt64.random(in: 1...(1 << 40), using: &random))
            lastRandom = (carry ? lastRandom.high &+ 1 : lastRandom.high, low)
        } else {
            lastMilliseconds = milliseconds
            // Keep the top bit clear so increments cannot overflow in practice.
            lastRandom = (UInt16.random(in: 0...0x7FFF, using: &random), UInt64.random(in: 0...UInt64.max, using: &random))
        }
        return Self.encode(milliseconds: lastMilliseconds, high: lastRandom.high, low: lastRandom.low)
    }

    /// Makes every later id greater than `id`, an existing ULID, so that new events replay after it when
    /// they share its time. Ids that are not ULIDs are ignored.
    public mutating func resume(after id: String) {
        guard IdentifierKind.ulid.matches(id) else { return }
        var milliseconds: UInt64 = 0
        var high: UInt16 = 0
        var low: UInt64 = 0
        for (index, byte) in id.utf8.enumerated() {
            guard let value = Self.alphabet.firstIndex(of: byte) else { return }
            if index < 10 {
                milliseconds = milliseconds << 5 | UInt64(value)
            } else {
                high = high << 5 | UInt16(low >> 59)
                low = low << 5 | UInt64(value)
            }
        }
        if (milliseconds, high, low) > (lastMilliseconds, lastRandom.high, lastRandom.low) {
            lastMilliseconds = milliseconds
            lastRandom = (high, low)
        }
    }

    static func encode(milliseconds: UInt64, high: UInt16, low: UInt64) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        var time = milliseconds & 0xFFFF_FFFF_FFFF
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 bits: high 16 bits then low 64 bits, written as 16 characters of 5 bits.
        var lowBits = low
        var highBits = UInt32(high)
        for index in stride(from: 25, through: 10, by: -1) {
            characters[index] = alphabet[Int(lowBits & 31)]
            lowBits = (lowBits >> 5) | (UInt64(highBits & 31) << 59)
            highBits >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
