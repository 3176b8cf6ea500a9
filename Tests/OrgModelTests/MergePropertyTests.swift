import OrgTestSupport
import Testing
@testable import OrgModel

/// M8 over generated organizations: two sides make seeded random series of admin operations on one base,
/// and the merge is symmetric, is the identity on a side merged with itself or the base, and loses no edit.
@Suite struct MergePropertyTests {
    typealias Seeded = SeededGenerator

    static let workspaceIDs = ["a", "b", "ops", "lab", "web"]
    static let memberIDs = ["bo", "cy", "di", "ed", "fa"]

    /// A random operation an owner could run on `org`.
    static func operation(_ org: Organization, _ random: inout Seeded) -> AdminOperation {
        let live = org.workspaces.filter { !$0.isDeleted }.map(\.id)
        let members = org.members.filter(\.isActive).map(\.id)
        let amount = Credits(whole: Int64.random(in: 1...120, using: &random)) ?? .zero
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return .createWorkspace(id: workspaceIDs.randomElement(using: &random) ?? "a", name: "WS \(Int.random(in: 0..<3, using: &random))")
        case 1: return .renameWorkspace(id: live.randomElement(using: &random) ?? "a", name: "Renamed \(Int.random(in: 0..<3, using: &random))")
        case 2, 3: return .transfer(from: live.randomElement(using: &random) ?? "hq", to: live.randomElement(using: &random) ?? "a", credits: amount, memo: nil)
        case 4:
            let id = memberIDs.randomElement(using: &random) ?? "ed"
            return .addMember(id: id, email: "\(id)\(Int.random(in: 0..<2, using: &random))@acme.example", name: nil, role: .member, workspaces: [])
        case 5:
            return .assign(member: members.randomElement(using: &random) ?? "bo", workspace: live.randomElement(using: &random) ?? "a",
                           role: [.admin, .member, .viewer].randomElement(using: &random) ?? .member)
        case 6: return .unassign(member: members.randomElement(using: &random) ?? "bo", workspace: live.randomElement(using: &random) ?? "a")
        case 7: return .topup(credits: amount, reference: nil)
        default: return .setRole(member: members.filter { $0 != "ana" }.randomElement(using: &random) ?? "bo", role: [.admin, .billing, .member].randomElement(using: &random) ?? .member)
        }
    }

    /// `count` valid operations applied one after another to `state`, as `ana`, from `start` on.
    static func side(from state: OrgState, count: Int, start: Int64, _ random: inout Seeded) -> OrgState {
        var current = state
        var applied = 0, attempts = 0
        while applied < count, attempts < count * 20 {
            attempts += 1
            guard let ana = current.activeMember(email: "ana@acme.example") else { break }
            let now = Timestamp(seconds: start + Int64(attempts) * 60)
            guard let edit = try? operation(current.organization, &random).plan(on: current, by: ana, at: now) else { continue }
            let next = OrgState(edit.applied(to: current.snapshot))
            guard next.report.isValid else { continue }
            current = next
            applied += 1
        }
        return current
    }

    static func bytes(_ snapshot: Snapshot) -> [String: [UInt8]] { snapshot.entries.mapValues(\.bytes) }

    @Test(arguments: 0..<100)
    func mergeIsSymmetricIdempotentAndLosesNothing(seed: Int) throws {
        var random = Seeded(seed: UInt64(seed))
        let base = OrgState(Snapshot(files: MergeTests.base()))
        try #require(base.report.isValid)
        let day3: Int64 = 1_794_042_000 // 2026-11-08T09:00:00Z, after every base event
        let ours = Self.side(from: base, count: Int.random(in: 1...6, using: &random), start: day3, &random)
        let theirs = Self.side(from: base, count: Int.random(in: 1...6, using: &random), start: day3 + 30, &random)

        // Identity.
        for (a, b) in [(ours, ours), (base, ours), (ours, base)] {
            let result = OrgMerge.merge(base: base, ours: a, theirs: b)
            #expect(result.isClean, "seed \(seed)")
            #expect(Self.bytes(result.merged) == Self.bytes(ours.snapshot), "seed \(seed)")
        }

        // Symmetry, up to the naming of sides.
        let forward = OrgMerge.merge(base: base, ours: ours, theirs: theirs)
        let backward = OrgMerge.merge(base: base, ours: theirs, theirs: ours)
        let swapped = backward.conflicts.map { conflict -> MergeConflict in
            var mirrored = conflict
            (mirrored.ours, mirrored.theirs) = (conflict.theirs, conflict.ours)
            mirrored.kept = conflict.kept.other
            mirrored.message = conflict.message
            return mirrored
        }
        #expect(Set(forward.conflicts.map { "\($0.path) \($0.field) \($0.kind)" }) == Set(swapped.map { "\($0.path) \($0.field) \($0.kind)" }), "seed \(seed)")
        #expect(Set(forward.conflicts.map { [$0.ours, $0.theirs] }) == Set(swapped.map { [$0.ours, $0.theirs] }), "seed \(seed)")
        let conflictedPaths = Set(forward.conflicts.map(\.path))
        let clean = Self.bytes(forward.merged).filter { !conflictedPaths.contains($0.key) }
        #expect(clean == Self.bytes(backward.merged).filter { !conflictedPaths.contains($0.key) }, "seed \(seed)")
        #expect(Set(forward.violations.map(\.diagnostic)) == Set(backward.violations.map(\.diagnostic)), "seed \(seed)")
        #expect(forward.violations.map { $0.causes.map { "\($0.id) \($0.side.other)" }.sorted() }
            == backward.violations.map { $0.causes.map { "\($0.id) \($0.side)" }.sorted() }, "seed \(seed)")

        // No lost edits: every event, every entity, and every field one side changed is in the merge.
        let merged = OrgState(forward.merged).organization
        let mergedEvents = Set(merged.events.map(\.id))
        for side in [ours, theirs] {
            for event in side.organization.events { #expect(mergedEvents.contains(event.id), "seed \(seed): event \(event.id) lost") }
            for workspace in side.organization.workspaces { #expect(merged.workspace(workspace.id) != nil, "seed \(seed): workspace \(workspace.id) lost") }
            for member in side.organization.members { #expect(merged.member(member.id) != nil, "seed \(seed): member \(member.id) lost") }
        }
        for (side, other) in [(ours, theirs), (theirs, ours)] {
            for workspace in side.organization.workspaces where !conflictedPaths.contains(workspace.source.path) {
                let before = base.organization.workspace(workspace.id)
                guard let after = merged.workspace(workspace.id) else { continue }
                if before?.name != workspace.name, other.organization.workspace(workspace.id)?.name == before?.name {
                    #expect(after.name == workspace.name, "seed \(seed): rename of \(workspace.id) lost")
                }
                let added = Set(workspace.members.map(\.member)).subtracting(before?.members.map(\.member) ?? [])
                for member in added {
                    #expect(after.members.contains { $0.member == member }, "seed \(seed): \(member) in \(workspace.id) lost")
                }
            }
            for member in side.organization.members where !conflictedPaths.contains(member.source.path) {
                let before = base.organization.member(member.id)
                if before?.role != member.role, other.organization.member(member.id)?.role == before?.role {
                    #expect(merged.member(member.id)?.role == member.role, "seed \(seed): role of \(member.id) lost")
                }
            }
        }
    }
}
