import Foundation
import GitKit
import OrgModel

/// Writes one commit of organization files, atomically: every orgsync command that writes goes through it.
///
/// The commit is built from git objects first (blobs, then the tree from HEAD's index plus the changes), so
/// what is committed is exactly the bytes that were validated. Only then are the work tree, the index and
/// the branch updated, in that order; the branch moves only if it still points where it did. If any step
/// fails, the work tree and the index are put back byte for byte and the branch is untouched.
struct Committer {
    let repository: GitKit.Repository
    /// The organization's folder, absolute.
    let directory: String
    /// The organization's folder inside the repository, as `path/`; empty at the root.
    let prefix: String
    /// Signs the commit, when the organization requires signed commits (T5).
    var signer: CommitSigner?

    init(repository: GitKit.Repository, directory: String, prefix: String, signer: CommitSigner? = nil) {
        self.repository = repository
        self.directory = directory
        self.prefix = prefix
        self.signer = signer
    }

    /// A file to stage and write: its entry in the index and its bytes in the work tree.
    struct StagedFile {
        var version: TreeEntryVersion
        var bytes: [UInt8]
    }

    /// How a change lands once it is in the index.
    enum Landing {
        /// A new commit on top of HEAD (and, for a merge, of `otherParents`).
        case commit(message: String, author: Signature, committer: Signature, otherParents: [ObjectID])
        /// HEAD's branch moves to `target`, whose tree the staged index must equal (a fast-forward).
        case fastForward(target: ObjectID)
        /// No commit: the work tree and index hold a merge of `theirs` in progress, with its conflicts, and
        /// git's merge files (`MERGE_HEAD`, `MERGE_MSG`, `MERGE_MODE`) say so, as after `git merge`.
        case mergeInProgress(theirs: ObjectID, message: String)
    }

    /// Commits `writes` (organization path → bytes) and `removals` on top of `head`.
    ///
    /// Each path the commit touches must be in the work tree as it is at `head`, as `git status` sees it,
    /// so that no uncommitted edit is overwritten.
    func commit(writes: [String: [UInt8]], removals: Set<String>, head: ObjectID?,
                message: String, author: Signature, committer: Signature) throws(OrgSyncError) -> ObjectID {
        var files: [String: StagedFile] = [:]
        for (path, bytes) in writes {
            let blob = try gitCall("cannot write the commit") { try repository.writeBlob(bytes) }
            files[path] = StagedFile(version: TreeEntryVersion(kind: .file, blob: blob), bytes: bytes)
        }
        let landed = try land(files: files, removals: removals, head: head,
                              as: .commit(message: message, author: author, committer: committer, otherParents: []))
        guard let landed else { throw OrgSyncError(.environment, "cannot write the commit") }
        return landed
    }

    /// Stages `files`, `removals` and `conflicts` (paths below `prefix`) on top of `head` and lands them as
    /// `landing` says: every check first, then git objects, then the work tree, the index, git's merge files
    /// and the branch, in that order. Any failure puts back what was written. Returns the commit HEAD's
    /// branch now points to, or nil for a merge left in progress.
    func land(files: [String: StagedFile], removals: Set<String>, conflicts: [MergeConflictEntry] = [],
              head: ObjectID?, as landing: Landing) throws(OrgSyncError) -> ObjectID? {
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        guard try gitCall("cannot read HEAD", { try repository.headCommit() }) == head else {
            throw OrgSyncError(.refused, "the branch moved while orgsync was working (another commit landed); nothing was changed: run the command again")
        }
        let index: GitKit.Index = try gitCall("cannot read the index") { try repository.index() }
        try requireClean(index, head: head)
        let touched = Set(files.keys).union(removals).union(conflicts.map { String($0.path.dropFirst(prefix.count)) }).sorted()
        for path in touched { try requireUnchanged(path) }

        var commit: ObjectID?
        do {
            for (path, file) in files.sorted(by: { $0.key < $1.key }) { try index.add(path: prefix + path, version: file.version) }
            for path in removals.sorted() { try index.remove(path: prefix + path) }
            for conflict in conflicts {
                try index.addConflict(path: conflict.path, ancestor: conflict.ancestor, ours: conflict.ours, theirs: conflict.theirs)
            }
            switch landing {
            case .commit(let message, let author, let committer, let otherParents):
                let tree = try index.writeTree()
                commit = try repository.createCommit(tree: tree, parents: (head.map { [$0] } ?? []) + otherParents,
                                                     author: author, committer: committer, message: message,
                                                     sign: signer.map { signer in { content in try signer.sign(content) } })
            case .fastForward(let target):
                guard try index.writeTree() == repository.commit(target).tree else {
                    throw OrgSyncError(.environment, "the fast-forward to \(target.hex.prefix(10)) does not reproduce its tree")
                }
                commit = target
            case .mergeInProgress:
                break
            }
        } catch {
            try? index.read(force: true) // drop the staged changes from the in-memory index
            throw (error as? OrgSyncError) ?? OrgSyncError.git("cannot write the commit", error)
        }

        let indexPath = repository.gitDirectory + "/index"
        let savedIndex = FileManager.default.contents(atPath: indexPath)
        var workTree = WorkTreeChange(directory: directory)
        var mergeFiles: [String] = []
        let reference = (try? repository.headReferenceName()) ?? "HEAD"
        var journal = Journal(pid: getpid(), operation: "commit", reference: reference, head: head?.hex, target: commit?.hex,
                              paths: touched.map { prefix + $0 }, locks: ["index.lock", reference + ".lock"])
        if case .mergeInProgress(let theirs, _) = landing {
            journal.operation = "merge"
            journal.merging = theirs.hex
        }
        do throws(OrgSyncError) {
            try journal.begin(in: repository)
            for path in touched {
                if let file = files[path] {
                    try workTree.write(file.bytes, to: path, kind: file.version.kind)
                } else if removals.contains(path) {
                    try workTree.remove(path)
                }
            }
            for conflict in conflicts {
                // A conflicted path the merge did not write keeps our version in the work tree.
                let path = String(conflict.path.dropFirst(prefix.count))
                if files[path] == nil, conflict.ours == nil { try workTree.remove(path) }
            }
            if case .mergeInProgress = landing {
                // Git's own merge leaves every merged file up to date in the index; `git merge --abort`
                // refuses entries that lack the file's stat data.
                let unmerged = Set(conflicts.map(\.path))
                for (path, file) in files where (file.version.kind == .file || file.version.kind == .executable) && !unmerged.contains(prefix + path) {
                    try gitCall("cannot stage \(path)") { try index.refresh(path: prefix + path, expected: file.version) }
                }
            }
            try gitCall("cannot write the index") { try index.write() }
            switch landing {
            case .commit(let message, _, _, _):
                if let commit { try moveBranch(to: commit, from: head, message: message) }
            case .fastForward(let target):
                try moveBranch(to: target, from: head, message: "fast-forward")
            case .mergeInProgress(let theirs, let message):
                for (name, text) in [("MERGE_HEAD", theirs.hex + "\n"), ("MERGE_MODE", ""), ("MERGE_MSG", message)] {
                    let path = repository.gitDirectory + "/" + name
                    try AtomicFile.write(Array(text.utf8), to: path)
                    mergeFiles.append(path)
                }
            }
        } catch {
            workTree.rollBack()
            for path in mergeFiles { unlink(path) }
            defer { Journal.end(in: repository) }
            if let savedIndex {
                try? savedIndex.write(to: URL(fileURLWithPath: indexPath), options: .atomic)
            } else {
                try? FileManager.default.removeItem(atPath: indexPath)
            }
            try? index.read(force: true)
            throw error
        }
        Journal.end(in: repository)
        return commit
    }

    /// Moves HEAD's branch (or a detached HEAD) from `head` to `commit`, only if it is still at `head`.
    func moveBranch(to commit: ObjectID, from head: ObjectID?, message: String) throws(OrgSyncError) {
        do {
            try repository.updateReference(try repository.headReferenceName(), to: commit, expecting: head,
                                           message: "orgsync: \(message.prefix { $0 != "\n" })")
        } catch let error as GitError where error.isReferenceMismatch {
            throw OrgSyncError(.refused, "the branch moved while orgsync was working (another commit landed); nothing was changed: run the command again",
                               cause: error)
        } catch {
            throw OrgSyncError.git("cannot move the branch", error)
        }
    }

    /// Refuses while the index differs from HEAD: the commit must hold the operation and nothing else.
    private func requireClean(_ index: GitKit.Index, head: ObjectID?) throws(OrgSyncError) {
        let clean: Bool = try gitCall("cannot read the index") {
            guard let head else { return index.entryCount == 0 }
            return try index.writeTree() == repository.commit(head).tree
        }
        guard clean else {
            throw OrgSyncError(.refused, "the index has staged changes; commit or unstage them (git status) before running orgsync")
        }
    }

    /// Refuses when the work tree's file at `path` is not what HEAD has, as `git status` sees it.
    private func requireUnchanged(_ path: String) throws(OrgSyncError) {
        guard try gitCall("cannot read the status of \(path)", { try repository.hasLocalChanges(prefix + path) }) else { return }
        let what = FileManager.default.fileExists(atPath: directory + "/" + path) ? "has uncommitted changes" : "is deleted in the work tree but not committed"
        throw OrgSyncError(.refused, "\(path) \(what), and this operation writes it; commit, stash or move it first (git status)")
    }
}

/// Files written in the work tree, with what is needed to put each back.
private struct WorkTreeChange {
    let directory: String
    private var originals: [(path: String, bytes: [UInt8]?, permissions: mode_t)] = []
    private var createdFolders: [String] = []

    init(directory: String) { self.directory = directory }

    mutating func write(_ bytes: [UInt8], to path: String, kind: TreeEntryKind = .file) throws(OrgSyncError) {
        try remember(path)
        var folder = (directory + "/" + path as NSString).deletingLastPathComponent
        var missing: [String] = []
        while !FileManager.default.fileExists(atPath: folder), folder.count > directory.count {
            missing.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        createdFolders.append(contentsOf: missing)
        let fullPath = directory + "/" + path
        switch kind {
        case .submodule:
            // As git checks out a submodule it has not cloned: an empty folder.
            mkdir(fullPath, 0o755)
        case .file:
            try AtomicFile.write(bytes, to: fullPath)
        case .executable:
            try AtomicFile.write(bytes, to: fullPath, permissions: 0o755)
        case .symlink:
            do {
                try FileManager.default.createDirectory(atPath: (fullPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                throw OrgSyncError(.environment, "cannot create the folder of '\(fullPath)': \(error.localizedDescription)")
            }
            unlink(fullPath)
            guard symlink(String(decoding: bytes, as: UTF8.self), fullPath) == 0 else {
                throw OrgSyncError(.environment, "cannot create the link '\(fullPath)': \(String(cString: strerror(errno)))")
            }
        }
    }

    mutating func remove(_ path: String) throws(OrgSyncError) {
        try remember(path)
        let fullPath = directory + "/" + path
        guard unlink(fullPath) == 0 || errno == ENOENT else {
            throw OrgSyncError(.environment, "cannot remove '\(fullPath)': \(String(cString: strerror(errno)))")
        }
        // Like git, leave no empty folders behind.
        var folder = (fullPath as NSString).deletingLastPathComponent
        while folder.count > directory.count, rmdir(folder) == 0 {
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    private mutating func remember(_ path: String) throws(OrgSyncError) {
        let fullPath = directory + "/" + path
        var info = stat()
        if lstat(fullPath, &info) == 0 {
            guard let data = FileManager.default.contents(atPath: fullPath) else {
                throw OrgSyncError(.environment, "cannot read '\(fullPath)'; check its permissions")
            }
            originals.append((path, [UInt8](data), info.st_mode & 0o7777))
        } else {
            originals.append((path, nil, 0))
        }
    }

    /// Puts every file back as it was, and removes the folders that writing created.
    func rollBack() {
        for original in originals.reversed() {
            let fullPath = directory + "/" + original.path
            if let bytes = original.bytes {
                try? AtomicFile.write(bytes, to: fullPath, permissions: original.permissions)
            } else {
                unlink(fullPath)
            }
        }
        for folder in createdFolders.sorted(by: { $0.count > $1.count }) { rmdir(folder) }
    }
}
