import Foundation
import GitKit
import OrgModel

/// What `orgsync merge` did.
public struct MergeOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        /// The commit is already part of HEAD's history.
        case upToDate
        /// HEAD's branch moved forward to the commit: no merge commit was needed.
        case fastForward
        /// A merge commit was made: nothing conflicted and the merged organization keeps every rule.
        case merged
        /// The merge stopped: the work tree and index hold it, with the conflicts and violations in the report.
        case stopped
    }

    public var result: Result
    /// The commit merged in, and the branch's commit afterwards (the merge commit or the fast-forward target).
    public var theirs: ObjectID
    public var commit: ObjectID?
    /// Files both sides changed, which orgsync merged field by field or record by record.
    public var mergedFiles: [String]
    /// The files the merge wrote to the work tree, relative to the repository.
    public var changed: [String]
    public var report: MergeReport?
    /// Balances before and after, for the workspaces the merge changed.
    public var balances: [BalanceChange]
    /// Our unpublished events the merge moved after the published ones (when asked to re-stamp, as sync does).
    public var restamped: [Restamp] = []
}

/// What `orgsync resolve` settled.
public struct ResolveOutcome: Sendable {
    public var settled: String
    /// What was done, in a sentence.
    public var action: String
    /// The report afterwards (violations rechecked).
    public var report: MergeReport
    /// False when a violation is still there after the drop (another of its events has to go too).
    public var isSettled: Bool { !report.conflicts.contains { $0.id == settled } && !report.violations.contains { $0.id == settled } }
}

/// The semantic merge in process (SPEC M7): `orgsync merge`, `merge --abort`, `resolve`, and the merge
/// report that `status` and the hooks read.
///
/// A merge runs libgit2's `git_merge_trees`, which merges every path only one side changed; each path both
/// sides changed is merged with `OrgMerge.mergeFile` (outside the organization, line by line); the merged
/// organization is then replayed for violations. A clean merge is committed at once, through the same
/// `Committer` as every other write. Otherwise the merge stays in progress as git leaves one (`MERGE_HEAD`,
/// conflicted paths unmerged in the index, no markers in any file) and the report lists what to settle.
public struct Merger {
    public let reader: StateReader
    public let actorEmail: String?

    public init(reader: StateReader, actorEmail: String? = nil) {
        self.reader = reader
        self.actorEmail = actorEmail
    }

    // MARK: merge

    /// Merges `revision` into HEAD. With `restamping` (SPEC S3, as `orgsync sync` merges), the acting member's
    /// own events that no remote-tracking branch has yet are re-stamped to replay after every event of
    /// `revision`, so that what no longer fits is one of them, never a published event.
    public func merge(_ revision: String, restamping: Bool = false, now: Timestamp = .now()) throws(OrgSyncError) -> MergeOutcome {
        let repository = try reader.repository()
        guard let workTree = repository.workingDirectory else {
            throw OrgSyncError(.environment, "\(repository.gitDirectory) is a bare repository; merge in a clone")
        }
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        guard let head = try gitCall("cannot read HEAD", { try repository.headCommit() }) else {
            throw OrgSyncError(.environment, "the repository has no commits yet; create the organization with 'orgsync init'")
        }
        if MergeReport.incoming(in: repository) != nil {
            throw OrgSyncError(.refused, "a merge is already in progress; settle it ('orgsync status' lists what is left) and commit, or run 'orgsync merge --abort'")
        }
        let theirs = try gitCall("unknown revision '\(revision)'") { try repository.resolveCommit(revision) }
        var outcome = MergeOutcome(result: .upToDate, theirs: theirs, commit: head, mergedFiles: [], changed: [], report: nil, balances: [])
        let alreadyMerged = try gitCall("cannot compare \(head) with \(theirs)") { try repository.isDescendant(head, of: theirs) }
        if theirs == head || alreadyMerged { return outcome }
        let prefix = reader.prefix(in: repository)
        let checker = CommitChecker(repository: repository, prefix: prefix)
        let ours = try checker.state(at: head)
        let email = try GitIdentity.actingEmail(actorEmail, in: repository)
        let theirsState = try checker.state(at: theirs)
        guard let actor = ours.activeMember(email: email) ?? theirsState.activeMember(email: email) else {
            throw OrgSyncError(.refused, "'\(email)' is not an active member of the organization, so it may merge nothing; act as a member (git config user.email, or --as EMAIL)")
        }
        var committer = Committer(repository: repository, directory: workTree, prefix: "")
        let headTree = try gitCall("cannot read \(head)") { try repository.commit(head).tree }
        let theirsTree = try gitCall("cannot read \(theirs)") { try repository.commit(theirs).tree }

        if try gitCall("cannot compare \(head) with \(theirs)", { try repository.isDescendant(theirs, of: head) }) {
            let target = theirsState
            let errors = target.report.diagnostics.filter { $0.severity == .error }
            guard errors.isEmpty else {
                throw OrgSyncError(.refused, "\(revision) breaks the organization's rules (above); it is not merged", diagnostics: errors)
            }
            let changes = try gitCall("cannot compare \(head) with \(theirs)") { try repository.diff(from: headTree, to: theirsTree) }
            let (files, removals) = try staged(changes, repository)
            outcome.commit = try committer.land(files: files, removals: removals, head: head, as: .fastForward(target: theirs))
            outcome.result = .fastForward
            outcome.changed = changes.map(\.path)
            outcome.balances = BalanceChange.between(ours, target)
            return outcome
        }

        guard let base = try gitCall("cannot find the merge base of \(head) and \(theirs)", { try repository.mergeBase(head, theirs) }) else {
            throw OrgSyncError(.refused, "HEAD and \(revision) share no history; an organization has one history, so merge only branches of it")
        }
        let baseTree = try gitCall("cannot read \(base)") { try repository.commit(base).tree }
        let index = try gitCall("cannot merge the trees of HEAD and \(revision)") { try repository.mergeTrees(ancestor: baseTree, ours: headTree, theirs: theirsTree) }

        var conflicts: [MergeConflict] = []
        var unmerged: [MergeConflictEntry] = []
        for entry in index.conflicts() {
            let result = try mergeEntry(entry, prefix: prefix, repository: repository)
            if Snapshot.isOrganizationPath(String(entry.path.dropFirst(prefix.count))), entry.path.hasPrefix(prefix) {
                outcome.mergedFiles.append(entry.path)
            }
            try gitCall("cannot record the merge of \(entry.path)") {
                try index.removeConflict(path: entry.path)
                if let bytes = result.bytes {
                    let kind = entry.ours?.kind ?? entry.theirs?.kind ?? .file
                    try index.add(path: entry.path, version: TreeEntryVersion(kind: kind == .submodule || kind == .symlink ? .file : kind,
                                                                              blob: try repository.writeBlob(bytes)))
                }
            }
            if !result.conflicts.isEmpty { unmerged.append(entry) }
            conflicts += result.conflicts
        }
        if restamping {
            outcome.restamped = try restamp(in: index, ours: ours, theirs: theirsState, by: actor, prefix: prefix, repository: repository)
        }
        let mergedTree = try gitCall("cannot write the merged tree") { try index.writeTree(in: repository) }
        let changes = try gitCall("cannot compare HEAD with the merge") { try repository.diff(from: headTree, to: mergedTree) }
        var snapshot = ours.snapshot
        try checker.apply(changes, to: &snapshot)
        let merged = OrgState(snapshot)
        let baseState = try checker.state(at: base)
        let violations = OrgMerge.violations(base: baseState, ours: ours, theirs: theirsState, merged: merged)
        let (files, removals) = try staged(changes, repository)
        outcome.changed = changes.map(\.path)
        outcome.balances = BalanceChange.between(ours, merged)
        let branch = ((try? repository.headReferenceName()) ?? "HEAD").replacingOccurrences(of: "refs/heads/", with: "")
        let title = "Merge \(revision.hasPrefix("refs/remotes/") ? String(revision.dropFirst("refs/remotes/".count)) : revision) into \(branch)"

        if conflicts.isEmpty, violations.isEmpty {
            let errors = CommitChecker.diagnostics(from: [ours, theirsState], base: baseState, to: merged, author: email).filter { $0.severity == .error }
            guard errors.isEmpty else {
                throw OrgSyncError(.refused, "orgsync merge refused: the merge commit would break \(errors.count == 1 ? "a rule" : "\(errors.count) rules") (above); nothing was written", diagnostics: errors)
            }
            let (author, committerSignature) = GitIdentity.signatures(for: actor, email: email, in: repository, at: now)
            committer.signer = try CommitSigner.required(from: [ours, theirsState], to: merged, author: email, in: repository)
            var message = title + "\n\n"
            if !outcome.mergedFiles.isEmpty {
                message += "orgsync merged \(outcome.mergedFiles.count) file\(outcome.mergedFiles.count == 1 ? "" : "s") both sides changed, field by field.\n\n"
            }
            message += "Orgsync-Operation: merge\n" + outcome.restamped.map { $0.trailer + "\n" }.joined()
            outcome.commit = try committer.land(files: files, removals: removals, head: head,
                                                as: .commit(message: message, author: author, committer: committerSignature, otherParents: [theirs]))
            outcome.result = .merged
            return outcome
        }

        var report = MergeReport(head: head, theirs: theirs, prefix: prefix)
        for conflict in conflicts { report.add(conflict) }
        report.update(violations: violations)
        report.markPublished(in: repository)
        // A conflicted path holds our value of each conflicted field in the work tree (no markers) and stays
        // unmerged in the index, so that no commit, not even one made without the hooks, takes it unsettled.
        let trailers = outcome.restamped.isEmpty ? "" : "Orgsync-Operation: merge\n" + outcome.restamped.map { $0.trailer + "\n" }.joined() + "\n"
        let message = title + "\n\n" + trailers + "# orgsync: settle what 'orgsync status' lists, then commit.\n"
        do throws(OrgSyncError) {
            try report.save(in: repository)
            _ = try committer.land(files: files, removals: removals, conflicts: unmerged,
                                   head: head, as: .mergeInProgress(theirs: theirs, message: message))
        } catch {
            MergeReport.remove(in: repository)
            throw error
        }
        outcome.result = .stopped
        outcome.commit = nil
        outcome.report = report
        return outcome
    }

    /// Re-stamps, in the merged `index`, the events of `ours` made by `member` that neither `theirs` nor any
    /// remote-tracking branch has (S3), and returns what it did. Only the member's own events: the merge
    /// commit adds the re-stamped event in the merger's name, and T4 wants an event's `by` to be its author.
    private func restamp(in index: GitKit.Index, ours: OrgState, theirs: OrgState, by member: Member, prefix: String,
                         repository: GitKit.Repository) throws(OrgSyncError) -> [Restamp] {
        let published = Set(theirs.organization.events.map(\.id))
        let branches = PublishedBranches(repository)
        var unpublished: [(event: LedgerEvent, bytes: [UInt8])] = []
        for event in ours.organization.events where event.by == member.id && !published.contains(event.id) {
            let path = event.source.path
            guard let bytes = ours.snapshot.entries[path]?.bytes, branches.branch(having: prefix + path) == nil else { continue }
            unpublished.append((event, bytes))
        }
        let organization = theirs.organization
        let points = organization.events.map { (at: $0.at, id: $0.id) } + organization.usage.map { (at: $0.at, id: $0.id) }
            + organization.workspaces.compactMap { $0.deleted.map { (at: $0.at, id: "") } }
        let plan = Restamp.plan(unpublished: unpublished, published: points)
        for change in plan {
            try gitCall("cannot re-stamp \(change.path)") {
                try index.remove(path: prefix + change.path)
                try index.add(path: prefix + change.newPath, version: TreeEntryVersion(kind: .file, blob: try repository.writeBlob(change.bytes)))
            }
        }
        return plan
    }

    /// The merge of one path both sides changed: organization files with `OrgMerge.mergeFile`, other files
    /// line by line as git would.
    private func mergeEntry(_ entry: MergeConflictEntry, prefix: String, repository: GitKit.Repository) throws(OrgSyncError) -> FileMerge {
        func read(_ version: TreeEntryVersion?) throws(OrgSyncError) -> [UInt8]? {
            guard let version else { return nil }
            return try gitCall("cannot read \(entry.path)") { try repository.blob(version.blob) }
        }
        let regular = [entry.ancestor, entry.ours, entry.theirs].allSatisfy { $0.map { $0.kind == .file || $0.kind == .executable } ?? true }
        let base = try read(entry.ancestor), ours = try read(entry.ours), theirs = try read(entry.theirs)
        let orgPath = String(entry.path.dropFirst(prefix.count))
        if regular, entry.path.hasPrefix(prefix), Snapshot.isOrganizationPath(orgPath) {
            return OrgMerge.mergeFile(path: orgPath, base: base, ours: ours, theirs: theirs)
        }
        if regular, let ours, let theirs,
           let text = try? repository.mergeText(base: base ?? [], ours: ours, theirs: theirs, path: entry.path), text.clean {
            return FileMerge(bytes: text.bytes, conflicts: [])
        }
        throw OrgSyncError(.refused, "\(entry.path) changed on both sides, is not an organization file, and does not merge line by line; merge with 'git merge' and settle it there (the merge driver still merges the organization's files); nothing was written")
    }

    /// The files and removals of `changes`, with their bytes read from git.
    private func staged(_ changes: [TreeChange], _ repository: GitKit.Repository) throws(OrgSyncError) -> ([String: Committer.StagedFile], Set<String>) {
        var files: [String: Committer.StagedFile] = [:]
        var removals = Set<String>()
        for change in changes {
            guard let new = change.new else {
                removals.insert(change.path)
                continue
            }
            let bytes = new.kind == .submodule ? [] : try gitCall("cannot read \(change.path)") { try repository.blob(new.blob) }
            files[change.path] = Committer.StagedFile(version: new, bytes: bytes)
        }
        return (files, removals)
    }
}
