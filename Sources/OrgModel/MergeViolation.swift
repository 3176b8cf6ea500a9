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

        /// Whether `orgsync resolve --drop` can take it out of the merge: our own events and records (what the
        /// merged-in side brings may be published already, and stays), not files, and not the transfers a
        /// deletion or a mode switch writes (those go with their change).
        public var isDroppable: Bool
        public init(kind: Kind, id: String, side: MergeSide, path: String, summary: String, isDroppable: Bool? = nil) {
            self.kind = kind
            self.id = id
            self.side = side
            self.path = path
            self.summary = summary
            self.isDroppable = isDroppable ?? (kind != .file)
        }
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
        let sides = SideChanges(base: base, ours: ours, theirs: theirs, merged: merged)
        var out: [MergeViolation] = []
        for diagnostic in merged.report.diagnostics where diagnostic.severity == .error && !known.contains(key(diagnostic)) {
            out.append(sides.explain(diagnostic, in: merged.organization))
        }
        return out.sorted()
    }
}

/// What each side of a merge added or changed relative to the base.
///
/// The events and records of the merged state are told apart by their content, not their id: the file of
/// an event id both sides wrote holds theirs after the clash is settled, and ours is made again under a new
/// id. Whatever the merge itself added counts as ours, the side that is not published.
private struct SideChanges {
    let base: Organization
    let sides: [MergeSide: Organization]
    let baseFiles: Snapshot
    let files: [MergeSide: Snapshot]
    /// The merged state's events by path, and records by id, that each side added.
    let addedEvents: [MergeSide: [String: LedgerEvent]]
    let addedUsage: [MergeSide: [String: UsageRecord]]

    init(base: OrgState, ours: OrgState, theirs: OrgState, merged: OrgState) {
        self.base = base.organization
        sides = [.ours: ours.organization, .theirs: theirs.organization]
        baseFiles = base.snapshot
        files = [.ours: ours.snapshot, .theirs: theirs.snapshot]
        func side(inBase: Bool, inOurs: Bool, inTheirs: Bool) -> MergeSide? {
            if inBase || (inOurs && inTheirs) { return nil }
            return inTheirs ? .theirs : .ours
        }
        var events: [MergeSide: [String: LedgerEvent]] = [:], usage: [MergeSide: [String: UsageRecord]] = [:]
        for event in merged.organization.events {
            let path = event.source.path, bytes = merged.snapshot.entries[path]?.bytes
            if let owner = side(inBase: base.snapshot.entries[path]?.bytes == bytes, inOurs: ours.snapshot.entries[path]?.bytes == bytes,
                                inTheirs: theirs.snapshot.entries[path]?.bytes == bytes) {
                events[owner, default: [:]][path] = event
            }
        }
        func lines(_ state: OrgState) -> Set<String> { Set(state.organization.usage.map { "\($0.workspace)|\($0.jsonLine)" }) }
        let baseLines = lines(base), oursLines = lines(ours), theirsLines = lines(theirs)
        for record in merged.organization.usage {
            let line = "\(record.workspace)|\(record.jsonLine)"
            if let owner = side(inBase: baseLines.contains(line), inOurs: oursLines.contains(line), inTheirs: theirsLines.contains(line)) {
                usage[owner, default: [:]][record.id] = record
            }
        }
        addedEvents = events
        addedUsage = usage
    }

    /// The side that added the merged event at `path`, or record `id`; nil when the base had it or both
    /// sides added it.
    func side(ofEventAt path: String) -> MergeSide? { only { addedEvents[$0]?[path] != nil } }
    func side(ofRecord id: String) -> MergeSide? { only { addedUsage[$0]?[id] != nil } }
    private func only(_ test: (MergeSide) -> Bool) -> MergeSide? {
        let matching = MergeSide.allCases.filter(test)
        return matching.count == 1 ? matching[0] : nil
    }

    func explain(_ diagnostic: Diagnostic, in merged: Organization) -> MergeViolation {
        var causes: [MergeViolation.Cause] = []
        var subjectSide: MergeSide?
        let path = diagnostic.location.path
        // The event or record the rule fails at.
        var short: String?
        if path.hasPrefix("ledger/"), let event = merged.events.first(where: { $0.source.path == path }) {
            if case .transfer(let transfer) = event.kind {
                // The workspace the rule is about: the destination when it is deleted, else the source.
                let deleted = merged.workspace(transfer.to)?.isDeleted == true && merged.workspace(transfer.from)?.isDeleted != true
                short = deleted ? transfer.to : transfer.from
            }
            subjectSide = side(ofEventAt: event.source.path)
            if let side = subjectSide { causes.append(cause(event, side)) }
        } else if path.hasPrefix("usage/"), let record = merged.usage.first(where: { $0.location == diagnostic.location }) ?? merged.usage.first(where: { $0.location.path == path }) {
            short = record.workspace
            subjectSide = side(ofRecord: record.id)
            if let side = subjectSide { causes.append(cause(record, side)) }
        } else if let id = entityID(path) {
            for side in MergeSide.allCases where changed(path, on: side) {
                causes.append(.init(kind: .file, id: path, side: side, path: path, summary: "changed \(path)"))
            }
            _ = id
        }
        // Names the message quotes: the workspaces and members involved.
        let quoted = Self.quotedNames(diagnostic.message)
        for member in quoted where merged.member(member) != nil {
            let memberPath = merged.member(member)?.source.path ?? "members/\(member).yaml"
            for side in MergeSide.allCases where changed(memberPath, on: side) && !causes.contains(where: { $0.path == memberPath && $0.side == side }) {
                let removed = sides[side]?.member(member)?.removed != nil && base.member(member)?.removed == nil
                causes.append(.init(kind: .file, id: memberPath, side: side, path: memberPath, summary: removed ? "removed member '\(member)'" : "changed member '\(member)'"))
            }
        }
        // For a ledger rule broken at an event or record: what the other side (both sides, for a subject from
        // the base) did to the workspace it happens in. Other rules are about files, named above.
        let others = subjectSide.map { [$0.other] } ?? MergeSide.allCases
        if let short {
            for side in others {
                let events = (addedEvents[side] ?? [:]).values.filter { event in
                    switch event.kind {
                    case .mode: return true
                    case .transfer(let transfer): return transfer.from == short || transfer.to == short
                    case .topup: return false
                    }
                }
                for event in events where !causes.contains(where: { $0.id == event.id }) { causes.append(cause(event, side)) }
                let records = (addedUsage[side] ?? [:]).values.filter { $0.workspace == short }
                for record in records.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }).prefix(5) where !causes.contains(where: { $0.id == record.id }) {
                    causes.append(cause(record, side))
                }
                let workspacePath = merged.workspace(short)?.source.path ?? Workspace.path(for: short)
                let deletedHere = sides[side]?.workspace(short)?.isDeleted == true && base.workspace(short)?.isDeleted == false
                if deletedHere, !causes.contains(where: { $0.id == workspacePath && $0.side == side }) {
                    causes.append(.init(kind: .file, id: workspacePath, side: side, path: workspacePath, summary: "deleted workspace '\(short)'"))
                }
            }
        }
        causes.sort()
        return MergeViolation(diagnostic: diagnostic, causes: causes, fixes: fixes(for: diagnostic, causes: causes, short: short, deleted: short.flatMap { merged.workspace($0)?.isDeleted } ?? false))
    }

    /// Fixes besides dropping one of the causes (which `Cause.isDroppable` offers).
    /// `short` is the workspace the broken ledger rule is about.
    private func fixes(for diagnostic: Diagnostic, causes: [MergeViolation.Cause], short: String?, deleted: Bool) -> [String] {
        if diagnostic.rule == .syntax {
            return ["\(diagnostic.location.path) does not parse; if it holds conflict markers, git merged it line by line because this clone has no merge driver: run 'git merge --abort', 'orgsync hooks install', and merge again"]
        }
        if diagnostic.rule == .r(10), let short {
            return ["'\(short)' is deleted on one side and has usage from the other: drop the usage records our side made, if any; if the deletion is ours and not published, abort the merge, undo the deletion, merge, and delete '\(short)' again"]
        }
        if let short, deleted {
            return ["'\(short)' was deleted on the other side and takes no credits any more: drop the event that uses it"]
        }
        if diagnostic.rule == .r(7) || diagnostic.rule == .r(8), let short {
            // A top-up made now replays after the event that fails, so it cannot cover it: the event itself changes.
            return ["once your event is dropped, make it again after the merge for at most what '\(short)' then holds (orgsync balances)"]
        }
        if causes.contains(where: { $0.kind == .file }) {
            return ["edit \(diagnostic.location.path) so the rule holds with what the other side changed, and stage it; 'orgsync status' rechecks"]
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
        var automatic = false
        if case .transfer(let transfer) = event.kind { automatic = transfer.reason != nil }
        return .init(kind: .event, id: event.id, side: side, path: event.source.path, summary: event.summary, isDroppable: side == .ours && !automatic)
    }

    private func cause(_ record: UsageRecord, _ side: MergeSide) -> MergeViolation.Cause {
        .init(kind: .record, id: record.id, side: side, path: record.location.path,
              summary: "usage of \(record.credits) by '\(record.member)' (\(record.tool.rawValue)) in '\(record.workspace)'", isDroppable: side == .ours)
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
