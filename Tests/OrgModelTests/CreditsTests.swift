import Testing
@testable import OrgModel

@Suite("Credits")
struct CreditsTests {
    @Test func pointOnePlusPointTwoIsExactlyPointThree() throws {
        let sum = try Credits(parsing: "0.1").adding(try Credits(parsing: "0.2"))
        #expect(sum == (try Credits(parsing: "0.3")))
        #expect(sum.units == 3_000)
        #expect(sum.description == "0.3")
    }

    @Test(arguments: [
        ("0", 0), ("1500", 15_000_000), ("12.5", 125_000), ("0.0001", 1), ("-0.0001", -1), ("10.1000", 101_000),
        ("922337203685477.5807", Int64.max), ("-922337203685477.5807", -Int64.max),
    ] as [(String, Int64)])
    func parsesExactText(text: String, units: Int64) throws {
        #expect(try Credits(parsing: text).units == units)
    }

    @Test func theMaximumRoundTripsAndOneMoreUnitIsOutOfRange() throws {
        #expect(Credits.max.description == "922337203685477.5807")
        #expect(try Credits(parsing: Credits.max.description) == Credits.max)
        #expect(throws: CreditsError.outOfRange("922337203685477.5808")) { try Credits(parsing: "922337203685477.5808") }
        #expect(throws: CreditsError.outOfRange("-922337203685477.5808")) { try Credits(parsing: "-922337203685477.5808") }
        #expect(throws: CreditsError.outOfRange("99999999999999999999999")) { try Credits(parsing: "99999999999999999999999") }
    }

    @Test func sumsReportOverflowInsteadOfWrapping() throws {
        #expect(throws: CreditsError.overflow) { try Credits.max.adding(Credits(units: 1)) }
        #expect(throws: CreditsError.overflow) { try Credits.min.subtracting(Credits(units: 1)) }
        #expect(throws: CreditsError.overflow) { try [Credits.max, Credits(units: 1)].sum() }
        #expect(try Credits.max.subtracting(Credits.max) == .zero)
        #expect(Credits(whole: 922_337_203_685_478) == nil)
        #expect(Credits(whole: 922_337_203_685_477)?.units == 9_223_372_036_854_770_000)
    }

    @Test(arguments: ["1e309", "1e3", ".nan", "nan", "NaN", ".inf", "-.inf", "inf", "+1", "007", "1.", ".5", "1..2", "1,000", "1_000", " 1", "1 ", "0x10", "--1", "-", "１"])
    func refusesWhatIsNotAPlainDecimal(text: String) {
        #expect(throws: CreditsError.notADecimal(text)) { try Credits(parsing: text) }
    }

    @Test func refusesAFifthFractionalDigit() {
        #expect(throws: CreditsError.tooManyFractionDigits("1.00001")) { try Credits(parsing: "1.00001") }
        #expect(throws: CreditsError.tooManyFractionDigits("0.12340")) { try Credits(parsing: "0.12340") }
        #expect(throws: CreditsError.empty) { try Credits(parsing: "") }
    }

    @Test func describesCanonicallyAndFormatsForPeople() throws {
        #expect(try Credits(parsing: "2000.50").description == "2000.5")
        #expect(try Credits(parsing: "-0.05").description == "-0.05")
        #expect(try Credits(parsing: "1234567.0001").formatted == "1,234,567.0001")
        #expect(try Credits(parsing: "-1000").formatted == "-1,000")
        #expect(try Credits(parsing: "999").formatted == "999")
    }

    @Test func errorMessagesSayHowToFixTheValue() {
        #expect(CreditsError.notADecimal("1e3").description == "'1e3' is not an amount of credits; write a plain decimal such as 1500 or 12.5")
        #expect(CreditsError.tooManyFractionDigits("1.00001").description == "'1.00001' has more than 4 fractional digits; credits are exact to 0.0001")
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test(arguments: ["2026-11-21T10:00:00Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2026-11-21T10:00:00.25Z", "9999-12-31T23:59:59.123456789Z"])
    func roundTrips(text: String) throws {
        #expect(try Timestamp(parsing: text).description == text)
    }

    @Test func knowsTheEpochAndOrdersByInstant() throws {
        #expect(try Timestamp(parsing: "1970-01-02T00:00:01Z").seconds == 86_401)
        #expect(try Timestamp(parsing: "2026-11-21T10:00:00Z").seconds == 1_795_255_200)
        #expect(try Timestamp(parsing: "2026-11-21T10:00:00Z") < Timestamp(parsing: "2026-11-21T10:00:00.000000001Z"))
        #expect(try Timestamp(parsing: "2026-11-21T10:00:00.500Z").description == "2026-11-21T10:00:00.5Z")
        #expect(try Timestamp(parsing: "2026-03-01T00:00:00Z").date == (2026, 3, 1))
    }

    @Test(arguments: ["2026-11-21T10:00:00+01:00", "2026-11-21T10:00:00", "2026-11-21 10:00:00Z", "2026-02-29T00:00:00Z",
                      "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T10:00:60Z",
                      "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00.1234567890Z", "1969-12-31T23:59:59Z", "26-11-21T10:00:00Z", ""])
    func refusesAnythingButRFC3339InUTC(text: String) {
        #expect(throws: TimestampError(text: text)) { try Timestamp(parsing: text) }
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test func slugs() {
        #expect(IdentifierKind.slug.matches("chat-prod"))
        #expect(IdentifierKind.slug.matches("0day"))
        #expect(IdentifierKind.slug.matches(String(repeating: "a", count: 63)))
        for bad in ["", "-chat", "Chat", "chat_prod", "chat/prod", "..", "../x", "chat.prod", String(repeating: "a", count: 64), "çhat"] {
            #expect(!IdentifierKind.slug.matches(bad), "\(bad)")
        }
    }

    @Test func ulidsAndRecordIDs() {
        #expect(IdentifierKind.ulid.matches("01JD3Q4X6Y7Z8A9B0C1D2E3F4G"))
        #expect(!IdentifierKind.ulid.matches("01JD3Q4X6Y7Z8A9B0C1D2E3F4I")) // I is not Crockford
        #expect(!IdentifierKind.ulid.matches("81JD3Q4X6Y7Z8A9B0C1D2E3F4G")) // beyond 48 bits of time
        #expect(!IdentifierKind.ulid.matches("01jd3q4x6y7z8a9b0c1d2e3f4g"))
        #expect(IdentifierKind.recordID.matches("imp_2026-11-03_000017"))
        #expect(!IdentifierKind.recordID.matches("a/b"))
        #expect(!IdentifierKind.recordID.matches(String(repeating: "x", count: 65)))
    }
}
