import Testing
@testable import OrgModel

/// T1–T4 on in-memory snapshots: what a commit may change relative to its parents, and who may change it.
@Suite struct TransitionTests {
    /// The base organization in budget mode with 1,000 credits, plus a billing member `cy`, a service
    /// account `gw`, and `bo` as admin of workspace `a`.
    static func parent(_ extra: [(String, String)] = []) -> [String: String] {
        var files = Fixture.base()
        files["members/cy.yaml"] = "id: cy\nemail: Cy@Acme.example\nrole: billing\n"
        files["members/gw.yaml"] = "id: gw\nemail: gw@acme.example\nrole: service\n"
        files["members/di.yaml"] = "id: di\nemail: di@acme.example\nrole: admin\n"
        files["workspaces/a.yaml"] = "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: admin\n"
        for (path, text) in [Fixture.topup(1, day: 1, credits: "1000"), Fixture.mode(2, day: 1, "budget", hour: 10)] + extra {
            files[path] = text
        }
        return files
    }

    /// The rendered transition diagnostics from `parents` (with merge base `base`) to `result`, made by `author`.
    static func check(_ parents: [[String: String]], base: [String: String]? = nil, _ result: [String: String], author: String) -> String {
        let states = parents.map { OrgState(Snapshot(files: $0)) }
        return DiagnosticRenderer.text(Transition.check(from: states, base: base.map { OrgState(Snapshot(files: $0)) },
                                                        to: OrgState(Snapshot(files: result)), author: author))
    }

    static func with(_ files: [String: String], _ changes: [(String, String?)]) -> [String: String] {
        var out = files
        for (path, text) in changes { out[path] = text }
        return out
    }

    @Test func parentIsValid() {
        let report = Validator.validate(Snapshot(files: Self.parent()))
        #expect(DiagnosticRenderer.text(report.diagnostics) == "")
    }

    // MARK: T4

    @Test func billingMayTransferButNotAddMembers() {
        let transfer = Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "250")
        let parent = Self.parent()
        let byCy = (transfer.0, transfer.1.replacingOccurrences(of: "by: ana", with: "by: cy"))
        #expect(Self.check([parent], Self.with(parent, [byCy]), author: "cy@acme.example") == "")
        // The event must say who made it.
        #expect(Self.check([parent], Self.with(parent, [transfer]), author: "cy@acme.example") == """
        ledger/2026/11/01JD0000000000000000000003.yaml:3:5: error: [T4] ledger event '01JD0000000000000000000003' is recorded with by: ana, but the commit is made by 'cy' (cy@acme.example); set by: cy, or commit as ana

        """)

        let child = Self.with(parent, [("members/ed.yaml", "id: ed\nemail: ed@acme.example\nrole: member\n")])
        #expect(Self.check([parent], child, author: "CY@acme.example") == """
        members/ed.yaml:1:1: error: [T4] billing 'cy' (CY@acme.example) may not make this change: added member 'ed'; billing may only add ledger events (top-ups, transfers and mode changes)

        """)
    }

    @Test func nonMemberMayChangeNothing() {
        let parent = Self.parent()
        let child = Self.with(parent, [("workspaces/b.yaml", "id: b\nname: Team Bee\n"), ("README.md", "hello\n")])
        #expect(Self.check([parent], child, author: "mallory@evil.example") == """
        README.md: error: [T4] 'mallory@evil.example' is not a member of the organization, and a non-member may change nothing; commit as a member (git config user.email) or ask an owner to add you. This commit added README.md
        workspaces/b.yaml:2:7: error: [T4] 'mallory@evil.example' is not a member of the organization, and a non-member may change nothing; commit as a member (git config user.email) or ask an owner to add you. This commit changed the name of workspace 'b'

        """)
    }

    @Test func removedMemberIsNoLongerAMember() {
        let parent = Self.with(Self.parent(), [("members/cy.yaml", "id: cy\nemail: cy@acme.example\nrole: billing\nremoved:\n  at: 2026-11-01T12:00:00Z\n  by: ana\n")])
        let child = Self.with(parent, [Fixture.topup(3, day: 2, credits: "5")])
        #expect(Self.check([parent], child, author: "cy@acme.example").contains("'cy@acme.example' is not a member of the organization"))
    }

    @Test func workspaceAdminManagesOnlyTheirWorkspace() {
        let parent = Self.parent()
        let own = Self.with(parent, [("workspaces/a.yaml", "id: a\nname: Team Alpha\nmembers:\n  - member: bo\n    role: admin\n  - member: cy\n    role: viewer\nproviders:\n  disabled: []\n")])
        #expect(Self.check([parent], own, author: "bo@acme.example") == "")

        let other = Self.with(parent, [("workspaces/b.yaml", "id: b\nname: Team Bee\n")])
        #expect(Self.check([parent], other, author: "bo@acme.example") == """
        workspaces/b.yaml:2:7: error: [T4] member 'bo' (bo@acme.example) may not make this change: changed the name of workspace 'b'; a member may change nothing in the organization, and as admin of 'a' may change that workspace's name, members, keys and provider settings

        """)

        let settings = Self.with(parent, [("workspaces/a.yaml", "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: admin\nsettings:\n  route: fast\n")])
        #expect(Self.check([parent], settings, author: "bo@acme.example").contains("added the settings.route of workspace 'a'"))
    }

    @Test func onlyOwnersGrantOrRevokeOwnerOrChangePolicy() {
        let parent = Self.parent()
        let grant = Self.with(parent, [("members/bo.yaml", "id: bo\nemail: bo@acme.example\nrole: owner\n")])
        #expect(Self.check([parent], grant, author: "di@acme.example") == """
        members/bo.yaml:3:7: error: [T4] admin 'di' (di@acme.example) may not make this change: changed the role of member 'bo'; an admin may change everything except the owner role and the org policy; ask an owner

        """)
        #expect(Self.check([parent], grant, author: "ana@acme.example") == "")

        let promote = Self.with(parent, [("members/bo.yaml", "id: bo\nemail: bo@acme.example\nrole: billing\n")])
        #expect(Self.check([parent], promote, author: "di@acme.example") == "")

        let revoke = Self.with(parent, [("members/ana.yaml", "id: ana\nemail: ana@acme.example\nrole: owner\nremoved:\n  at: 2026-11-02T09:00:00Z\n  by: di\n")])
        #expect(Self.check([parent], revoke, author: "di@acme.example").contains("added the removal of member 'ana'"))

        let policy = Self.with(parent, [("org.yaml", "schema: 1\nid: acme\nname: Acme\npolicy:\n  signedCommits: required\n")])
        #expect(Self.check([parent], policy, author: "di@acme.example").contains("changed the org policy"))
        #expect(Self.check([parent], policy, author: "ana@acme.example") == "")
    }

    @Test func serviceMayOnlyAppendUsage() {
        let parent = Self.parent([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100")])
        let usage = Fixture.usage(workspace: "a", day: 3, [("r1", 9, "2.5")])
        let appended = Self.with(parent, [usage])
        #expect(Self.check([parent], appended, author: "gw@acme.example") == "")

        let more = Self.with(appended, [(usage.0, usage.1 + "{\"id\":\"r2\",\"at\":\"2026-11-03T10:00:00Z\",\"member\":\"bo\",\"tool\":\"chat\",\"credits\":1}\n")])
        #expect(Self.check([appended], more, author: "gw@acme.example") == "")
        #expect(Self.check([parent], Self.with(parent, [Fixture.topup(9, day: 3, credits: "1")]), author: "gw@acme.example")
            .contains("a service account may only append usage records"))
    }

    @Test func optionalFieldRemovalIsAChange() {
        let parent = Self.with(Self.parent(), [("members/bo.yaml", "id: bo\nemail: bo@acme.example\nname: Bo\nrole: member\n")])
        let child = Self.with(parent, [("members/bo.yaml", "id: bo\nemail: bo@acme.example\nrole: member\n")])
        #expect(Self.check([parent], child, author: "cy@acme.example") == """
        members/bo.yaml: error: [T4] billing 'cy' (cy@acme.example) may not make this change: removed the name of member 'bo'; billing may only add ledger events (top-ups, transfers and mode changes)

        """)
    }

    @Test func reformattingIsNoChange() {
        let parent = Self.parent()
        let child = Self.with(parent, [("workspaces/a.yaml", "# Team A\nid: a\nname: \"Team A\"\nmembers: [{member: bo, role: admin}]\n")])
        #expect(Self.check([parent], child, author: "gw@acme.example") == "")
    }

    @Test func mergeIsCheckedForWhatItAddsBeyondItsParents() {
        let base = Self.parent()
        let ours = Self.with(base, [Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100")])
        let theirs = Self.with(base, [("workspaces/b.yaml", "id: b\nname: Team Bee\n")])
        let union = Self.with(ours, [("workspaces/b.yaml", "id: b\nname: Team Bee\n")])
        // bo may change neither side's files, but a clean merge adds nothing of its own.
        #expect(Self.check([ours, theirs], base: base, union, author: "bo@acme.example") == "")

        let extra = Self.with(union, [("workspaces/b.yaml", "id: b\nname: Team B2\n")])
        #expect(Self.check([ours, theirs], base: base, extra, author: "bo@acme.example").contains("changed the name of workspace 'b'"))
        // Taking the base's value back, undoing one side's change, is the merger's own change too.
        let reverted = Self.with(union, [("workspaces/b.yaml", "id: b\nname: Team B\n")])
        #expect(Self.check([ours, theirs], base: base, reverted, author: "bo@acme.example").contains("changed the name of workspace 'b'"))
        // A merge may leave out an event only one side added: that settles a violation (M3). Leaving out one
        // the base had is a rewrite of history.
        let dropped = Self.with(union, [(Fixture.eventPath(3), nil)])
        #expect(Self.check([ours, theirs], base: base, dropped, author: "ana@acme.example") == "")
        #expect(Self.check([ours, theirs], base: base, dropped, author: "bo@acme.example") == """
        ledger/2026/11/01JD0000000000000000000003.yaml: error: [T4] member 'bo' (bo@acme.example) may not make this change: removed ledger event '01JD0000000000000000000003'; a member may change nothing in the organization, and as admin of 'a' may change that workspace's name, members, keys and provider settings

        """)
        // Only our own: what the merged-in side brings stays.
        let withTheirs = Self.with(theirs, [Fixture.transfer(4, day: 2, from: "hq", to: "b", credits: "5")])
        #expect(Self.check([ours, withTheirs], base: base, union, author: "ana@acme.example") == """
        ledger/2026/11/01JD0000000000000000000004.yaml: error: [T1] ledger event file ledger/2026/11/01JD0000000000000000000004.yaml was removed; ledger files are append-only (F5): restore it, and record a correction as a new event

        """)
        let both = Self.with(base, [Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100")])
        #expect(Self.check([ours, theirs], base: both, Self.with(union, [(Fixture.eventPath(3), nil)]), author: "ana@acme.example") == """
        ledger/2026/11/01JD0000000000000000000003.yaml: error: [T1] ledger event file ledger/2026/11/01JD0000000000000000000003.yaml was removed; ledger files are append-only (F5): restore it, and record a correction as a new event

        """)
    }

    @Test func aMergeCannotBringBackAnOldRole() {
        // cy was made owner in `old`, then demoted on main; merging `old` back in cannot restore the role.
        let old = Self.with(Self.parent(), [("members/cy.yaml", "id: cy\nemail: cy@acme.example\nrole: owner\n")])
        let main = Self.with(old, [("members/cy.yaml", "id: cy\nemail: cy@acme.example\nrole: billing\n")])
        #expect(Self.check([main, old], base: old, old, author: "cy@acme.example")
            .contains("billing 'cy' (cy@acme.example) may not make this change: changed the role of member 'cy'"))
    }

    @Test func aMergeNeedsRightsOnEverySideAndOneHistory() {
        let main = Self.parent()
        var orphan = Self.parent()
        orphan["members/eve.yaml"] = "id: eve\nemail: eve@evil.example\nrole: owner\n"
        let merged = Self.with(main, [("members/eve.yaml", orphan["members/eve.yaml"])])
        let text = Self.check([orphan, main], merged, author: "eve@evil.example")
        #expect(text == "org.yaml: error: [T2] this merge joins organization histories that share no commit; an organization has one history, so merge only branches of it\n")
        // An empty first parent does not make a merge a founding commit.
        #expect(Self.check([[:], main], merged, author: "eve@evil.example").contains("'eve@evil.example' is not a member of the organization"))
    }

    @Test func anAdminCannotReviveARemovedOwner() {
        let parent = Self.with(Self.parent(), [("members/zed.yaml", "id: zed\nemail: zed@acme.example\nrole: owner\nremoved:\n  at: 2026-11-01T12:00:00Z\n  by: ana\n")])
        let revived = Self.with(parent, [("members/zed.yaml", "id: zed\nemail: di+owner@acme.example\nrole: owner\n")])
        #expect(Self.check([parent], revived, author: "di@acme.example")
            .contains("admin 'di' (di@acme.example) may not make this change: removed the removal of member 'zed' and changed the email of member 'zed'"))
    }

    @Test func rootCommitIsMadeByAnOwner() {
        let files = Self.parent()
        #expect(Self.check([], files, author: "ANA@acme.example") == "")
        #expect(Self.check([], files, author: "di@acme.example") == """
        members: error: [T4] the first commit creates the organization, so its author must be one of the owners it creates, but 'di@acme.example' is not; commit as the owner (git config user.email) or run 'orgsync init --owner di@acme.example'

        """)
        // The same holds on top of a repository that had no organization files yet.
        let readme = ["README.md": "# Acme\n"]
        #expect(Self.check([readme], Self.with(files, [("README.md", "# Acme\n")]), author: "ana@acme.example") == "")
        #expect(Self.check([readme], Self.with(files, [("README.md", "# Acme\n")]), author: "di@acme.example").contains("the first commit creates the organization"))
    }

    // MARK: T1

    @Test func ledgerFilesAreImmutable() {
        let parent = Self.parent()
        let changed = Self.with(parent, [(Fixture.eventPath(1), "id: \(Fixture.ulid(1))\nat: \(Fixture.time(day: 1))\nby: ana\ntype: topup\ncredits: 9000\n")])
        #expect(Self.check([parent], changed, author: "ana@acme.example") == """
        ledger/2026/11/01JD0000000000000000000001.yaml:5:1: error: [T1] ledger event file ledger/2026/11/01JD0000000000000000000001.yaml was changed; ledger files are immutable (F5): restore it byte for byte, and record a correction as a new event

        """)
    }

    @Test func usageRecordsAreAppendOnly() {
        let usage = Fixture.usage(workspace: "a", day: 3, [("r1", 9, "2.5"), ("r2", 10, "1")])
        let parent = Self.parent([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100"), usage])
        let child = Self.with(parent, [(usage.0, Fixture.usage(workspace: "a", day: 3, [("r1", 9, "2.5")]).1)])
        #expect(Self.check([parent], child, author: "ana@acme.example") == """
        usage/a/2026/11/03-gw-1.jsonl: error: [T1] usage record 'r2' was removed; usage records are append-only, and only deleting their workspace (R10) removes them
          usage/a/2026/11/03-gw-1.jsonl:2:1: note: the record in the parent

        """)
        let changed = Self.with(parent, [(usage.0, usage.1.replacingOccurrences(of: "\"credits\":1}", with: "\"credits\":0.5}"))])
        #expect(Self.check([parent], changed, author: "ana@acme.example") == """
        usage/a/2026/11/03-gw-1.jsonl:2:1: error: [T1] usage record 'r2' was changed; usage records are immutable: restore it, and correct usage with new records
          usage/a/2026/11/03-gw-1.jsonl:2:1: note: it was: {"id":"r2","at":"2026-11-03T10:00:00Z","member":"bo","tool":"chat","credits":1}

        """)
    }

    // MARK: T2

    @Test func idsAreStableAndThePrimaryStays() {
        let parent = Self.parent()
        let removed = Self.with(parent, [("workspaces/b.yaml", nil), ("members/bo.yaml", nil)])
        let text = Self.check([parent], removed, author: "ana@acme.example")
        #expect(text.contains("workspaces/b.yaml: error: [T2] workspace 'b' was removed"))
        #expect(text.contains("members/bo.yaml: error: [T2] member 'bo' was removed"))

        let demoted = Self.with(parent, [("workspaces/hq.yaml", "id: hq\nname: HQ\nmembers:\n  - member: ana\n    role: admin\n"),
                                         ("workspaces/b.yaml", "id: b\nname: Team B\nprimary: true\n")])
        #expect(Self.check([parent], demoted, author: "ana@acme.example") == """
        workspaces/hq.yaml:1:1: error: [T2] 'hq' is the Primary Workspace; it cannot be demoted (R3)

        """)
    }

    @Test func tombstonesStay() {
        let tombstone = "id: b\nname: Team B\ndeleted:\n  at: 2026-11-02T09:00:00Z\n  by: ana\n  consumed: 0\n"
        let parent = Self.with(Self.parent(), [("workspaces/b.yaml", tombstone)])
        let revived = Self.with(parent, [("workspaces/b.yaml", "id: b\nname: Team B\n")])
        #expect(Self.check([parent], revived, author: "ana@acme.example") == """
        workspaces/b.yaml:1:1: error: [T2] the tombstone of 'b' was revived; a deletion is permanent and its tombstone never changes: restore the file, and create a workspace with a new id instead

        """)
    }

    // MARK: T3

    @Test func deletionRecordsExactlyWhatWasConsumed() {
        let usage = Fixture.usage(workspace: "a", day: 3, [("r1", 9, "2.5"), ("r2", 10, "1")])
        let parent = Self.parent([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "100"), usage])
        func deleted(consumed: String, at: String = "2026-11-04T09:00:00Z") -> [String: String] {
            Self.with(parent, [(usage.0, nil),
                               ("workspaces/a.yaml", "id: a\nname: Team A\ndeleted:\n  at: \(at)\n  by: ana\n  consumed: \(consumed)\n"),
                               ("ledger/2026/11/\(Fixture.ulid(4)).yaml", "id: \(Fixture.ulid(4))\nat: \(at)\nby: ana\ntype: transfer\nfrom: a\nto: hq\ncredits: 96.5\nreason: deletion\n")])
        }
        #expect(Validator.validate(Snapshot(files: deleted(consumed: "3.5"))).diagnostics.isEmpty)
        #expect(Self.check([parent], deleted(consumed: "3.5"), author: "ana@acme.example") == "")
        #expect(Self.check([parent], deleted(consumed: "3.5"), author: "bo@acme.example").contains("[T4] member 'bo'"))
        #expect(Self.check([parent], deleted(consumed: "2.5"), author: "ana@acme.example") == """
        workspaces/a.yaml:6:13: error: [T3] the tombstone of 'a' records consumed: 2.5, but its usage records before the deletion total 3.5; set deleted.consumed to 3.5 so the organization's totals stay exact (R10)

        """)
        #expect(Self.check([parent], deleted(consumed: "3.5", at: "2026-11-03T09:30:00Z"), author: "ana@acme.example") == """
        workspaces/a.yaml:4:7: error: [T3] 'a' is deleted at 2026-11-03T09:30:00Z, before its last activity at 2026-11-03T10:00:00Z; date the deletion when it happens

        """)
    }
}
