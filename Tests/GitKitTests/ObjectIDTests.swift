import GitKit
import Testing

@Suite("Object ids")
struct ObjectIDTests {
    @Test func hexRoundTripsInLowercase() throws {
        let id = try #require(ObjectID(hex: "E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391"))
        #expect(id.hex == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(id.description == id.hex)
        #expect(ObjectID(hex: id.hex) == id)
    }

    @Test(arguments: [
        "",
        "e69de29",
        "e69de29bb2d1d6434b8b29ae775ad8c2e48c539",
        "e69de29bb2d1d6434b8b29ae775ad8c2e48c53911",
        "g69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
        "e69de29bb2d1d6434b8b29ae775ad8c2e48c539 ",
        "é9de29bb2d1d6434b8b29ae775ad8c2e48c539",
    ])
    func hexRejectsAnythingButFortyDigits(_ text: String) {
        #expect(ObjectID(hex: text) == nil)
    }

    @Test func orderFollowsTheBytes() throws {
        let hexes = [
            "0000000000000000000000000000000000000001",
            "00000000000000000000000000000000000000ff",
            "0000000000000000000000010000000000000000",
            "00000000000000ff000000000000000000000000",
            "0100000000000000000000000000000000000000",
            "ff00000000000000000000000000000000000000",
        ]
        let ids = try hexes.map { try #require(ObjectID(hex: $0)) }
        #expect(ids.reversed().sorted() == ids)
        #expect(ids.sorted().map(\.hex) == hexes)
        #expect(Set(ids + ids).count == ids.count)
    }
}
