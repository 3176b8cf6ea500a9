import Testing
@testable import OrgModel

/// The fast path for usage lines must decode exactly what the general reader decodes, or step aside.
@Suite("Usage line scanner")
struct UsageLineScannerTests {
    static let file = UsageFilePath(workspace: "chat-prod", year: 2026, month: 11, day: 5, writer: "gw-1")
    static let path = file.path

    /// The general reader's record for `line`, or nil with its diagnostics.
    static func general(_ line: String) -> (UsageRecord?, [Diagnostic]) {
        var reader = JSONReader(text: line, path: path, firstLine: 3)
        guard case .success(let node) = reader.parseDocument() else { return (nil, []) }
        let decoder = FileDecoder(path: path)
        let record = UsageRecord.decode(node, origin: .file(file), line: 3, decoder)
        return (decoder.diagnostics.isEmpty ? record : nil, decoder.diagnostics)
    }

    static func fast(_ line: String) -> UsageRecord? {
        var interned = UsageLineScanner.Interned()
        return UsageLineScanner.record(Array(line.utf8)[...], file: file, path: path, line: 3, interning: &interned)
    }

    @Test("lines orgsync writes: the same record, to the credits column", arguments: [
        #"{"id":"01M6PD0216V5Y44RVQ0FNDGAB5","at":"2026-11-05T17:44:37.158Z","member":"eli","tool":"chat","credits":4.44,"model":"mistral-large","tokens":2960,"cost":0.02886}"#,
        #"{"id":"imp-7","at":"2026-11-05T00:00:00Z","member":"ana","tool":"video","credits":0}"#,
        #"{"credits":12.5,"tool":"image","member":"bo","at":"2026-11-05T23:59:59Z","id":"x_1"}"#,
    ])
    func same(_ line: String) throws {
        let fast = try #require(Self.fast(line))
        let (general, diagnostics) = Self.general(line)
        #expect(diagnostics.isEmpty)
        #expect(fast == general)
        #expect(fast.creditsLocation == general?.creditsLocation)
        #expect(fast.location == general?.location)
    }

    @Test("anything else goes to the general reader", arguments: [
        #"{ "id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1}"#, // whitespace
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":"1"}"#, // quoted amount
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1e2}"#, // exponent
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":01}"#, // leading zero
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":-1}"#, // negative
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1.00001}"#, // five digits
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"credits":2}"#, // duplicate key
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"colour":"red"}"#, // unknown key
        #"{"id":"a","at":"2026-11-06T10:00:00Z","member":"eli","tool":"chat","credits":1}"#, // another day's file
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"Eli","tool":"chat","credits":1}"#, // not a slug
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"fax","credits":1}"#, // unknown tool
        #"{"id":"a\u0062","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1}"#, // escape
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"model":"é"}"#, // not ASCII
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"model":" "}"#, // blank model
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"tokens":-0}"#, // not canonical
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"cost":"0.1"}"#, // quoted cost
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat"}"#, // no credits
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,}"#, // trailing comma
        #"{"id":"a","at":"2026-11-05T10:00:00Z","member":"eli","tool":"chat","credits":1,"model":null}"#, // null
    ])
    func fallsBack(_ line: String) {
        #expect(Self.fast(line) == nil)
    }
}
