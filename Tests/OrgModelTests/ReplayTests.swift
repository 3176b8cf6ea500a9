import Testing
@testable import OrgModel

@Suite("Ledger replay")
struct ReplayTests {
    @Test("R6: 10,000 added, 2,000 to A and 3,000 to B leaves the Primary at 5,000")
    func primaryIsDerived() throws {
        let report = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "10000"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "2000"),
            Fixture.transfer(4, day: 2, from: "hq", to: "b", credits: "3000", hour: 10),
        ])
        #expect(report.diagnostics == [])
        let replay = try #require(report.replay)
        #expect(replay.balances == ["hq": Credits(whole: 5_000), "a": Credits(whole: 2_000), "b": Credits(whole: 3_000)])
        #expect(replay.primaryBalance == Credits(whole: 5_000))
        #expect(replay.totalAdded == Credits(whole: 10_000))
        #expect(replay.totalTransferred == Credits(whole: 5_000))
        #expect(replay.primaryTransferredOut == Credits(whole: 5_000))
        #expect(replay.mode == .budget)
    }

    @Test("R7: a transfer may take exactly the available balance, not 0.0001 more")
    func overdrawIsRefusedAtTheFirstEvent() throws {
        let exact = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "100.5"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100.5"),
        ])
        #expect(exact.diagnostics == [])
        #expect(exact.replay?.balances["hq"] == .zero)

        let over = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "100.5"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100.5001"),
            Fixture.transfer(4, day: 3, from: "a", to: "b", credits: "999999"),
        ])
        #expect(Fixture.rendered(over) == """
            ledger/2026/11/01JD0000000000000000000003.yaml:7:10: error: [R7] transfer of 100.5001 exceeds the 100.5 credits available in 'hq' at 2026-11-02T09:00:00Z; transfer at most 100.5 or top up first

            """)
        #expect(over.replay?.failure?.rule == .r(7))
    }

    @Test("R7: transfers need budget mode")
    func transferInSharedMode() {
        let report = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "1000"),
            Fixture.transfer(2, day: 2, from: "hq", to: "a", credits: "10"),
        ])
        #expect(Fixture.rendered(report) == """
            ledger/2026/11/01JD0000000000000000000002.yaml:4:7: error: [R7] transfers are possible only in budget mode, and the organization is in shared mode at 2026-11-02T09:00:00Z; add a mode event switching to budget before this transfer

            """)
    }

    @Test("R7: a transfer between one workspace and itself is refused")
    func selfTransfer() {
        let report = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "1000"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "a", to: "a", credits: "10"),
        ])
        #expect(Fixture.rendered(report) == """
            ledger/2026/11/01JD0000000000000000000003.yaml:6:5: error: [R7] a transfer needs two different workspaces, but both from and to are 'a'

            """)
    }

    @Test("R8: usage may spend exactly the balance; beyond it the workspace is blocked")
    func usageBlockedBeyondBalance() throws {
        let events = [
            Fixture.topup(1, day: 1, credits: "50"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "20"),
        ]
        let exact = Fixture.validate(events + [Fixture.usage(workspace: "a", day: 3, [("u1", 9, "12.5"), ("u2", 10, "7.5")])])
        #expect(exact.diagnostics == [])
        let replay = try #require(exact.replay)
        #expect(replay.balances["a"] == .zero)
        #expect(replay.consumedByWorkspace["a"] == Credits(whole: 20))
        #expect(replay.consumedByMember["bo"] == Credits(whole: 20))
        #expect(replay.consumedByTool[.chat] == Credits(whole: 20))

        let over = Fixture.validate(events + [Fixture.usage(workspace: "a", day: 3, [("u1", 9, "12.5"), ("u2", 10, "7.5001")])])
        #expect(Fixture.rendered(over) == """
            usage/a/2026/11/03-gw-1.jsonl:2:78: error: [R8] usage of 7.5001 credits by 'bo' with chat at 2026-11-03T10:00:00Z exceeds the 7.5 credits available in 'a'; a workspace with no credits is blocked until credits are transferred in

            """)
    }

    @Test("R5: in shared mode usage is charged to the Primary")
    func sharedModeChargesThePrimary() throws {
        let report = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "30"),
            Fixture.usage(workspace: "a", day: 2, [("u1", 9, "10")]),
        ])
        #expect(report.diagnostics == [])
        let replay = try #require(report.replay)
        #expect(replay.mode == .shared)
        #expect(replay.balances == ["hq": Credits(whole: 20), "a": .zero, "b": .zero])
        #expect(replay.primaryCharged == Credits(whole: 10))
        #expect(replay.consumedByWorkspace["a"] == Credits(whole: 10))

        let blocked = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "5"),
            Fixture.usage(workspace: "a", day: 2, [("u1", 9, "10")]),
        ])
        #expect(blocked.diagnostics.map(\.message) == [
            "usage of 10 credits by 'bo' with chat at 2026-11-02T09:00:00Z exceeds the 5 credits available in the Primary 'hq' (shared mode); a workspace with no credits is blocked until credits are transferred in",
        ])
    }

    @Test("R9: switching to shared mode needs every balance returned first")
    func modeSwitchReturnsBalances() throws {
        let start = [
            Fixture.topup(1, day: 1, credits: "100"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "40"),
        ]
        let refused = Fixture.validate(start + [Fixture.mode(4, day: 3, "shared")])
        #expect(Fixture.rendered(refused) == """
            ledger/2026/11/01JD0000000000000000000004.yaml:5:7: error: [R9] switching to shared mode must first return every workspace's balance to the Primary, but 'a' has 40; add transfers with reason 'mode-switch' before this event, as 'orgsync mode shared' does

            """)
        let accepted = Fixture.validate(start + [
            Fixture.transfer(4, day: 3, from: "a", to: "hq", credits: "40", reason: "mode-switch"),
            Fixture.mode(5, day: 3, "shared"),
        ])
        #expect(accepted.diagnostics == [])
        #expect(accepted.replay?.mode == .shared)
        #expect(accepted.replay?.primaryBalance == Credits(whole: 100))
    }

    @Test("R5: a mode event that changes nothing is a warning")
    func redundantModeEvent() {
        let report = Fixture.validate([Fixture.mode(1, day: 1, "shared")])
        #expect(report.isValid)
        #expect(Fixture.rendered(report) == """
            ledger/2026/11/01JD0000000000000000000001.yaml:5:7: warning: [R5] the organization is already in shared mode at 2026-11-01T09:00:00Z; this event changes nothing

            """)
    }

    /// Workspace `a` deleted on day 5 after consuming 15 of its 40 credits: the tombstone records 15 and 25 return.
    private func deletion(refund: String?) -> [String: String] {
        var files = Fixture.base()
        files["workspaces/a.yaml"] = "id: a\nname: Team A\ndeleted:\n  at: 2026-11-05T09:00:00Z\n  by: ana\n  consumed: 15\n"
        let events = [
            Fixture.topup(1, day: 1, credits: "100"),
            Fixture.mode(2, day: 1, "budget", hour: 10),
            Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "40"),
        ] + (refund.map { [Fixture.transfer(4, day: 5, from: "a", to: "hq", credits: $0, reason: "deletion")] } ?? [])
        for (path, text) in events { files[path] = text }
        return files
    }

    @Test("R10: a deletion returns the exact remaining balance and keeps the consumption")
    func deletionRefund() throws {
        let report = Validator.validate(Snapshot(files: deletion(refund: "25")))
        #expect(report.diagnostics == [])
        let replay = try #require(report.replay)
        #expect(replay.balances == ["hq": Credits(whole: 85), "b": .zero])
        #expect(replay.totalConsumed == Credits(whole: 15))
        #expect(replay.consumedByWorkspace["a"] == Credits(whole: 15))

        let missing = Validator.validate(Snapshot(files: deletion(refund: nil)))
        #expect(Fixture.rendered(missing) == """
            workspaces/a.yaml:4:3: error: [R10] workspace 'a' was deleted with 25 credits left; add a transfer of exactly 25 from 'a' to 'hq' with reason 'deletion' at the time of deletion, as 'orgsync workspace delete' does

            """)
        let short = Validator.validate(Snapshot(files: deletion(refund: "24.9999")))
        #expect(short.diagnostics.map(\.message) == [
            "workspace 'a' was deleted with 0.0001 credits left; add a transfer of exactly 0.0001 from 'a' to 'hq' with reason 'deletion' at the time of deletion, as 'orgsync workspace delete' does",
        ])
    }

    @Test("R7: nothing moves into or out of a deleted workspace afterwards")
    func transferToDeletedWorkspace() {
        var files = deletion(refund: "25")
        let (path, text) = Fixture.transfer(9, day: 6, from: "hq", to: "a", credits: "1")
        files[path] = text
        #expect(Fixture.rendered(Validator.validate(Snapshot(files: files))) == """
            ledger/2026/11/01JD0000000000000000000009.yaml:6:5: error: [R7] transfer to 'a', which was deleted at 2026-11-05T09:00:00Z; deleted workspaces cannot send or receive credits
              workspaces/a.yaml:4:3: note: deleted here

            """)
    }

    @Test("Events replay in (at, id) order, whatever their files are called")
    func orderIsAtThenID() throws {
        // Event 2 is written before event 1 in time: the top-up must still come first.
        let report = Fixture.validate([
            (Fixture.eventPath(2), "id: \(Fixture.ulid(2))\nat: 2026-11-01T08:00:00Z\nby: ana\ntype: topup\ncredits: 10\n"),
            (Fixture.eventPath(1), "id: \(Fixture.ulid(1))\nat: 2026-11-01T09:00:00Z\nby: ana\ntype: mode\nmode: budget\n"),
            Fixture.transfer(3, day: 1, from: "hq", to: "a", credits: "10", hour: 9),
        ])
        #expect(report.diagnostics == [])
        #expect(report.replay?.balances["a"] == Credits(whole: 10))
    }

    @Test("Sums that overflow are reported, not wrapped")
    func overflowingTopups() {
        let report = Fixture.validate([
            Fixture.topup(1, day: 1, credits: "922337203685477"),
            Fixture.topup(2, day: 2, credits: "922337203685477"),
        ])
        #expect(Fixture.rendered(report) == """
            ledger/2026/11/01JD0000000000000000000002.yaml:5:10: error: [F2] the sum exceeds the largest amount of credits orgsync can represent (922337203685477.5807); the ledger cannot hold this amount

            """)
    }
}

@Suite("Unreadable files do not cascade")
struct CascadeTests {
    @Test("a broken event file is reported once, not as the overdraws its absence would cause")
    func brokenTopupStopsTheReplay() {
        var files = Fixture.base()
        for (path, text) in [Fixture.topup(1, day: 1, credits: "1e3"), Fixture.mode(2, day: 1, "budget", hour: 10),
                             Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "10")] {
            files[path] = text
        }
        let report = Validator.validate(Snapshot(files: files))
        #expect(Fixture.rendered(report) == """
            ledger/2026/11/01JD0000000000000000000001.yaml:5:10: error: [F2] top-up credits: '1e3' is not an amount of credits; write a plain decimal such as 1500 or 12.5

            """)
        #expect(report.replay == nil)
    }

    @Test("an unparsable Primary is one syntax error, not 'no Primary' and dangling references")
    func brokenPrimary() {
        var files = Fixture.base()
        files["workspaces/hq.yaml"] = "id: hq\nname: [HQ\n"
        files["members/bo.yaml"] = "id: bo\nemail bo@acme.example\n"
        let (path, usage) = Fixture.usage(workspace: "hq", day: 3, [("u1", 9, "1")])
        files[path] = usage
        let report = Validator.validate(Snapshot(files: files))
        #expect(report.diagnostics.map { "\($0.location.path) [\($0.rule)]" } == ["members/bo.yaml [SYNTAX]", "workspaces/hq.yaml [SYNTAX]"])
    }
}

@Suite("Deleted workspaces across a mode switch")
struct DeletedAcrossModeSwitchTests {
    @Test("R9: a workspace that spent its budget, then was deleted, does not block the earlier switch to shared mode")
    func spentThenDeleted() throws {
        var files = Fixture.base()
        // x received 100 and spent all of it; its usage files went with its deletion on day 5.
        files["workspaces/x.yaml"] = "id: x\nname: X\ndeleted:\n  at: 2026-11-05T09:00:00Z\n  by: ana\n  consumed: 100\n"
        for (path, text) in [Fixture.topup(1, day: 1, credits: "100"), Fixture.mode(2, day: 1, "budget", hour: 10),
                             Fixture.transfer(3, day: 2, from: "hq", to: "x", credits: "100"), Fixture.mode(4, day: 3, "shared")] {
            files[path] = text
        }
        let report = Validator.validate(Snapshot(files: files))
        #expect(report.diagnostics == [])
        #expect(report.replay?.balances == ["hq": .zero, "a": .zero, "b": .zero])
        #expect(report.replay?.totalConsumed == Credits(units: 1_000_000))
    }
}

@Suite("Format versions and layout")
struct FormatVersionTests {
    @Test("F4: a newer schema is the only thing reported, whatever else the repository holds")
    func newerSchemaStopsValidation() {
        var files = Fixture.base()
        files["org.yaml"] = "schema: 2\nid: acme\nname: Acme\nregion: eu\n"
        files["workspaces/new.yaml"] = "id: new\nname: New\nquota: 5\n"
        #expect(Fixture.rendered(Validator.validate(Snapshot(files: files))) == """
            org.yaml:1:9: error: [F4] this repository needs a newer orgsync: it uses schema 2, and this orgsync reads schema 1; upgrade orgsync

            """)
    }

    @Test("F6: a usage file has one spelling per workspace, day and writer")
    func usagePathsAreCanonical() {
        #expect(UsageFilePath("usage/x/2026/11/03-gw-1.jsonl") != nil)
        for path in ["usage/x/2026/+1/+3-gw.jsonl", "usage/x/2026/11/3-gw-1.jsonl", "usage/x/2026/11/31-gw-1.jsonl",
                     "usage/X/2026/11/03-gw-1.jsonl", "usage/x/2026/11/03-GW.jsonl", "usage/x/2026/11/03-gw-1.json"] {
            #expect(UsageFilePath(path) == nil, "\(path)")
        }
    }

    @Test("brackets inside quoted text are not nesting")
    func bracketsInStringsAreText() throws {
        let text = "settings:\n" + (0..<80).map { "  k\($0): \"[beta\"\n" }.joined()
        guard case .success = SourceReader.parse(Array(text.utf8), format: .yaml, path: "w.yaml") else {
            Issue.record("refused")
            return
        }
    }
}
