@testable import OrgModel
import Testing

@Suite("Approval rules (G2)")
struct ApprovalTests {
    static let policy = """
        schema: 1
        id: acme
        name: Acme
        policy:
          approvals:
            - name: large-transfers
              when:
                transferAtLeast: 500
              require: 2
              from: [owner, billing]
            - name: top-ups
              when:
                topup: true
              require: 1
              from: [owner]
            - name: owners
              when:
                ownerChange: true
              require: 1
              from: [owner]
            - name: config
              when:
                paths: [providers.yaml, "workspaces/*.yaml"]
              require: 1
              from: [admin]
        """

    /// The fixture organization with the policy, owners ana and cy, billing bi, admin di (with GitHub handles).
    static func base() -> [String: String] {
        var files = Fixture.base()
        files["org.yaml"] = policy + "\n"
        files["members/cy.yaml"] = "id: cy\nemail: Cy@Acme.example\nrole: owner\ngithub: CyDev\n"
        files["members/bi.yaml"] = "id: bi\nemail: bi@acme.example\nrole: billing\n"
        files["members/di.yaml"] = "id: di\nemail: di@acme.example\nrole: admin\ngithub: di\n"
        files["members/ex.yaml"] = "id: ex\nemail: ex@acme.example\nrole: owner\nremoved:\n  at: 2026-11-02T09:00:00Z\n  by: ana\n"
        return files
    }

    static func state(_ files: [String: String], _ extra: [(String, String)] = []) -> OrgState {
        OrgState(Fixture.snapshot(files, extra))
    }

    static let before = state(base(), [Fixture.topup(1, day: 1, credits: "10000"), Fixture.mode(2, day: 1, "budget", hour: 10)])

    static func changes(_ extra: [(String, String)], edit: ((inout [String: String]) -> Void)? = nil) -> OrgChanges {
        var files = base()
        edit?(&files)
        return OrgChanges(from: before, to: state(files, [Fixture.topup(1, day: 1, credits: "10000"), Fixture.mode(2, day: 1, "budget", hour: 10)] + extra))
    }

    static func check(_ changes: OrgChanges, authors: [String] = ["ana@acme.example"], approvers: [String]) -> [String: ApprovalVerdict] {
        let verdicts = before.organization.config!.policy.check(changes, in: before.organization, authors: authors, approvers: approvers)
        return Dictionary(uniqueKeysWithValues: verdicts.map { ($0.rule.name, $0) })
    }

    @Test func theFixtureIsValid() {
        #expect(Self.before.report.diagnostics == [])
    }

    @Test func aTransferTriggersTheRuleFromExactlyItsThreshold() throws {
        let below = Self.changes([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "499.9999")])
        #expect(Self.check(below, approvers: []).isEmpty)
        let at = Self.changes([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "500")])
        let verdict = try #require(Self.check(at, approvers: [])["large-transfers"])
        #expect(verdict.requirement.reasons == ["a transfer of 500 credits from 'hq' to 'a' (at least 500)"])
        #expect(verdict.missing == 2)
        #expect(verdict.eligible.map(\.id) == ["bi", "cy"]) // ana wrote it; ex was removed
    }

    @Test func anAuthorNeverApprovesAndAnIneligibleRoleDoesNotCount() throws {
        let change = Self.changes([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "700")])
        let verdict = try #require(Self.check(change, approvers: ["ANA@acme.example", "di@acme.example", "bi@acme.example"])["large-transfers"])
        #expect(verdict.counted == ["bi"])
        #expect(verdict.ignored == [
            IgnoredApproval(approver: "ANA@acme.example", reason: "'ana' wrote commits of this change, and an author never approves their own change"),
            IgnoredApproval(approver: "di@acme.example", reason: "'di' is admin, and this rule counts approvals from owner or billing"),
        ])
        #expect(!verdict.isMet)
        #expect(verdict.missing == 1)
    }

    @Test func oneApproverCountsOncePerRuleHoweverTheyAreNamed() throws {
        let change = Self.changes([Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "700")])
        let verdict = try #require(Self.check(change, approvers: ["@cydev", "cy@acme.example", "@CyDev"])["large-transfers"])
        #expect(verdict.counted == ["cy"])
        #expect(verdict.ignored == [IgnoredApproval(approver: "cy@acme.example", reason: "names 'cy' again (first as '@cydev'), and a member counts once")])
        #expect(!verdict.isMet)
        let met = try #require(Self.check(change, approvers: ["@cydev", "bi@acme.example"])["large-transfers"])
        #expect(met.isMet)
        #expect(met.counted == ["cy", "bi"])
    }

    @Test func strangersAndRemovedMembersDoNotCount() throws {
        let change = Self.changes([Fixture.topup(3, day: 2, credits: "5")])
        let verdict = try #require(Self.check(change, approvers: ["@nobody", "x@y.example", "ex@acme.example"])["top-ups"])
        #expect(verdict.counted == [])
        #expect(verdict.ignored.map(\.reason) == [
            "no member has the GitHub handle 'nobody'; approvals count only from members of the organization",
            "no member has the email 'x@y.example'; approvals count only from members of the organization",
            "'ex' was removed from the organization",
        ])
    }

    @Test func everyAuthorOfTheRangeIsExcluded() throws {
        let change = Self.changes([Fixture.topup(3, day: 2, credits: "5")])
        let verdict = try #require(Self.check(change, authors: ["ana@acme.example", "cy@acme.example"], approvers: ["@CYDEV"])["top-ups"])
        #expect(verdict.counted == [])
        #expect(verdict.eligible == [])
        #expect(verdict.requirement.reasons == ["a top-up of 5 credits"])
    }

    @Test func ownerChangesAreRolesGivenOrTakenAndOwnersIdentities() throws {
        let promoted = Self.changes([]) { $0["members/bo.yaml"] = "id: bo\nemail: bo@acme.example\nrole: owner\n" }
        #expect(Self.check(promoted, approvers: [])["owners"]?.requirement.reasons == ["an owner change: changed the role of 'bo' from member to owner"])
        let email = Self.changes([]) { $0["members/cy.yaml"] = "id: cy\nemail: cy@evil.example\nrole: owner\ngithub: CyDev\n" }
        #expect(Self.check(email, approvers: [])["owners"]?.requirement.reasons == ["an owner change: changed the email of 'cy' from 'Cy@Acme.example' to 'cy@evil.example'"])
        let name = Self.changes([]) { $0["members/cy.yaml"] = "id: cy\nemail: Cy@Acme.example\nname: Cy\nrole: owner\ngithub: CyDev\n" }
        #expect(Self.check(name, approvers: [])["owners"] == nil)
        let added = Self.changes([]) { $0["members/fe.yaml"] = "id: fe\nemail: fe@acme.example\nrole: owner\n" }
        #expect(Self.check(added, approvers: [])["owners"]?.requirement.reasons == ["an owner change: added member 'fe' (fe@acme.example) as owner"])
    }

    @Test func changingWhoMayApproveNeedsThatRulesApprovals() throws {
        // bi's handle decides who '@handle' approvals name: an admin cannot hand them to someone else unseen.
        let handle = Self.changes([]) { $0["members/bi.yaml"] = "id: bi\nemail: bi@acme.example\nrole: billing\ngithub: di-alt\n" }
        let verdicts = Self.check(handle, approvers: [])
        #expect(verdicts["large-transfers"]?.requirement.reasons == ["a change to who may approve (owner or billing): changed the GitHub handle of 'bi' from none to 'di-alt'"])
        #expect(verdicts["top-ups"] == nil)
        // A new billing member is a new approver of large transfers.
        let added = Self.changes([]) { $0["members/fe.yaml"] = "id: fe\nemail: fe@acme.example\nrole: billing\n" }
        #expect(Self.check(added, approvers: []).keys.sorted() == ["large-transfers"])
        // Promoting to owner changes the approvers of every owner rule, and is an owner change.
        let promoted = Self.changes([]) { $0["members/di.yaml"] = "id: di\nemail: di@acme.example\nrole: owner\ngithub: di\n" }
        #expect(Self.check(promoted, approvers: []).keys.sorted() == ["config", "large-transfers", "owners", "top-ups"])
        // A display name is not who someone is.
        let renamed = Self.changes([]) { $0["members/bi.yaml"] = "id: bi\nemail: bi@acme.example\nname: Bi\nrole: billing\n" }
        #expect(Self.check(renamed, approvers: []).isEmpty)
    }

    @Test func twoMembersCannotShareAHandle() {
        var files = Self.base()
        files["members/bi.yaml"] = "id: bi\nemail: bi@acme.example\nrole: billing\ngithub: cydev\n"
        let report = Validator.validate(Snapshot(files: files))
        #expect(report.diagnostics.map(\.message) == ["github handle 'CyDev' is also the handle of member 'bi'; handles name approvers, so they are unique, ignoring case"])
    }

    @Test func pathsMatchTheFilesTheChangeTouches() throws {
        let renamed = Self.changes([]) { $0["workspaces/b.yaml"] = "id: b\nname: Team Bee\n" }
        let verdict = try #require(Self.check(renamed, approvers: ["@di"])["config"])
        #expect(verdict.requirement.reasons == ["a change to workspaces/b.yaml (matches 'workspaces/*.yaml')"])
        #expect(verdict.isMet)
        // A reformat with the same meaning is still a change to the file.
        let reformatted = Self.changes([]) { $0["workspaces/b.yaml"] = "id: b\nname: 'Team B'\n" }
        #expect(Self.check(reformatted, approvers: [])["config"]?.requirement.reasons == ["a change to workspaces/b.yaml (matches 'workspaces/*.yaml')"])
        #expect(Self.check(Self.changes([Fixture.topup(3, day: 2, credits: "5")]), approvers: [])["config"] == nil)
    }

    @Test(arguments: [
        ("providers.yaml", "providers.yaml", true),
        ("/providers.yaml", "providers.yaml", true),
        ("providers.yaml", "x/providers.yaml", false),
        ("workspaces/*.yaml", "workspaces/a.yaml", true),
        ("workspaces/*.yaml", "workspaces/a.json", false),
        ("workspaces/*", "workspaces/deep/a.yaml", false),
        ("ledger/", "ledger/2026/11/x.yaml", true),
        ("ledger/**", "ledger/2026/11/x.yaml", true),
        ("ledger/**/x.yaml", "ledger/x.yaml", true),
        ("**/x.yaml", "ledger/2026/x.yaml", true),
        ("members/?o.yaml", "members/bo.yaml", true),
        ("members/?o.yaml", "members/boo.yaml", false),
        ("usage/*/2026/**", "usage/a/2026/11/01-gw.jsonl", true),
    ])
    func globs(pattern: String, path: String, matches: Bool) {
        #expect(PathGlob.matches(pattern, path) == matches)
    }

    @Test func aRuleWithNoRoleToApproveIsAnError() {
        var files = Fixture.base()
        files["org.yaml"] = "schema: 1\nid: acme\nname: Acme\npolicy:\n  approvals:\n    - name: r\n      when:\n        topup: true\n      require: 1\n      from: []\n"
        let report = Validator.validate(Snapshot(files: files))
        #expect(report.diagnostics.map(\.message) == ["this rule's 'from' names no role, so no approval could ever count; list the org roles whose approvals count, such as owner"])
    }
}
