import Foundation
import GitKit
import OrgModel

/// One commit of the semantic history (G5): who did what, and when.
public struct LogEntry: Sendable {
    public var commit: Commit
    /// The member whose email wrote the commit, read where the commit starts (nil for a non-member).
    public var author: String?
    /// What the commit changed; for a merge, only what it adds beyond its parents.
    public var changes: OrgChanges
    /// The organization's size after a commit that creates it.
    public var created: (workspaces: Int, members: Int, events: Int, usage: Int)?
}

/// The semantic history of an organization, and the commit it was at on a date.
public enum OrgHistory {
    /// The commits of `range` (a revision, or `A..B`; default HEAD), newest first, with what each changed.
    /// Commits that change nothing in the organization are left out, as are those outside `since...until`
    /// (commit time).
    public static func log(_ range: String?, in reader: StateReader, since: Timestamp? = nil, until: Timestamp? = nil) throws(OrgSyncError) -> [LogEntry] {
        let repository = try reader.repository()
        guard try gitCall("cannot read HEAD", { try repository.headCommit() }) != nil || range != nil else { return [] }
        let checker = CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
        let parsed = try RevisionRange(range ?? "HEAD", in: repository)
        let commits = try gitCall("cannot list the commits of '\(parsed.text)'") {
            try repository.walk(including: [parsed.including], excluding: parsed.excluding.map { [$0] } ?? [])
        }
        var entries: [LogEntry] = []
        // Oldest first, so each state is built from its parent's; reported newest first.
        for id in commits {
            let commit = try gitCall("cannot read commit \(id)") { try repository.commit(id) }
            let time = Timestamp(seconds: commit.committer.time)
            if let since, time < since { continue }
            if let until, time > until { continue }
            var parents: [OrgState] = []
            for parent in commit.parents { parents.append(try checker.state(at: parent)) }
            let state = try checker.state(at: id)
            let base = try checker.mergeBase(of: commit.parents)
            let changes = OrgChanges(parents: parents, base: base, result: state)
            guard !changes.changes.isEmpty else { continue }
            let rights = parents.first(where: \.snapshot.hasOrganizationFiles) ?? state
            var entry = LogEntry(commit: commit, author: rights.activeMember(email: commit.author.email)?.id, changes: changes)
            if changes.createsOrganization {
                let org = state.organization
                entry.created = (org.workspaces.count, org.members.count, org.events.count, org.usage.count)
            }
            entries.append(entry)
        }
        entries.reverse()
        return entries
    }
}

extension StateReader {
    /// The revision `--at` names: a date or time (`2026-11-21`, the end of that day in UTC, or
    /// `2026-11-21T10:00:00Z`) selects the last commit on HEAD's first-parent line committed at or before it,
    /// what the branch held then; anything else is a revision. Returns the commit and what it was chosen for.
    public func revision(at text: String) throws(OrgSyncError) -> (commit: ObjectID, description: String) {
        let repository = try self.repository()
        guard let instant = Self.instant(text) else {
            let commit = try gitCall("'\(text)' is neither a revision nor a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)") { try repository.resolveCommit(text) }
            return (commit, "\(text): commit \(commit.hex.prefix(7))")
        }
        var next = try gitCall("cannot read HEAD") { try repository.headCommit() }
        var oldest: Commit?
        while let id = next {
            let commit = try gitCall("cannot read commit \(id)") { try repository.commit(id) }
            if Timestamp(seconds: commit.committer.time) <= instant {
                return (id, "\(text): commit \(id.hex.prefix(7)) of \(Timestamp(seconds: commit.committer.time))")
            }
            oldest = commit
            next = commit.parents.first
        }
        let first = oldest.map { ", whose first commit is of \(Timestamp(seconds: $0.committer.time))" } ?? ", which has no commits"
        throw OrgSyncError(.refused, "there is no commit at or before \(instant) on the current branch\(first)")
    }

    /// The instant a date or time names, or nil when `text` is not one. A date alone is the end of that
    /// day in UTC, or with `startOfDay` its beginning.
    public static func instant(_ text: String, startOfDay: Bool = false) -> Timestamp? {
        if let time = try? Timestamp(parsing: text) { return time }
        guard text.utf8.count == 10, let day = try? Timestamp(parsing: text + (startOfDay ? "T00:00:00Z" : "T23:59:59Z")) else { return nil }
        return day
    }
}
