import Foundation
import GitKit
import OrgModel

extension Merger {
    // MARK: The merge in progress

    /// The report of the merge in progress, its violations rechecked against the work tree; nil when no merge
    /// is in progress. A report left by an earlier merge is dropped.
    ///
    /// Conflicts the merge driver recorded during `git merge` are tied to it here: each is kept only if the
    /// version of its file in the commit being merged (`MERGE_HEAD`) is the one the driver was given.
    public func current() throws(OrgSyncError) -> MergeReport? {
        try current(recheckingViolations: true)
    }

    /// The report of the merge in progress; its violations are rechecked against the work tree when asked.
    func current(recheckingViolations: Bool) throws(OrgSyncError) -> MergeReport? {
        let repository = try reader.repository()
        guard let theirs = MergeReport.incoming(in: repository),
              let head = try gitCall("cannot read HEAD", { try repository.headCommit() }) else {
            MergeReport.remove(in: repository)
            return nil
        }
        // The organization's folder is the report's, whatever folder the command runs in.
        var report = MergeReport.stored(in: repository) ?? MergeReport(head: head, theirs: theirs, prefix: reader.prefix(in: repository))
        if report.head != head.hex || (report.theirs != nil && report.theirs != theirs.hex) {
            report = MergeReport(head: head, theirs: theirs, prefix: reader.prefix(in: repository))
        }
        let prefix = report.prefix
        if report.theirs == nil {
            let tree = try gitCall("cannot read \(theirs)") { try repository.commit(theirs).tree }
            let files = Dictionary(((try? repository.treeFiles(tree: tree)) ?? []).map { ($0.path, $0.blob.hex) }, uniquingKeysWith: { first, _ in first })
            report.conflicts.removeAll { conflict in
                guard let inputs = conflict.inputs else { return false }
                return inputs["theirs"] != files[prefix + conflict.path]
            }
            report.theirs = theirs.hex
        }
        let checker = CommitChecker(repository: repository, prefix: prefix)
        if recheckingViolations, let base = try gitCall("cannot find the merge base", { try repository.mergeBase(head, theirs) }) {
            let root = repository.workingDirectory ?? reader.directory
            let merged = OrgState(try StateReader(directory: prefix.isEmpty ? root : root + "/" + prefix).workTree())
            report.update(violations: OrgMerge.violations(base: try checker.state(at: base), ours: try checker.state(at: head),
                                                          theirs: try checker.state(at: theirs), merged: merged))
            report.markPublished(in: repository)
        }
        try report.save(in: repository)
        return report
    }

    /// What stands between a staged merge and its commit, for the `pre-commit` and `pre-merge-commit` hooks:
    /// the conflicts not yet settled, and the violations of the staged state, recorded so that `orgsync
    /// status` and `orgsync resolve` name them by id. Nil when nothing is being merged or nothing stands
    /// in the way.
    public static func blockers(of verdict: StagedVerdict, reader: StateReader) throws(OrgSyncError) -> MergeReport? {
        let repository = try reader.repository()
        let merging = verdict.parents.count > 1
        var report: MergeReport?
        // The conflicts on record; the violations, when a merge is staged, are those of the staged state.
        if MergeReport.incoming(in: repository) != nil { report = try Merger(reader: reader).current(recheckingViolations: !merging) }
        if merging, let base = verdict.base, let head = verdict.head, let theirs = verdict.merging.first {
            let violations = OrgMerge.violations(base: base, ours: verdict.parents[0], theirs: verdict.parents[1], merged: verdict.state)
            report = try record(violations: violations, head: head, theirs: theirs, prefix: reader.prefix(in: repository), in: repository)
        }
        guard let report, !report.isSettled else { return nil }
        return report
    }

    /// Records the violations a merge commit's check found, replacing those found before.
    static func record(violations: [MergeViolation], head: ObjectID, theirs: ObjectID, prefix: String, in repository: GitKit.Repository) throws(OrgSyncError) -> MergeReport {
        var report = MergeReport.stored(in: repository) ?? MergeReport(head: head, theirs: theirs, prefix: prefix)
        // Without MERGE_HEAD, this is `git merge` committing a merge it has just made (pre-merge-commit): a
        // report on disk is from an earlier merge, even one of the same commits.
        if report.head != head.hex || (report.theirs != nil && report.theirs != theirs.hex) || MergeReport.incoming(in: repository) == nil {
            report = MergeReport(head: head, theirs: theirs, prefix: prefix)
        }
        report.theirs = theirs.hex
        report.update(violations: violations)
        report.markPublished(in: repository)
        try report.save(in: repository)
        return report
    }

    // MARK: continue

    /// Commits the merge in progress once nothing is left to settle: the index as it is, with HEAD and the
    /// commit being merged as parents, after the same state, transition and rights checks as any commit.
    /// The message is git's `MERGE_MSG` without its comment lines. Returns the merge commit.
    public func continueMerge(now: Timestamp = .now()) throws(OrgSyncError) -> ObjectID {
        let repository = try reader.repository()
        guard let text = try? String(contentsOfFile: repository.gitDirectory + "/MERGE_HEAD", encoding: .utf8),
              let theirs = text.split(whereSeparator: \.isNewline).first.flatMap({ ObjectID(hex: String($0)) }) else {
            throw OrgSyncError(.refused, "no merge is in progress; there is nothing to continue")
        }
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        if let report = try current(), !report.isSettled {
            throw OrgSyncError(.refused, "the merge still has \(report.conflicts.count) conflict\(report.conflicts.count == 1 ? "" : "s") and \(report.violations.count) violation\(report.violations.count == 1 ? "" : "s") to settle ('orgsync status' lists them)")
        }
        let unmerged = try gitCall("cannot read the index") { try repository.index() }.conflicts().map(\.path)
        guard unmerged.isEmpty else {
            throw OrgSyncError(.refused, "the index has unresolved conflicts in \(unmerged.joined(separator: ", ")); resolve them and 'git add' the files first")
        }
        // The tree committed is the tree checked: the index is read before and after the check.
        let staged = try gitCall("cannot read the index") { try repository.index().writeTree() }
        let (verdict, email) = try CommitChecker.checkStaged(in: reader, actor: actorEmail, environment: [:])
        let errors = verdict.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw OrgSyncError(.refused, "the staged merge breaks \(errors.count == 1 ? "a rule" : "\(errors.count) rules") (above); fix the files, stage them, and continue again", diagnostics: errors)
        }
        guard let head = verdict.head, let actor = verdict.parents.lazy.compactMap({ $0.activeMember(email: email) }).first else {
            throw OrgSyncError(.refused, "'\(email)' is not an active member of the organization, so it may merge nothing; act as a member (git config user.email, or --as EMAIL)")
        }
        let stored = (try? String(contentsOfFile: repository.gitDirectory + "/MERGE_MSG", encoding: .utf8)) ?? "Merge \(theirs.hex.prefix(10))\n"
        var message = stored.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        if !message.contains("Orgsync-Operation:") { message += "\nOrgsync-Operation: merge\n" }
        let (author, committer) = GitIdentity.signatures(for: actor, email: email, in: repository, at: now)
        let signer = try CommitSigner.required(from: verdict.parents, to: verdict.state, author: email, in: repository)
        let commit: ObjectID = try gitCall("cannot commit the merge") {
            guard try repository.index().writeTree() == staged else {
                throw OrgSyncError(.refused, "the index changed while orgsync was checking it; nothing was committed: run the command again")
            }
            return try repository.createCommit(tree: staged, parents: [head, theirs], author: author, committer: committer, message: message,
                                               sign: signer.map { signer in { content in try signer.sign(content) } })
        }
        try Committer(repository: repository, directory: repository.workingDirectory ?? reader.directory, prefix: "")
            .moveBranch(to: commit, from: head, message: message)
        try? repository.cleanUpMergeState()
        MergeReport.remove(in: repository)
        return commit
    }

    // MARK: abort

    /// Abandons the merge in progress: every path it touched is put back as HEAD has it, in the index and the
    /// work tree, and git's merge files and the report are removed. Returns the paths put back.
    public func abort() throws(OrgSyncError) -> [String] {
        let repository = try reader.repository()
        guard MergeReport.incoming(in: repository) != nil else {
            MergeReport.remove(in: repository)
            throw OrgSyncError(.refused, "no merge is in progress; there is nothing to abort")
        }
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        let head = try gitCall("cannot read HEAD") { try repository.headCommit() }
        let index: GitKit.Index = try gitCall("cannot read the index") { try repository.index() }
        let headTree = try head.map { commit throws(OrgSyncError) in try gitCall("cannot read HEAD") { try repository.commit(commit).tree } }
        var paths = Set(try gitCall("cannot compare HEAD with the index") { try repository.diffToIndex(from: headTree, index: index) }.map(\.path))
        paths.formUnion(index.conflicts().map(\.path))
        let sorted = paths.sorted()
        try gitCall("cannot put the merged files back") {
            try repository.restoreFromHead(paths: sorted)
            try repository.cleanUpMergeState()
        }
        MergeReport.remove(in: repository)
        return sorted
    }

    // MARK: resolve

    /// Settles conflict `id` by taking one side's value, or violation `id` by dropping one of the events or
    /// usage records that cause it. The file is written in the work tree and staged once none of its
    /// conflicts is left; the violations are then rechecked.
    /// With `edited`, conflict `id` is settled by the file as it is now (edited by hand), which must read.
    public func resolve(_ id: String, take side: MergeSide?, drop: String?, edited: Bool = false) throws(OrgSyncError) -> ResolveOutcome {
        let repository = try reader.repository()
        guard let report = try current() else {
            throw OrgSyncError(.refused, "no merge is in progress; there is nothing to resolve")
        }
        guard let workTree = repository.workingDirectory else {
            throw OrgSyncError(.environment, "\(repository.gitDirectory) is a bare repository")
        }
        let prefix = report.prefix
        var action: String
        if let conflict = report.conflicts.first(where: { $0.id == id }), edited {
            try withLock(repository) { () throws(OrgSyncError) in
                let path = workTree + "/" + prefix + conflict.path
                let current = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
                if let current, let format = FileFormat(path: conflict.path),
                   case .failure(let problem) = SourceReader.parse(current, format: format, path: conflict.path) {
                    throw OrgSyncError(.refused, "\(conflict.path) does not read as it is now; fix it first", diagnostics: [problem])
                }
                var remaining = report
                remaining.conflicts.removeAll { $0.id == id }
                if !remaining.conflicts.contains(where: { $0.path == conflict.path }) {
                    try stage(prefix + conflict.path, exists: current != nil, in: repository)
                }
                try remaining.save(in: repository)
            }
            action = "kept \(conflict.location) as the file has it now"
        } else if let conflict = report.conflicts.first(where: { $0.id == id }) {
            guard drop == nil, let side else {
                throw OrgSyncError(.environment, "\(id) is a conflict: settle it with --take \(conflict.takeable.joined(separator: "|")), or --edited after editing the file")
            }
            guard conflict.takeable.contains(side.rawValue) else {
                let why = conflict.kind == MergeConflict.Kind.deleteEdit.rawValue
                    ? "A tombstone cannot be revived, so only --take \(conflict.kept) settles it; to keep the other side's edit, create a workspace with a new id after the merge"
                    : "Only --take \(conflict.takeable.joined(separator: "|")) settles it"
                throw OrgSyncError(.refused, "\(id): \(conflict.message). \(why)")
            }
            var reissued: String?
            try withLock(repository) { () throws(OrgSyncError) in
                let path = workTree + "/" + prefix + conflict.path
                let value = side == .ours ? conflict.ours : conflict.theirs
                let current = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
                let updated = try Self.settle(conflict, with: value, current: current)
                if conflict.kind == MergeConflict.Kind.event.rawValue, let ours = conflict.ours {
                    // Theirs keeps the id; our event is made again under a new one, so neither is lost.
                    guard let again = OrgMerge.reissue(event: Array(ours.utf8), path: conflict.path) else {
                        throw OrgSyncError(.refused, "our version of \(conflict.path) does not read, so it cannot be made again under a new id; abort the merge and fix it")
                    }
                    try AtomicFile.write(again.bytes, to: workTree + "/" + prefix + again.path)
                    try stage(prefix + again.path, exists: true, in: repository)
                    reissued = again.path
                }
                if let updated { try AtomicFile.write(updated, to: path) } else { unlink(path) }
                var remaining = report
                remaining.conflicts.removeAll { $0.id == id }
                if !remaining.conflicts.contains(where: { $0.path == conflict.path }) {
                    try stage(prefix + conflict.path, exists: updated != nil, in: repository)
                }
                try remaining.save(in: repository)
            }
            action = "took \(side.rawValue) for \(conflict.location)" + (reissued.map { "; our event is now \($0)" } ?? "")
        } else if let violation = report.violations.first(where: { $0.id == id }) {
            let droppable = violation.causes.filter(\.droppable)
            guard side == nil, !edited, let drop else {
                let ids = droppable.map(\.id).joined(separator: ", ")
                throw OrgSyncError(.environment, "\(id) is a violation, not a conflict: settle it with --drop \(ids.isEmpty ? "EVENT-ID" : "ID (one of \(ids))"), or change the files so the rule holds")
            }
            if let named = violation.causes.first(where: { $0.id == drop }), !named.droppable {
                let why = named.kind == "file" ? "it is a file, not an event"
                    : named.side == MergeSide.theirs.rawValue ? "it comes from the side being merged in, which may be published already, and a merge keeps all of it"
                    : named.publishedOn.map { "it is published on \($0), and the server keeps every event its branch has" }
                    ?? "it belongs to a deletion or a mode switch, and goes only with it"
                throw OrgSyncError(.refused, "\(drop) cannot be dropped: \(why)\(droppable.isEmpty ? "" : "; drop one of \(droppable.map(\.id).joined(separator: ", "))")")
            }
            guard let cause = droppable.first(where: { $0.id == drop }) else {
                throw OrgSyncError(.refused, "\(drop) is not one of the events or usage records behind \(id)\(droppable.isEmpty ? "" : "; drop one of \(droppable.map(\.id).joined(separator: ", "))")")
            }
            try withLock(repository) { () throws(OrgSyncError) in
                let path = workTree + "/" + prefix + cause.path
                if cause.kind == MergeViolation.Cause.Kind.event.rawValue {
                    // The file must still be that event: never remove another one that took its place.
                    let current = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
                    let holds = current.flatMap { bytes in Organization.load(Snapshot(entries: [cause.path: Snapshot.Entry(bytes: bytes)])).0.events.first }
                    guard holds?.id == cause.id, holds?.summary == cause.summary else {
                        throw OrgSyncError(.refused, "\(cause.path) no longer holds event \(cause.id) (\(cause.summary)); nothing was dropped: run 'orgsync status' to see the violation as it is now")
                    }
                    unlink(path)
                    try stage(prefix + cause.path, exists: false, in: repository)
                } else {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw OrgSyncError(.refused, "\(cause.path) is not in the work tree; restore it or abort the merge")
                    }
                    let kept = OrgMerge.removingRecord(cause.id, from: [UInt8](data), path: cause.path)
                    if kept.isEmpty { unlink(path) } else { try AtomicFile.write(kept, to: path) }
                    try stage(prefix + cause.path, exists: !kept.isEmpty, in: repository)
                }
            }
            action = "dropped \(cause.kind) \(cause.id) (\(cause.side): \(cause.summary))"
        } else {
            let ids = report.conflicts.map(\.id) + report.violations.map(\.id)
            throw OrgSyncError(.refused, "the merge has no conflict or violation '\(id)'\(ids.isEmpty ? "; nothing is left to settle" : "; 'orgsync status' lists \(ids.joined(separator: ", "))")")
        }
        guard let after = try current() else {
            throw OrgSyncError(.environment, "the merge is no longer in progress")
        }
        return ResolveOutcome(settled: id, action: action, report: after)
    }

    /// The file after taking `value` (compact JSON, a JSON line or the file's text, per the conflict's kind)
    /// for `conflict`; nil when the file goes.
    static func settle(_ conflict: MergeReport.Conflict, with value: String?, current: [UInt8]?) throws(OrgSyncError) -> [UInt8]? {
        switch MergeConflict.Kind(rawValue: conflict.kind) {
        case .field?:
            guard let current else {
                throw OrgSyncError(.refused, "\(conflict.path) is missing now; restore it, then resolve again")
            }
            guard let updated = OrgMerge.setting(conflict.fieldPath, to: value, in: current, path: conflict.path) else {
                throw OrgSyncError(.refused, "\(conflict.path) does not read as it is now, or no longer has the field \(conflict.fieldPath); fix the file by hand and settle with 'orgsync resolve \(conflict.id) --edited'")
            }
            return updated
        case .record?:
            guard let current, case .item(let record)? = conflict.fieldPath.steps.first else {
                throw OrgSyncError(.refused, "\(conflict.path) is missing; restore it, then resolve again")
            }
            var lines = OrgMerge.removingRecord(record, from: current, path: conflict.path)
            if let value { lines += Array(value.utf8) + [UInt8(ascii: "\n")] }
            return lines.isEmpty ? nil : lines
        default:
            return value.map { Array($0.utf8) }
        }
    }

    private func stage(_ path: String, exists: Bool, in repository: GitKit.Repository) throws(OrgSyncError) {
        try gitCall("cannot stage \(path)") {
            let index = try repository.index()
            if exists { try index.add(path: path) } else { try index.remove(path: path) }
            try index.write()
        }
    }

    private func withLock(_ repository: GitKit.Repository, _ body: () throws(OrgSyncError) -> Void) throws(OrgSyncError) {
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        try body()
    }

    // MARK: The merge driver

    /// What git's merge driver does for one file (`orgsync merge-driver %O %A %B %P`): merges the three
    /// versions with `OrgMerge.mergeFileChecked` (a merged file that breaks a rule on its own is a conflict),
    /// writes the result over `ours`, and records its conflicts in the report for `orgsync status` and
    /// `resolve`. Returns the conflicts; git hears exit 1 when there are any.
    public static func mergeDriver(base: String, ours: String, theirs: String, path: String, directory: String) throws(OrgSyncError) -> [MergeReport.Conflict] {
        func read(_ file: String) throws(OrgSyncError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw OrgSyncError(.environment, "cannot read '\(file)'; the merge driver is run by git with three files it writes")
            }
            return [UInt8](data)
        }
        let baseBytes = try read(base), oursBytes = try read(ours), theirsBytes = try read(theirs)
        let reader = StateReader(directory: directory)
        let repository = try? reader.repository()
        let prefix = repository.map { reader.prefix(in: $0) } ?? ""
        let orgPath = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        // Git hands an empty file for a side that has none (an add/add merge).
        let result = OrgMerge.mergeFileChecked(path: orgPath, base: baseBytes.isEmpty && !oursBytes.isEmpty && !theirsBytes.isEmpty ? nil : baseBytes,
                                        ours: oursBytes, theirs: theirsBytes)
        try AtomicFile.write(result.bytes ?? oursBytes, to: ours)
        guard !result.conflicts.isEmpty else { return [] }
        guard let repository, let head = try? repository.headCommit() else {
            return result.conflicts.map { MergeReport.Conflict(id: "-", $0) }
        }
        // `git merge` names the commit it merges in the GITHEAD_<id> variables it passes on; a report of
        // another merge (one aborted with `git merge --abort`, say) does not carry over.
        let incoming = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("GITHEAD_") }.sorted()
            .compactMap { ObjectID(hex: String($0.dropFirst(8))) }.first
        var report = MergeReport.stored(in: repository) ?? MergeReport(head: head, theirs: incoming, prefix: prefix)
        if report.head != head.hex || report.theirs != incoming?.hex {
            report = MergeReport(head: head, theirs: incoming, prefix: prefix)
        }
        let inputs = [("base", baseBytes), ("ours", oursBytes), ("theirs", theirsBytes)]
        var ids: [String: String] = [:]
        for (name, bytes) in inputs { ids[name] = (try? repository.writeBlob(bytes))?.hex }
        for conflict in result.conflicts { report.add(conflict, inputs: ids) }
        try report.save(in: repository)
        return report.conflicts.filter { $0.path == orgPath }
    }
}
