import Testing
@testable import OrgModel

/// S3: unpublished events move after everything published, in their own order; automatic events stay.
@Suite("re-stamping unpublished events")
struct RestampTests {
    /// The events of `files`, each with its bytes, as sync hands its unpublished events to the plan.
    func unpublished(_ files: [(String, String)]) -> [(event: LedgerEvent, bytes: [UInt8])] {
        let snapshot = Fixture.snapshot(Fixture.base(), files)
        return Validator.validate(snapshot).organization.events.compactMap { event in
            snapshot.entries[event.source.path].map { (event, $0.bytes) }
        }
    }

    @Test("an event before the last published point moves after it, even when that point is a usage record; one already after it stays")
    func afterPublishedPoints() throws {
        let ours = unpublished([Fixture.transfer(5, day: 3, from: "hq", to: "a", credits: "10", hour: 10),
                                Fixture.transfer(9, day: 3, from: "hq", to: "a", credits: "20", hour: 13)])
        // The last published thing is usage at 12:05 (id u-1), after every published event.
        let published = [(at: try Timestamp(parsing: "2026-11-03T09:00:00Z"), id: Fixture.ulid(1)),
                         (at: try Timestamp(parsing: "2026-11-03T12:05:00Z"), id: "u-1")]
        let plan = Restamp.plan(unpublished: ours, published: published)
        try #require(plan.count == 1)
        #expect(plan[0].event == Fixture.ulid(5))
        #expect(plan[0].at == (try Timestamp(parsing: "2026-11-03T12:05:00Z")))
        #expect(plan[0].newPath == "ledger/2026/11/\(plan[0].newEvent).yaml")
        #expect(String(decoding: plan[0].bytes, as: UTF8.self)
            == "id: \(plan[0].newEvent)\nat: 2026-11-03T12:05:00Z\nby: ana\ntype: transfer\nfrom: hq\nto: a\ncredits: 10\n")
        #expect(plan[0].trailer == "Orgsync-Restamped: \(Fixture.ulid(5)) -> \(plan[0].newEvent)")
    }

    @Test("several events keep their order; nothing published means nothing to move")
    func order() throws {
        let ours = unpublished([Fixture.transfer(5, day: 3, from: "hq", to: "a", credits: "10"),
                                Fixture.transfer(6, day: 3, from: "a", to: "b", credits: "5")])
        let plan = Restamp.plan(unpublished: ours, published: [(at: try Timestamp(parsing: "2026-11-04T09:00:00Z"), id: Fixture.ulid(7))])
        #expect(plan.map(\.event) == [Fixture.ulid(5), Fixture.ulid(6)])
        #expect(plan[0].newEvent > Fixture.ulid(7) && plan[1].newEvent > plan[0].newEvent)
        #expect(Restamp.plan(unpublished: ours, published: []).isEmpty)
    }

    @Test("a deletion's refund stays with its tombstone, and so does everything before it; what follows moves")
    func automaticEventsStay() throws {
        let ours = unpublished([Fixture.transfer(5, day: 3, from: "hq", to: "a", credits: "10", hour: 8),
                                Fixture.transfer(6, day: 3, from: "b", to: "hq", credits: "1", reason: "deletion", hour: 9),
                                Fixture.transfer(8, day: 3, from: "hq", to: "a", credits: "1", hour: 10)])
        let plan = Restamp.plan(unpublished: ours, published: [(at: try Timestamp(parsing: "2026-11-03T11:00:00Z"), id: Fixture.ulid(7))])
        #expect(plan.map(\.event) == [Fixture.ulid(8)])
    }
}
