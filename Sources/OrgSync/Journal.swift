import Foundation
import GitKit

/// What an orgsync write is doing, kept in `.git/orgsync/journal.json` while it runs, so that the next orgsync
/// command on the clone can finish or undo it after a crash (`kill -9`, a lost terminal) (SPEC S4).
///
/// A commit writes git objects, then the work tree, the index and last the branch; a crash in between
/// leaves the work tree and index ahead of the branch, and git's lock files (`index.lock`, the branch's
/// `.lock`) behind. The next orgsync command takes the write lock (so the journal's writer is gone), reads
/// the journal and settles it: when the branch reached the new commit, the write was complete; otherwise the
/// paths it touched go back to HEAD's version, in the work tree and the index (a write starts from an index
/// equal to HEAD, so that is the index it found). Either way the lock files the writer may have left are
/// removed.
struct Journal: Codable {
    /// The process that wrote it, and what it was doing: `commit`, `merge`, `fetch` or `push`.
    var pid: Int32
    var operation: String
    /// The branch and its commit before, and the commit it moves to (nil when it does not move).
    var reference: String?
    var head: String?
    var target: String?
    /// For a merge left in progress: the commit merged, whose `MERGE_HEAD` marks the write as complete.
    var merging: String?
    /// Work tree paths it writes, relative to the repository.
    var paths: [String] = []
    /// git lock files it may leave, relative to the git directory.
    var locks: [String] = []

    static func path(_ repository: GitKit.Repository) -> String { repository.gitDirectory + "/orgsync/journal.json" }

    /// Records the write about to start.
    func begin(in repository: GitKit.Repository) throws(OrgSyncError) {
        mkdir(repository.gitDirectory + "/orgsync", 0o755)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { throw OrgSyncError(.environment, "cannot record the write in \(Self.path(repository))") }
        try AtomicFile.write([UInt8](data), to: Self.path(repository))
    }

    /// The write ended (done, or undone by its own process): nothing is left to settle.
    static func end(in repository: GitKit.Repository) {
        unlink(path(repository))
    }

    /// Runs the fetch from or push to `remote` in `body` under a journal: it moves no branch and touches no
    /// file, but may leave lock files.
    static func transfer<T>(_ operation: String, remote: String, in repository: GitKit.Repository, _ body: () throws -> T) throws -> T {
        try Journal(pid: getpid(), operation: operation, locks: ["FETCH_HEAD.lock", "packed-refs.lock", "config.lock", "refs/remotes/\(remote)/"])
            .begin(in: repository)
        defer { end(in: repository) }
        return try body()
    }

    /// Settles the journal an earlier orgsync process left when it was stopped mid-write, and returns what
    /// was done, or nil when there was nothing to settle. Call it holding the write lock.
    static func recover(in repository: GitKit.Repository) -> String? {
        guard let data = FileManager.default.contents(atPath: path(repository)),
              let journal = try? JSONDecoder().decode(Journal.self, from: data) else {
            unlink(path(repository))
            return nil
        }
        // First the lock files the writer may have left (a folder: every lock below it); git refuses to
        // write the index or a reference while one is there.
        for lock in journal.locks {
            let full = repository.gitDirectory + "/" + lock
            if lock.hasSuffix("/") {
                let found = (FileManager.default.enumerator(atPath: full)?.allObjects as? [String]) ?? []
                for name in found where name.hasSuffix(".lock") { unlink(full + name) }
            } else {
                unlink(full)
            }
        }
        var done: String
        let now = journal.reference.flatMap { try? repository.resolveReference($0) }?.hex
        let completed: Bool
        if let merging = journal.merging {
            let text = (try? String(contentsOfFile: repository.gitDirectory + "/MERGE_HEAD", encoding: .utf8)) ?? ""
            completed = text.hasPrefix(merging)
        } else {
            completed = journal.target == nil || now == journal.target
        }
        if completed || journal.paths.isEmpty {
            done = "the interrupted \(journal.operation) (pid \(journal.pid)) had finished"
        } else if now != journal.head {
            // The branch moved since (a commit made with git): the index and files are someone's newer work.
            done = "an orgsync \(journal.operation) (pid \(journal.pid)) was interrupted before its branch moved, and the branch has moved since; its files were left as they are: check 'git status'"
        } else {
            // Undo: each path as HEAD has it, in the index and the work tree.
            if journal.merging != nil {
                for name in ["MERGE_HEAD", "MERGE_MSG", "MERGE_MODE"] { unlink(repository.gitDirectory + "/" + name) }
                MergeReport.remove(in: repository)
            }
            try? repository.restoreFromHead(paths: journal.paths)
            done = "undid the interrupted \(journal.operation) (pid \(journal.pid)): \(journal.paths.count) file\(journal.paths.count == 1 ? "" : "s") put back as HEAD has \(journal.paths.count == 1 ? "it" : "them")"
        }
        end(in: repository)
        return done
    }
}
