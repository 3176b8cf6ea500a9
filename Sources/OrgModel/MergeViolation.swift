/// An invariant the merged organization breaks although neither side broke it alone (SPEC M3): two
/// transfers that each fit but together overdraw, a transfer into a workspace deleted on the other side, an
/// assignment of a member removed on the other side. Distinct from a conflict: no single field was set
/// twice; the combination is what fails.
public struct MergeViolation: Sendable, Hashable, Comparable {
    /// An event, usage record or file from one side that takes part in the violation.
    public struct Cause: Sendable, Hashable, Comparable {
        public enum Kind: String, Sendable, Hashable { case event, record, file }
        public var kind: Kind
        /// The event or record id, or the file's path.
        public var id: String
        public var side: MergeSide
        public var path: String
        /// What it is, in a few words: "transfer of 60 from 'team-a' to 'app'".
        public var summary: String

        /// Ours first, then by file.
        public static func < (lhs: Cause, rhs: Cause) -> Bool {
            (lhs.side.rawValue, lhs.path, lhs.id) < (rhs.side.rawValue, rhs.path, rhs.id)
        }

        /// Whether `orgsync resolve --drop` can take it out of the merge.
        public var isDroppable: Bool { kind != .file }
    }

    /// The broken rule, where the merged state breaks it.
    public var diagnostic: Diagnostic
    /// What each side contributed, ours first.
    public var causes: [Cause]
    /// Ways to settle it besides dropping one of the droppable causes, in a sentence each.
    public var fixes: [String]

    /// The same violation in any later check of the same merge has the same key.
    public var key: String { "\(diagnostic.rule)|\(diagnostic.location.path)|\(causes.map(\.id).sorted().joined(separator: ","))" }

    public static func < (lhs: MergeViolation, rhs: MergeViolation) -> Bool { lhs.diagnostic < rhs.diagnostic }
}

extension OrgMerge {
    /// The errors of `merged` that neither `ours` nor `theirs` has, each with the events, records and files
    /// of each side that cause it, and fixes. `fixCommand` turns a dropped id into the command that drops it.
    public static func violations(base: OrgState, ours: OrgState, theirs: OrgState, merged: OrgState) -> [MergeViolation] {
        func key(_ diagnostic: Diagnostic) -> String { "\(diagnostic.rule)|\(diagnostic.location.path)|\(diagnostic.message)" }
        let known = Set((ours.report.diagnostics + theirs.report.diagnostics).filter { $0.severity == .error }.map(key))
        let sides = SideChanges(base: base, ours: ours, theirs: theirs)
        var out: [MergeViolation] = []
        for diagnostic in merged.report.diagnostics where diagnostic.severity == .error && !known.contains(key(diagnostic)) {
            out.append(sides.explain(diagnostic, in: merged.organization))
        }
        return out.sorted()
    }
}

/// What each side of a merge added or changed relative to the base.
private struct SideChanges {
    let base: Organization
    let sides: [MergeSide: Organization]
    let baseFiles: Snapshot
    let files: [MergeSide: Snapshot]
    let addedEvents: [MergeSide: [String: LedgerEvent]]
    let addedUsage: [MergeSide: [String: UsageRecord]]

    init(base: OrgState, ours: OrgState, theirs: OrgState) {
        self.base = base.organization
        sides = [.ours: ours.organization, .theirs: theirs.organization]
        baseFiles = base.snapshot
        files = [.ours: ours.snapshot, .theirs: theirs.snapshot]
        let baseEvents = Set(base.organization.events.map(\.id)), baseUsage = Set(base.organization.usage.map(\.id))
        var events: [MergeSide: [String: LedgerEvent]] = [:], usage: [MergeSide: [String: UsageRecord]] = [:]
        for (side, state) in [(MergeSide.ours, ours), (.theirs, theirs)] {
            events[side] = Dictionary(state.organization.events.filter { !baseEvents.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            usage[side] = Dictionary(state.organization.usage.filter { !baseUsage.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
        addedEvents = events
        addedUsage = usage
    }

    /// The side that added event or record `id`; nil when the base had it or both sides added it.
    func side(ofEvent id: String) -> MergeSide? { only { addedEvents[$0]?[id] != nil } }
    func side(ofRecord id: String) -> MergeSide? { only { addedUsage[$0]?[id] != nil } }
    private func only(_ test: (MergeSide) -> Bool) -> MergeSide? {
        let matching = MergeSide.allCases.filter(test)
        return matching.count == 1 ? matching[0] : nil
    }

    func explain(_ diagnostic: Diagnostic, in merged: Organization) -> MergeViolation {
        var causes: [MergeViolation.Cause] = []
        var workspaces = Set<String>()
        var subjectSide: MergeSide?
        let path = diagnostic.location.path
        // The event or record the rule fails at.
        var short: String?
        if path.hasPrefix("ledger/"), let event = merged.events.first(where: { $0.source.path == path }) {
            workspaces.formUnion(event.workspaces)
            if case .transfer(let transfer) = event.kind { short = transfer.from }
            subjectSide = side(ofEvent: event.id)
            if let side = subjectSide { causes.append(cause(event, side)) }
        } else if path.hasPrefix("usage/"), let record = merged.usage.first(where: { $0.location == diagnostic.location }) ?? merged.usage.first(where: { $0.location.path == path }) {
            workspaces.insert(record.workspace)
            short = record.workspace
            subjectSide = side(ofRecord: record.id)
            if let side = subjectSide { causes.append(cause(record, side)) }
        } else if let id = entityID(path) {
            for side in MergeSide.allCases where changed(path, on: side) {
                causes.append(.init(kind: .file, id: path, side: side, path: path, summary: "changed \(path)"))
            }
            if path.hasPrefix("workspaces/") { workspaces.insert(id) }
        }
        // Names the message quotes: the workspaces and members involved.
        let quoted = Self.quotedNames(diagnostic.message)
        workspaces.formUnion(quoted.filter { merged.workspace($0) != nil })
        for member in quoted where merged.member(member) != nil {
            let memberPath = merged.member(member)?.source.path ?? "members/\(member).yaml"
            for side in MergeSide.allCases where changed(memberPath, on: side) && !causes.contains(where: { $0.path == memberPath && $0.side == side }) {
                let removed = sides[side]?.member(member)?.removed != nil && base.member(member)?.removed == nil
                causes.append(.init(kind: .file, id: memberPath, side: side, path: memberPath, summary: removed ? "removed member '\(member)'" : "changed member '\(member)'"))
            }
        }
        // What the other side (both sides, for a subject from the base) did to those workspaces.
        let others = subjectSide.map { [$0.other] } ?? MergeSide.allCases
        for side in others {
            let events = (addedEvents[side] ?? [:]).values.filter { event in
                if case .mode = event.kind { return true }
                return !workspaces.isDisjoint(with: event.workspaces)
            }
            for event in events where !causes.contains(where: { $0.id == event.id }) { causes.append(cause(event, side)) }
            let records = (addedUsage[side] ?? [:]).values.filter { workspaces.contains($0.workspace) }
            for record in records.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }).prefix(5) where !causes.contains(where: { $0.id == record.id }) {
                causes.append(cause(record, side))
            }
            for workspace in workspaces.sorted() {
                let workspacePath = merged.workspace(workspace)?.source.path ?? Workspace.path(for: workspace)
                let deletedHere = sides[side]?.workspace(workspace)?.isDeleted == true && base.workspace(workspace)?.isDeleted == false
                if deletedHere, !causes.contains(where: { $0.id == workspacePath && $0.side == side }) {
                    causes.append(.init(kind: .file, id: workspacePath, side: side, path: workspacePath, summary: "deleted workspace '\(workspace)'"))
                }
            }
        }
        causes.sort()
        return MergeViolation(diagnostic: diagnostic, causes: causes, fixes: fixes(for: diagnostic, causes: causes, short: short))
    }

    /// Fixes besides dropping one of the causes (which `Cause.isDroppable` offers).
    /// `short` is the workspace an overdraw leaves short of credits.
    private func fixes(for diagnostic: Diagnostic, causes: [MergeViolation.Cause], short: String?) -> [String] {
        if diagnostic.rule == .r(7) || diagnostic.rule == .r(8) {
            return ["abort the merge, top up or transfer the missing credits into \(short.map { "'\($0)'" } ?? "the workspace") on your branch, and merge again"]
        }
        if causes.contains(where: { $0.kind == .file }) {
            return ["edit \(diagnostic.location.path) so it no longer depends on what the other side changed, and stage it"]
        }
        return []
    }

    private func changed(_ path: String, on side: MergeSide) -> Bool {
        guard let snapshot = files[side] else { return false }
        let before = baseFiles.entries[path], after = snapshot.entries[path]
        return before?.bytes != after?.bytes || before?.kind != after?.kind
    }

    private func entityID(_ path: String) -> String? {
        guard path.hasPrefix("workspaces/") || path.hasPrefix("members/"), let name = path.split(separator: "/").last else { return nil }
        return String(name.prefix { $0 != "." })
    }

    private func cause(_ event: LedgerEvent, _ side: MergeSide) -> MergeViolation.Cause {
        .init(kind: .event, id: event.id, side: side, path: event.source.path, summary: event.summary)
    }

    private func cause(_ record: UsageRecord, _ side: MergeSide) -> MergeViolation.Cause {
        .init(kind: .record, id: record.id, side: side, path: record.location.path,
              summary: "usage of \(record.credits) by '\(record.member)' (\(record.tool.rawValue)) in '\(record.workspace)'")
    }

    /// The names a message quotes, 'like this'.
    static func quotedNames(_ message: String) -> Set<String> {
        var out = Set<String>()
        let parts = message.split(separator: "'", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() where index % 2 == 1 && !part.isEmpty && !part.contains(" ") {
            out.insert(String(part))
        }
        return out
    }
}

extension LedgerEvent {
    /// The workspaces an event moves credits of: a transfer's two ends, the Primary for a top-up.
    var workspaces: Set<String> {
        switch kind {
        case .transfer(let transfer): return [transfer.from, transfer.to]
        case .topup, .mode: return []
        }
    }

    /// The event in a few words: "transfer of 60 from 'team-a' to 'app'".
    public var summary: String {
        switch kind {
        case .topup(let credits, _): return "top-up of \(credits)"
        case .transfer(let transfer): return "transfer of \(transfer.credits) from '\(transfer.from)' to '\(transfer.to)'"
        case .mode(let mode): return "switch to \(mode.rawValue) mode"
        }
    }
}
