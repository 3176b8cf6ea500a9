import Foundation
import GitKit
import OrgModel

/// The main job on the embedded sample organization: copy it into a new repository, commit it, validate the
/// commit from git objects and replay its ledger.
public enum Demo {
    public struct Result: Sendable {
        public var directory: String
        public var commit: ObjectID
        public var author: String
        public var fileCount: Int
        public var report: ValidationReport
        public var sheet: BalanceSheet?
        public var offline: OfflineStory?
        /// Step 5: the same two admins in two clones of a remote, offline, then `orgsync sync`.
        public var sync: SyncStory?
        /// Why step 5 did not run (no `git` to serve the remote, say).
        public var syncSkipped: String?
    }

    /// Two admins in two clones of a bare remote that has the server hook: each works offline, then syncs.
    public struct SyncStory: Sendable {
        /// The bare remote and the admin's clone, absolute.
        public var remote: String
        public var clone: String
        /// The owner's first sync, which publishes the demo repository.
        public var published: SyncOutcome
        /// What each did offline.
        public var owner: (admin: String, did: [String])
        public var admin: (admin: String, did: [String])
        /// The owner syncs first, then the admin (merging and re-stamping), then the owner catches up.
        public var ownerSync: SyncOutcome
        public var adminSync: SyncOutcome
        public var catchUp: SyncOutcome
        /// The remote's head at the end, where both clones are, and whether it validates.
        public var head: ObjectID
        public var valid: Bool
    }

    /// Two admins who edited the organization offline, and the semantic merge of their work.
    public struct OfflineStory: Sendable {
        /// Each admin's branch and what they did, in their own words (the operations' summaries).
        public var ours: (admin: String, branch: String, did: [String])
        public var theirs: (admin: String, branch: String, did: [String])
        /// The file both changed, and whether git's line merge conflicts on it.
        public var file: String
        public var lineMergeConflicts: Bool
        /// The file as the semantic merge wrote it.
        public var merged: String
        /// The merge: its report names the violation.
        public var outcome: MergeOutcome
        /// How it was settled, and the merge commit.
        public var settled: String
        public var commit: ObjectID
        public var balances: BalanceSheet?
    }

    /// Runs the demo in `directory`, which must not exist or be empty; a new temporary folder when nil.
    /// Runs the demo in `directory`, which must not exist or be empty; a new temporary folder when nil. With
    /// `executable` (the orgsync binary, for the server's hook) it also publishes the result to a bare remote
    /// in `<directory>-sync` and shows two admins syncing their offline work.
    public static func run(in directory: String? = nil, executable: String? = nil, now: Timestamp = .now()) throws(OrgSyncError) -> Result {
        let target = try prepare(directory)
        let (organization, _) = Organization.load(snapshot)
        guard let owner = organization.members.first(where: { $0.isActive && $0.role == .owner }) else {
            throw OrgSyncError(.environment, "the embedded sample has no owner; rebuild orgsync")
        }
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.create(at: target)
        } catch {
            throw OrgSyncError.git("cannot create a git repository in '\(target)'", error)
        }
        let author = Signature(name: owner.name ?? owner.id, email: owner.email, time: now.seconds, offsetMinutes: 0)
        let commit = try Committer(repository: repository, directory: target, prefix: "")
            .commit(writes: snapshot.entries.mapValues(\.bytes), removals: [], head: nil,
                    message: "Import the Acme sample organization\n\nOrgsync-Operation: demo\n", author: author, committer: author)
        let report = Validator.validate(try SnapshotLoader.commit(commit, in: repository))
        var result = Result(directory: target, commit: commit, author: owner.email, fileCount: SampleOrganization.files.count,
                            report: report, sheet: BalanceSheet(report))
        if report.isValid, let admin = organization.members.first(where: { $0.isActive && $0.role == .admin && $0.email != owner.email }) {
            result.offline = try offline(in: target, repository: repository, owner: owner, admin: admin, base: commit, now: now)
            if let executable {
                do {
                    result.sync = try sync(from: target, repository: repository, owner: owner, admin: admin, executable: executable, now: now)
                } catch {
                    result.syncSkipped = error.message
                }
            }
        }
        return result
    }

    /// Publishes the demo repository to a bare remote with the server hook, clones it for `admin`, and lets
    /// both work offline: the admin moves credits first, the owner a minute later and syncs first; the
    /// admin's sync then merges and re-stamps his transfer after hers, and the owner catches up.
    private static func sync(from directory: String, repository: GitKit.Repository, owner: Member, admin: Member,
                             executable: String, now: Timestamp) throws(OrgSyncError) -> SyncStory {
        let folder = directory + "-sync"
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            throw OrgSyncError(.refused, "'\(folder)' is not empty")
        }
        let remote = folder + "/remote.git", clone = folder + "/" + admin.id
        try gitCall("cannot create the remote \(remote)") {
            _ = try GitKit.Repository.create(at: remote, bare: true)
            try repository.setConfig("remote.origin.url", remote)
            try repository.setConfig("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
        }
        _ = try HookInstaller.installServer(at: remote, executable: executable)
        func at(_ offset: Int64) -> Timestamp { Timestamp(seconds: now.seconds + offset) }
        func credits(_ text: String) throws(OrgSyncError) -> Credits {
            do { return try Credits(parsing: text) } catch { throw OrgSyncError(.environment, "the demo's amount \(text) does not parse") }
        }
        let ours = StateReader(directory: directory), theirs = StateReader(directory: clone)
        let published = try Syncer(reader: ours, actorEmail: owner.email).sync(now: at(300))
        _ = try Syncer.clone(url: remote, into: clone, executable: executable)

        // Offline, each in their own clone; the admin first.
        let adminDid = try Administrator(reader: theirs, actorEmail: admin.email)
            .perform(.transfer(from: "core-prod", to: "search-prod", credits: try credits("250"), memo: "offline: search reindex"), now: at(360))
        let ownerDid = try Administrator(reader: ours, actorEmail: owner.email)
            .perform(.transfer(from: "core-prod", to: "voice-prod", credits: try credits("400"), memo: "offline: voice pilot"), now: at(420))
        let ownerSync = try Syncer(reader: ours, actorEmail: owner.email).sync(now: at(480))
        let adminSync = try Syncer(reader: theirs, actorEmail: admin.email).sync(now: at(540))
        let catchUp = try Syncer(reader: ours, actorEmail: owner.email).sync(now: at(600))
        let head = try gitCall("cannot read the remote's head") { try GitKit.Repository.open(remote).resolveReference("refs/heads/main") }
        guard let head else { throw OrgSyncError(.environment, "the remote has no main branch after the sync") }
        let valid = Validator.validate(try SnapshotLoader.commit(head, in: repository)).isValid
        return SyncStory(remote: remote, clone: clone, published: published, owner: (owner.id, [ownerDid.edit.summary]),
                         admin: (admin.id, [adminDid.edit.summary]), ownerSync: ownerSync, adminSync: adminSync,
                         catchUp: catchUp, head: head, valid: valid)
    }

    /// Ana (main) and an admin (on a branch) edit `chat-prod` offline: each assigns a member (git's line merge
    /// sees both lines added at one place, a conflict) and moves credits out of it; the admin also renames it.
    /// The semantic merge takes every field edit, and explains the violation the two transfers make together;
    /// dropping the owner's unpublished transfer settles it, and the merge is committed.
    private static func offline(in directory: String, repository: GitKit.Repository, owner: Member, admin: Member,
                                base: ObjectID, now: Timestamp) throws(OrgSyncError) -> OfflineStory {
        let reader = StateReader(directory: directory)
        let file = "workspaces/chat-prod.yaml", branch = "\(admin.id)-offline"
        func perform(_ operations: [AdminOperation], as member: Member, from start: Int64) throws(OrgSyncError) -> [String] {
            var done: [String] = []
            for (offset, operation) in operations.enumerated() {
                let outcome = try Administrator(reader: reader, actorEmail: member.email)
                    .perform(operation, now: Timestamp(seconds: now.seconds + start + Int64(offset)))
                done.append(outcome.edit.summary)
            }
            return done
        }
        func credits(_ text: String) throws(OrgSyncError) -> Credits {
            do { return try Credits(parsing: text) } catch { throw OrgSyncError(.environment, "the demo's amount \(text) does not parse") }
        }
        // The admin's branch, and its work: HEAD follows the branch, and the work tree is put back after.
        try gitCall("cannot create the branch \(branch)") {
            try repository.updateReference("refs/heads/" + branch, to: base, expecting: nil, message: "demo: branch")
            try repository.setHead("refs/heads/" + branch)
        }
        let theirsDid = try perform([
            .renameWorkspace(id: "chat-prod", name: "Chat Assistant (production, EU)"),
            .assign(member: "jun", workspace: "chat-prod", role: .viewer),
            .transfer(from: "chat-prod", to: "core-prod", credits: try credits("500"), memo: "return unused budget"),
        ], as: admin, from: 60)
        let theirs = try gitCall("cannot read \(branch)") { try repository.resolveCommit(branch) }
        let changed = try gitCall("cannot compare the branches") { try repository.diff(from: try repository.commit(base).tree, to: try repository.commit(theirs).tree) }
        try gitCall("cannot go back to main") {
            try repository.setHead("refs/heads/main")
            try repository.restoreFromHead(paths: changed.map(\.path))
        }
        let oursDid = try perform([
            .assign(member: "mira", workspace: "chat-prod", role: .member),
            .transfer(from: "chat-prod", to: "core-prod", credits: try credits("600"), memo: "move budget to the platform"),
        ], as: owner, from: 120)

        // What git's own line merge makes of the file both edited.
        let head = try gitCall("cannot read HEAD") { try repository.headCommit() } ?? base
        func blob(_ commit: ObjectID) throws(OrgSyncError) -> [UInt8] {
            try gitCall("cannot read \(file)") {
                let files = try repository.treeFiles(of: commit)
                return files.first { $0.path == file }?.contents ?? []
            }
        }
        let lineMerge = try gitCall("cannot merge \(file) line by line") {
            try repository.mergeText(base: try blob(base), ours: try blob(head), theirs: try blob(theirs), path: file)
        }

        let merger = Merger(reader: reader, actorEmail: owner.email)
        let outcome = try merger.merge(branch, now: Timestamp(seconds: now.seconds + 180))
        let merged = String(decoding: FileManager.default.contents(atPath: directory + "/" + file) ?? Data(), as: UTF8.self)
        guard let violation = outcome.report?.violations.first,
              let unpublished = violation.causes.first(where: { $0.side == MergeSide.ours.rawValue && $0.droppable }) else {
            throw OrgSyncError(.environment, "the demo's merge did not find the overdraw it shows; rebuild orgsync")
        }
        let settled = try merger.resolve(violation.id, take: nil, drop: unpublished.id)
        let commit = try merger.continueMerge(now: Timestamp(seconds: now.seconds + 240))
        let final = Validator.validate(try SnapshotLoader.commit(commit, in: repository))
        return OfflineStory(ours: (owner.id, "main", oursDid), theirs: (admin.id, branch, theirsDid), file: file,
                            lineMergeConflicts: !lineMerge.clean, merged: merged, outcome: outcome,
                            settled: "orgsync resolve \(violation.id) --drop \(unpublished.id): \(settled.action)", commit: commit,
                            balances: BalanceSheet(final))
    }

    /// The embedded sample as a snapshot.
    public static var snapshot: Snapshot {
        Snapshot(entries: Dictionary(uniqueKeysWithValues: SampleOrganization.files.map { ($0.path, Snapshot.Entry(bytes: Array($0.contents.utf8))) }))
    }

    private static func prepare(_ directory: String?) throws(OrgSyncError) -> String {
        let fileManager = FileManager.default
        guard let directory else {
            var template = Array((NSTemporaryDirectory() + "/orgsync-demo-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw OrgSyncError(.environment, "cannot create a temporary folder; set TMPDIR to a writable folder")
            }
            return URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path
        }
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        if fileManager.fileExists(atPath: path) {
            guard (try? fileManager.contentsOfDirectory(atPath: path))?.isEmpty == true else {
                throw OrgSyncError(.refused, "'\(path)' is not empty; the demo needs a new or empty folder")
            }
        }
        return path
    }
}
