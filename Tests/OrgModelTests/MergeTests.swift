import Testing
@testable import OrgModel

/// The semantic three-way merge (SPEC §5) on in-memory snapshots: files, conflicts and violations.
@Suite struct MergeTests {
    /// The budget-mode organization of `TransitionTests` with 1,000 credits in `hq`, 100 of them in `a`.
    static func base(_ extra: [(String, String)] = []) -> [String: String] {
        TransitionTests.parent([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100")] + extra)
    }

    static func merge(base: [String: String], ours: [String: String], theirs: [String: String]) -> MergeResult {
        OrgMerge.merge(base: OrgState(Snapshot(files: base)), ours: OrgState(Snapshot(files: ours)), theirs: OrgState(Snapshot(files: theirs)))
    }

    static func text(_ result: MergeResult, _ path: String) -> String? {
        result.merged[path].map { String(decoding: $0, as: UTF8.self) }
    }

    static func with(_ files: [String: String], _ changes: [(String, String?)]) -> [String: String] {
        TransitionTests.with(files, changes)
    }

    static func file(_ path: String, _ bytes: String?) -> [UInt8]? { bytes.map { Array($0.utf8) } }

    // MARK: Entity files (M1, M5)

    @Test func differentFieldsOfOneFileBothApply() {
        let base = "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: admin\n"
        let ours = "id: a\nname: Team Alpha\nmembers:\n  - member: bo\n    role: admin\n"
        let theirs = "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: admin\n  - member: cy\n    role: viewer\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.conflicts.isEmpty)
        #expect(result.bytes.map { String(decoding: $0, as: UTF8.self) } == "id: a\nname: Team Alpha\nmembers:\n  - member: bo\n    role: admin\n  - member: cy\n    role: viewer\n")
        // The other way round, the same bytes (M8).
        let swapped = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", theirs), theirs: Self.file("", ours))
        #expect(swapped == result)
    }

    @Test func aMergedFileTheDecoderRefusesStillReadsAsItsSidesWroteIt() throws {
        // Found by the merge fuzz target: an unknown key makes the merge write the merged tree as it is, and a
        // plain scalar folded from several lines ("p", a blank line, "q" is the text "p\nq") was written plain.
        let base = "id: a\nname: Team A\n"
        let ours = "id: a\nname: Team A\nnote: p\n\n  q\n"
        let theirs = "id: a\nname: Team Alpha\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.conflicts.isEmpty)
        let merged = try SourceReader.parse(try #require(result.bytes), format: .yaml, path: "workspaces/a.yaml").get()
        guard case .mapping(let entries) = merged.kind else { Issue.record("not a mapping"); return }
        let fields = Dictionary(entries.map { ($0.key, $0.value.kind) }, uniquingKeysWith: { first, _ in first })
        guard case .scalar("Team Alpha", _)? = fields["name"], case .scalar("p\nq", _)? = fields["note"] else {
            Issue.record("merged as \(String(decoding: result.bytes ?? [], as: UTF8.self))")
            return
        }
    }

    @Test func oneSidedChangeKeepsItsBytesAndComments() {
        let base = "id: a\nname: Team A\n"
        let ours = "# the research team\nid: a\nname:   'Team A'   # renamed later\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", base))
        #expect(result == FileMerge(bytes: Array(ours.utf8), conflicts: []))
        let theirs = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", base), theirs: Self.file("", ours))
        #expect(theirs == FileMerge(bytes: Array(ours.utf8), conflicts: []))
    }

    @Test func sameFieldSetDifferentlyIsAConflictThatKeepsOurs() {
        let base = "id: a\nname: Team A\nsettings:\n  routing: fast\n  region: eu\n"
        let ours = "id: a\nname: Team Alpha\nsettings:\n  routing: fast\n  region: us\n"
        let theirs = "id: a\nname: Team Apple\nsettings:\n  routing: cheap\n  region: eu\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.bytes.map { String(decoding: $0, as: UTF8.self) } == "id: a\nname: Team Alpha\nsettings:\n  region: us\n  routing: cheap\n")
        #expect(result.conflicts == [
            MergeConflict(kind: .field, path: "workspaces/a.yaml", field: FieldPath([.key("name")]), base: "\"Team A\"", ours: "\"Team Alpha\"",
                          theirs: "\"Team Apple\"", kept: .ours, message: "name was changed on both sides to different values"),
        ])
    }

    @Test func keyedListsMergeByKey() {
        let base = "id: a\nname: A\nmembers:\n  - member: bo\n    role: admin\n  - member: cy\n    role: member\n"
        // Ours removes cy and adds di; theirs makes bo a viewer and adds ed.
        let ours = "id: a\nname: A\nmembers:\n  - member: bo\n    role: admin\n  - member: di\n    role: member\n"
        let theirs = "id: a\nname: A\nmembers:\n  - member: ed\n    role: viewer\n  - member: bo\n    role: viewer\n  - member: cy\n    role: member\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.conflicts.isEmpty)
        #expect(result.bytes.map { String(decoding: $0, as: UTF8.self) } == """
        id: a
        name: A
        members:
          - member: bo
            role: viewer
          - member: di
            role: member
          - member: ed
            role: viewer

        """)
    }

    @Test func removingAnItemTheOtherSideEditedIsAConflict() {
        let base = "id: a\nname: A\nmembers:\n  - member: bo\n    role: admin\n"
        let ours = "id: a\nname: A\n"
        let theirs = "id: a\nname: A\nmembers:\n  - member: bo\n    role: viewer\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.conflicts.map(\.message) == ["'bo' in members was removed on our side and changed on theirs"])
        #expect(result.conflicts.map(\.field.description) == ["members[bo]"])
        #expect(result.conflicts.first?.theirs == "{\"member\":\"bo\",\"role\":\"viewer\"}")
        #expect(result.bytes.map { String(decoding: $0, as: UTF8.self) } == "id: a\nname: A\n")
    }

    // MARK: Operation logs (M2)

    @Test func usageFilesAreTheUnionOfTheirRecords() {
        let path = "usage/a/2026/11/03-gw-1.jsonl"
        let line = { (id: String, hour: Int, credits: String) in
            "{\"id\":\"\(id)\",\"at\":\"\(Fixture.time(day: 3, hour: hour))\",\"member\":\"bo\",\"tool\":\"chat\",\"credits\":\(credits)}\n"
        }
        let base = line("u1", 8, "1")
        let ours = base + line("u3", 11, "3") + line("u2", 10, "2")
        let theirs = base + line("u4", 9, "4") + line("u2", 10, "2")
        let result = OrgMerge.mergeFile(path: path, base: Self.file("", base), ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.conflicts.isEmpty)
        #expect(result.bytes.map { String(decoding: $0, as: UTF8.self) } == base + line("u4", 9, "4") + line("u2", 10, "2") + line("u3", 11, "3"))

        let clash = OrgMerge.mergeFile(path: path, base: Self.file("", base), ours: Self.file("", base + line("u5", 9, "5")), theirs: Self.file("", base + line("u5", 9, "6")))
        #expect(clash.conflicts.map(\.kind) == [.record])
        #expect(clash.conflicts.map(\.field.description) == ["[u5]"])
        #expect(clash.bytes.map { String(decoding: $0, as: UTF8.self) } == base + line("u5", 9, "5"))
    }

    @Test func oneEventIdWithTwoContentsIsAConflict() throws {
        let (path, ours) = Fixture.transfer(9, day: 3, from: "hq", to: "a", credits: "5")
        let (_, theirs) = Fixture.transfer(9, day: 3, from: "hq", to: "b", credits: "5")
        let result = OrgMerge.mergeFile(path: path, base: nil, ours: Self.file("", ours), theirs: Self.file("", theirs))
        #expect(result.bytes == Array(ours.utf8))
        #expect(result.conflicts.map(\.kind) == [.event])
        #expect(result.conflicts.first?.theirs == theirs)
        #expect(result.conflicts.first?.takeable == [.theirs])
        // Settled for theirs, ours is made again under a new id at the same time.
        let again = try #require(OrgMerge.reissue(event: Array(ours.utf8), path: path))
        #expect(again.path.hasPrefix("ledger/2026/11/") && again.path != path)
        let newID = String(again.path.dropFirst("ledger/2026/11/".count).dropLast(5))
        #expect(IdentifierKind.ulid.matches(newID))
        #expect(String(decoding: again.bytes, as: UTF8.self) == ours.replacingOccurrences(of: Fixture.ulid(9), with: newID))
    }

    // MARK: Deletion (M4)

    @Test func deletingAgainstAnEditIsAConflictUnlessTheEditOnlyRemovesMembers() {
        let base = "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: admin\n"
        let tombstone = "id: a\nname: Team A\ndeleted:\n  at: 2026-11-03T09:00:00Z\n  by: ana\n  consumed: 0\n"
        let renamed = "id: a\nname: Team Alpha\nmembers:\n  - member: bo\n    role: admin\n"
        let result = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", renamed), theirs: Self.file("", tombstone))
        #expect(result.bytes == Array(tombstone.utf8))
        #expect(result.conflicts.map(\.kind) == [.deleteEdit])
        #expect(result.conflicts.map(\.kept) == [.theirs])
        #expect(result.conflicts.first?.takeable == [.theirs])
        #expect(result.conflicts.first?.message == "workspace 'a' was deleted on their side and edited on ours; a deletion is permanent, so the merge keeps the tombstone and the edit is not applied")

        let unassigned = "id: a\nname: Team A\n"
        let implied = OrgMerge.mergeFile(path: "workspaces/a.yaml", base: Self.file("", base), ours: Self.file("", tombstone), theirs: Self.file("", unassigned))
        #expect(implied == FileMerge(bytes: Array(tombstone.utf8), conflicts: []))
    }

    // MARK: Violations (M3)

    @Test func twoTransfersThatTogetherOverdrawAreAViolationNamingBoth() {
        let base = Self.base()
        let ours = Self.with(base, [Fixture.transfer(10, day: 3, from: "a", to: "b", credits: "60")].map { ($0.0, $0.1) })
        let theirs = Self.with(base, [Fixture.transfer(11, day: 3, from: "a", to: "hq", credits: "50", hour: 10)].map { ($0.0, $0.1) })
        let result = Self.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.conflicts.isEmpty)
        #expect(result.violations.count == 1)
        let violation = result.violations[0]
        #expect(violation.diagnostic.rule == .r(7))
        #expect(violation.diagnostic.location.path == Fixture.eventPath(11))
        #expect(violation.causes == [
            .init(kind: .event, id: Fixture.ulid(10), side: .ours, path: Fixture.eventPath(10), summary: "transfer of 60 from 'a' to 'b'"),
            .init(kind: .event, id: Fixture.ulid(11), side: .theirs, path: Fixture.eventPath(11), summary: "transfer of 50 from 'a' to 'hq'", isDroppable: false),
        ])
        // Only our own event may go: theirs may be published already.
        #expect(violation.causes.map(\.isDroppable) == [true, false])
        #expect(violation.fixes == ["once your event is dropped, make it again after the merge for at most what 'a' then holds (orgsync balances)"])
        // Both events are in the merged files: nothing is lost, the violation is reported.
        #expect(result.merged[Fixture.eventPath(10)] != nil && result.merged[Fixture.eventPath(11)] != nil)
    }

    @Test func twoFittingTransfersMergeCleanly() {
        let base = Self.base()
        let ours = Self.with(base, [Fixture.transfer(10, day: 3, from: "a", to: "b", credits: "60")].map { ($0.0, $0.1) })
        let theirs = Self.with(base, [Fixture.transfer(11, day: 3, from: "a", to: "hq", credits: "40", hour: 10)].map { ($0.0, $0.1) })
        let result = Self.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.isClean)
        let replay = OrgState(result.merged).report.replay
        #expect(replay?.balances["a"] == Credits.zero)
        #expect(replay?.balances["b"].map(\.description) == "60")
        #expect(replay?.balances["hq"].map(\.description) == "940")
    }

    @Test func aTransferIntoAWorkspaceDeletedOnTheOtherSideIsAViolation() {
        let base = Self.base()
        let ours = Self.with(base, [Fixture.transfer(10, day: 3, from: "hq", to: "b", credits: "10")].map { ($0.0, $0.1) })
        let theirs = Self.with(base, [("workspaces/b.yaml", "id: b\nname: Team B\ndeleted:\n  at: 2026-11-02T12:00:00Z\n  by: ana\n  consumed: 0\n")])
        let result = Self.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.conflicts.isEmpty)
        #expect(result.violations.count == 1)
        #expect(result.violations.first?.causes.map(\.summary) == ["transfer of 10 from 'hq' to 'b'", "deleted workspace 'b'"])
        #expect(result.violations.first?.causes.map(\.side) == [.ours, .theirs])
        #expect(result.violations.first?.fixes == ["'b' was deleted on the other side and takes no credits any more: drop the event that uses it"])
    }

    @Test func assigningAMemberRemovedOnTheOtherSideIsAViolation() {
        let base = Self.base()
        let ours = Self.with(base, [("workspaces/b.yaml", "id: b\nname: Team B\nmembers:\n  - member: di\n    role: member\n")])
        let theirs = Self.with(base, [("members/di.yaml", "id: di\nemail: di@acme.example\nrole: admin\nremoved:\n  at: 2026-11-03T09:00:00Z\n  by: ana\n")])
        let result = Self.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.conflicts.isEmpty)
        #expect(result.violations.map(\.diagnostic.rule) == [.r(11)])
        #expect(result.violations.first?.causes.map { "\($0.side.rawValue): \($0.summary)" } == ["ours: changed workspaces/b.yaml", "theirs: removed member 'di'"])
        // Nothing to drop: the fix is in the file.
        #expect(result.violations.first?.causes.contains(where: \.isDroppable) == false)
        #expect(result.violations.first?.fixes == ["edit workspaces/b.yaml so the rule holds with what the other side changed, and stage it; 'orgsync status' rechecks"])
    }

    // MARK: M8

    @Test func mergingWithItselfOrTheBaseIsTheIdentity() {
        let base = Self.base()
        let side = Self.with(base, [("workspaces/b.yaml", "id: b\nname: Team Bravo\n"), Fixture.transfer(10, day: 3, from: "hq", to: "b", credits: "10")].map { ($0.0, $0.1) })
        for (ours, theirs) in [(side, side), (base, side), (side, base)] {
            let result = Self.merge(base: base, ours: ours, theirs: theirs)
            #expect(result.isClean)
            #expect(result.merged.entries.mapValues(\.bytes) == Snapshot(files: side).entries.mapValues(\.bytes))
        }
    }
}

@Suite struct EventIdTests {
    /// Two clones that make an event in the same second after the same last event (two admins offline)
    /// must not make the same id, and each id still sorts after that event.
    @Test func resumingAfterTheSameEventGivesDifferentIds() throws {
        let last = "01M7Y2BK2GFTPGE7VS3QA9QQVY"
        let at = Timestamp(seconds: 1_794_000_000)
        var ids = Set<String>()
        for _ in 0..<50 {
            var generator = ULIDGenerator()
            generator.resume(after: last)
            let id = generator.next(at: at)
            #expect(id > last)
            ids.insert(id)
        }
        #expect(ids.count == 50)
    }
}
