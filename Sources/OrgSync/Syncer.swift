import Foundation
import GitKit
import OrgModel

/// What a clone, fetch or push reports while it runs.
public typealias TransferProgress = GitKit.TransferProgress

/// What `orgsync sync` did.
public struct SyncOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        /// The branch and the remote's branch were the same commit already.
        case upToDate
        /// The remote had new commits and nothing local was unpublished: the branch moved forward to them.
        case fastForwarded
        /// The remote has the branch's commits now (merged with the remote's first when both had new ones).
        case pushed
        /// The merge with the remote's commits stopped on conflicts or violations; nothing was pushed.
        case stopped
    }

    public var result: Result
    public var remote: String
    /// The branch synced (`refs/heads/main`) and the remote's branch it publishes to.
    public var branch: String
    public var upstream: String
    /// The remote's branch after the last fetch, and the branch's commit at the end.
    public var fetched: ObjectID?
    public var head: ObjectID?
    /// The merges made, one per attempt that needed one (the last is the one that stopped, if any).
    public var merges: [MergeOutcome] = []
    /// How many times it fetched: 1, plus one for each push the remote refused because it had moved.
    public var attempts: Int = 0
    /// Local commits the push published, newest first.
    public var published: Int = 0
    /// What the remote printed during the push (its hooks' output).
    public var remoteLines: [String] = []
}

/// Offline editing and sync (SPEC §6): `orgsync sync` and `orgsync clone`.
///
/// Sync fetches, then fast-forwards or merges the remote's branch with the semantic merge (re-stamping the
/// acting member's unpublished events after the published ones, S3), checks every commit the remote does not
/// have as the server will, and pushes. When the remote moved meanwhile, it fetches and tries again, at most
/// `attempts` times. It holds the clone's write lock throughout. Nothing it does rewrites a local commit:
/// a merge that stops leaves the merge in progress with every local commit on the branch (S2).
public struct Syncer {
    public let reader: StateReader
    public let actorEmail: String?
    /// The fetch–merge–push rounds tried before giving up on a remote that keeps moving.
    public var attempts = 5

    public init(reader: StateReader, actorEmail: String? = nil) {
        self.reader = reader
        self.actorEmail = actorEmail
    }

    public func sync(remote requested: String? = nil, progress: ((TransferProgress) -> Void)? = nil, now: Timestamp = .now()) throws(OrgSyncError) -> SyncOutcome {
        let repository = try reader.repository()
        guard repository.workingDirectory != nil else {
            throw OrgSyncError(.environment, "\(repository.gitDirectory) is a bare repository; sync a clone of it ('orgsync clone URL DIR')")
        }
        let lock = try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        let branch = try gitCall("cannot read HEAD") { try repository.headReferenceName() }
        guard branch.hasPrefix("refs/heads/") else {
            throw OrgSyncError(.refused, "HEAD is detached; sync works on a branch: git switch main")
        }
        let shortBranch = String(branch.dropFirst("refs/heads/".count))
        let remote = try remoteName(requested, branch: shortBranch, repository)
        let upstream = upstreamBranch(of: shortBranch, remote: remote, repository)
        let tracking = "refs/remotes/\(remote)/" + upstream.dropFirst("refs/heads/".count)
        var outcome = SyncOutcome(result: .upToDate, remote: remote, branch: branch, upstream: upstream)

        for (file, what) in [("REBASE_HEAD", "rebase"), ("CHERRY_PICK_HEAD", "cherry-pick"), ("REVERT_HEAD", "revert")]
            where FileManager.default.fileExists(atPath: repository.gitDirectory + "/" + file) {
            throw OrgSyncError(.refused, "a \(what) is in progress; finish or abort it (git \(what) --continue or --abort), then sync")
        }
        // A merge that stopped before: once it is settled, sync commits it and goes on.
        let merger = Merger(reader: reader, actorEmail: actorEmail)
        if let theirs = MergeReport.incoming(in: repository) {
            if let report = try merger.current(), !report.isSettled {
                // Still unsettled: the same stop as when the merge was made, with what is left.
                outcome.merges = [MergeOutcome(result: .stopped, theirs: theirs, commit: nil, mergedFiles: [], changed: [], report: report, balances: [])]
                outcome.result = .stopped
                outcome.head = try gitCall("cannot read HEAD") { try repository.headCommit() }
                return outcome
            }
            _ = try merger.continueMerge(now: now)
        }

        while outcome.attempts < attempts {
            outcome.attempts += 1
            do {
                try Journal.transfer("fetch", remote: remote, in: repository) { try repository.fetch(remote: remote, progress: progress) }
            } catch {
                throw OrgSyncError.git("cannot fetch from '\(remote)'; your commits are safe in this clone: sync again when the remote can be reached", error)
            }
            let fetched = try gitCall("cannot read \(tracking)") { try repository.resolveReference(tracking) }
            outcome.fetched = fetched
            guard let local = try gitCall("cannot read HEAD", { try repository.headCommit() }) else {
                throw OrgSyncError(.environment, "the branch \(shortBranch) has no commits yet; create the organization with 'orgsync init', or clone one with 'orgsync clone URL DIR'")
            }
            if fetched == local {
                outcome.head = local
                return outcome
            }
            var head = local
            if let fetched, try gitCall("cannot compare HEAD with \(tracking)", { try repository.isDescendant(local, of: fetched) }) == false {
                // Behind or diverged: fast-forward, or merge the remote's commits in.
                let merge = try merger.merge(tracking, restamping: true, now: now)
                outcome.merges.append(merge)
                switch merge.result {
                case .upToDate:
                    break
                case .fastForward:
                    outcome.result = .fastForwarded
                    outcome.head = fetched
                    return outcome
                case .merged:
                    head = merge.commit ?? local
                case .stopped:
                    outcome.result = .stopped
                    outcome.head = local
                    return outcome
                }
            }
            // What the server will check: every commit it does not have yet, state, transition and author.
            let range = fetched.map { "\($0.hex)..\(head.hex)" } ?? head.hex
            let checker = CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
            let verdicts = try checker.check(range: range)
            if let bad = verdicts.first(where: { !$0.isValid }) {
                throw OrgSyncError(.refused, "commit \(bad.commit.id.hex.prefix(10)) (\(bad.commit.summary)) breaks the organization's rules (above); nothing was pushed. The server checks every commit it receives, so a later fix does not help: rewrite that unpublished commit (git rebase -i \(tracking.dropFirst("refs/remotes/".count)), or git commit --amend if it is the last), then sync again; 'orgsync validate --range \(tracking.dropFirst("refs/remotes/".count))..HEAD' checks them all",
                                   diagnostics: bad.diagnostics.filter { $0.severity == .error })
            }

            let pushed: PushResult
            do {
                // The commit checked, not whatever the branch names by now (git itself does not take orgsync's lock).
                guard try repository.resolveReference(branch) == head else {
                    throw OrgSyncError(.refused, "\(shortBranch) moved while orgsync was checking it (a commit made with git); nothing was pushed: sync again")
                }
                pushed = try Journal.transfer("push", remote: remote, in: repository) {
                    try repository.push(remote: remote, refspecs: ["\(branch):\(upstream)"], progress: progress)
                }
            } catch let error as GitError where error.isNonFastForward {
                continue // the remote moved after the fetch: fetch, merge and try again
            } catch {
                throw OrgSyncError.git("cannot push to '\(remote)'; your commits are safe in this clone: sync again when the remote can be reached", error)
            }
            outcome.remoteLines = pushed.remoteLines
            if let reason = pushed.rejected[upstream] {
                // Moved under us (another push won the race) is worth another round; a hook's refusal is not.
                try? Journal.transfer("fetch", remote: remote, in: repository) { try repository.fetch(remote: remote) }
                if let tip = try? repository.resolveReference(tracking), tip != fetched { continue }
                let lines = pushed.remoteLines.map { "  remote: \($0)" }.joined(separator: "\n")
                throw OrgSyncError(.refused, "'\(remote)' refused \(upstream): \(reason)\(lines.isEmpty ? "" : "\n" + lines)\nNothing is lost: your commits stay on \(shortBranch). Settle what the remote names (rewriting an unpublished commit it refuses) and sync again")
            }
            outcome.published = verdicts.count
            outcome.result = .pushed
            outcome.head = head
            outcome.fetched = head
            setUpstreamIfMissing(branch: shortBranch, remote: remote, upstream: upstream, repository)
            return outcome
        }
        throw OrgSyncError(.refused, "'\(remote)' kept moving: \(attempts) rounds of fetch, merge and push each found new commits there; nothing is lost, and every merge so far is on \(shortBranch): sync again")
    }

    /// The remote to sync with: the one named, the branch's upstream remote, `origin`, or the only remote.
    private func remoteName(_ requested: String?, branch: String, _ repository: GitKit.Repository) throws(OrgSyncError) -> String {
        let names = try gitCall("cannot list the remotes") { try repository.remoteNames() }
        if let requested {
            guard names.contains(requested) else {
                throw OrgSyncError(.environment, "there is no remote '\(requested)'\(names.isEmpty ? "" : "; the remotes are \(names.joined(separator: ", "))") (git remote -v)")
            }
            return requested
        }
        if let configured = (try? repository.config("branch.\(branch).remote")) ?? nil, names.contains(configured) { return configured }
        if names.contains("origin") { return "origin" }
        if names.count == 1 { return names[0] }
        if names.isEmpty {
            throw OrgSyncError(.environment, "this clone has no remote to sync with; add one: git remote add origin URL (or clone with 'orgsync clone URL DIR')")
        }
        throw OrgSyncError(.environment, "this clone has several remotes (\(names.joined(separator: ", "))) and \(branch) tracks none of them; name one: orgsync sync REMOTE")
    }

    /// The remote's branch `branch` publishes to: its configured upstream on `remote`, else the same name.
    private func upstreamBranch(of branch: String, remote: String, _ repository: GitKit.Repository) -> String {
        if ((try? repository.config("branch.\(branch).remote")) ?? nil) == remote,
           let merge = (try? repository.config("branch.\(branch).merge")) ?? nil, merge.hasPrefix("refs/heads/") {
            return merge
        }
        return "refs/heads/" + branch
    }

    /// After a first push, the branch tracks what it pushed to, as `git push -u` does.
    private func setUpstreamIfMissing(branch: String, remote: String, upstream: String, _ repository: GitKit.Repository) {
        guard ((try? repository.config("branch.\(branch).remote")) ?? nil) == nil else { return }
        try? repository.setConfig("branch.\(branch).remote", remote)
        try? repository.setConfig("branch.\(branch).merge", upstream)
    }
}

/// What `orgsync clone` did.
public struct CloneOutcome: Sendable {
    /// The new clone's folder, absolute, and the commit it checked out.
    public var directory: String
    public var head: ObjectID?
    public var branch: String?
    public var hooks: HookInstaller.Result
    /// The organization as cloned, validated.
    public var state: OrgState
}

extension Syncer {
    /// Clones `url` into `directory` through libgit2, checks out its default branch, installs the client hooks
    /// and the merge driver (calling `executable`), and validates what it checked out.
    ///
    /// The driver's attribute lines go into `.git/info/attributes` when the organization has not committed
    /// them, so that the fresh clone has no uncommitted change. A failed clone leaves no folder behind.
    public static func clone(url: String, into directory: String, executable: String,
                             progress: ((TransferProgress) -> Void)? = nil) throws(OrgSyncError) -> CloneOutcome {
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        let existed = FileManager.default.fileExists(atPath: target)
        if existed, let contents = try? FileManager.default.contentsOfDirectory(atPath: target), !contents.isEmpty {
            throw OrgSyncError(.environment, "\(target) exists and is not empty; clone into a new folder")
        }
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.clone(url: url, to: target, progress: progress)
        } catch {
            if !existed { try? FileManager.default.removeItem(atPath: target) }
            throw OrgSyncError.git("cannot clone \(url)", error)
        }
        let hooks = try HookInstaller.installClient(in: target, executable: executable, localAttributes: true)
        let head = try gitCall("cannot read HEAD") { try repository.headCommit() }
        let branch = (try? repository.headReferenceName()).map { $0.replacingOccurrences(of: "refs/heads/", with: "") }
        let state = OrgState(try StateReader(directory: target).workTree())
        return CloneOutcome(directory: target, head: head, branch: branch, hooks: hooks, state: state)
    }
}
