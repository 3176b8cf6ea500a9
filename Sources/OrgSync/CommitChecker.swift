import Foundation
import GitKit
import OrgModel

/// What checking one commit found: its state rules and its transition from its parents (SPEC §4).
public struct CommitVerdict: Sendable {
    public var commit: Commit
    /// State and transition diagnostics, sorted.
    public var diagnostics: [Diagnostic]
    public var isValid: Bool { !diagnostics.hasErrors }
}

/// What checking the staged state found.
public struct StagedVerdict: Sendable {
    /// The organization as it would be committed.
    public var state: OrgState
    /// State and transition diagnostics, sorted.
    public var diagnostics: [Diagnostic]
    public var isValid: Bool { !diagnostics.hasErrors }
    /// HEAD and the commits being merged in, with their states, and for a merge the merge base's state.
    public var head: ObjectID?
    public var merging: [ObjectID] = []
    public var parents: [OrgState] = []
    public var base: OrgState?
}

/// One update a push asks for, as git hands it to a pre-receive hook: `<old> <new> <ref>`.
public struct RefUpdate: Sendable, Hashable {
    /// The ref's current commit, or nil when the push creates the ref.
    public var old: ObjectID?
    /// The commit the ref is to point to, or nil when the push deletes the ref.
    public var new: ObjectID?
    public var name: String

    public init(old: ObjectID?, new: ObjectID?, name: String) {
        self.old = old
        self.new = new
        self.name = name
    }

    /// Parses one line of pre-receive input; nil when it is not `<old> <new> <ref>`.
    public init?(line: String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, let old = ObjectID(hex: String(parts[0])), let new = ObjectID(hex: String(parts[1])) else { return nil }
        // git writes forty zeros for "no commit".
        self.old = parts[0].allSatisfy { $0 == "0" } ? nil : old
        self.new = parts[1].allSatisfy { $0 == "0" } ? nil : new
        self.name = String(parts[2])
    }
}

/// What checking one ref update found.
public struct RefVerdict: Sendable {
    public var update: RefUpdate
    /// Every commit the push adds to this ref, oldest first.
    public var commits: [CommitVerdict]
    /// Problems with the update as a whole, such as a rewrite that drops ledger events.
    public var problems: [Diagnostic]
    public var isValid: Bool { !problems.hasErrors && commits.allSatisfy(\.isValid) }
}

/// Checks commits, the staged state and pushes against the state rules and the transition rules T1–T4.
///
/// States are read from git objects and kept by commit id for the checker's lifetime, so a range loads
/// each commit once and reads only the blobs each commit changes. Not thread-safe, like its repository.
public final class CommitChecker {
    public let repository: GitKit.Repository
    /// The organization's folder inside the repository, as `path/` (empty for the whole repository).
    private let prefix: String
    private var states: [ObjectID: (tree: ObjectID, state: OrgState)] = [:]
    /// Summaries of clean states by the id of the organization's tree: made here, or read from `cache`.
    private var summaries: [ObjectID: StateSummary] = [:]
    private let cache: StateCache
    /// The commits found valid by `checkAppended`: each only appends to its one parent.
    private(set) var appendOnly: Set<ObjectID> = []

    /// A checker for the organization at the root of `repository`, or in its subfolder `prefix`.
    public init(repository: GitKit.Repository, prefix: String = "") {
        self.repository = repository
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.cache = StateCache(repository)
    }

    // MARK: Commits

    /// The organization as of `commit`, loaded and validated.
    public func state(at commit: ObjectID) throws(OrgSyncError) -> OrgState {
        if let cached = states[commit] { return cached.state }
        let info = try read(commit)
        var snapshot: Snapshot
        if let parent = info.parents.first, let base = states[parent] {
            snapshot = base.state.snapshot
            try apply(try gitCall("cannot compare \(parent) with \(commit)") { try repository.diff(from: base.tree, to: info.tree) }, to: &snapshot)
        } else {
            snapshot = try SnapshotLoader.commit(commit, in: repository).scoped(to: prefix)
        }
        let state = OrgState(snapshot)
        states[commit] = (info.tree, state)
        if let summary = StateSummary(state.report), let key = organizationTree(info.tree) {
            summaries[key] = summary
            cache.store(summary, for: key)
        }
        return state
    }

    /// Checks `commit`: its state, and its transition from its parents as made by its author.
    public func check(_ commit: ObjectID) throws(OrgSyncError) -> CommitVerdict {
        let info = try read(commit)
        if let verdict = try checkAppended(info) { return verdict }
        var parents: [OrgState] = []
        for parent in info.parents { parents.append(try state(at: parent)) }
        let state = try self.state(at: commit)
        let base = try mergeBase(of: info.parents)
        var diagnostics = Self.diagnostics(from: parents, base: base, to: state, author: info.author.email)
        // T5: the author's keys as every parent has them, so a commit cannot sign itself in with a key it adds.
        if Transition.requiresSignature(from: parents, to: state),
           let problem = try signatureProblem(info, signer: Transition.signer(info.author.email, from: parents, to: state)) {
            diagnostics = (diagnostics + [problem]).sorted()
        }
        return CommitVerdict(commit: info, diagnostics: diagnostics)
    }

    /// T5 for `info`, whose author is `signer` in the state it starts from.
    private func signatureProblem(_ info: Commit, signer: (id: String, keys: [String])?) throws(OrgSyncError) -> Diagnostic? {
        let object = try gitCall("cannot read commit \(info.id)") { try repository.commitObject(info.id) }
        return Transition.signature(of: "commit \(info.id.hex.prefix(10))", CommitSignature(commitObject: object), author: info.author.email, signer: signer)
    }

    /// The verdict on a commit that only appends to a parent whose state is summarized (`StateSummary`):
    /// valid with no diagnostic, from the changed files alone. nil when the commit needs the full check.
    private func checkAppended(_ info: Commit) throws(OrgSyncError) -> CommitVerdict? {
        guard info.parents.count == 1 else { return nil }
        let parentTree = try read(info.parents[0]).tree
        guard let parentKey = organizationTree(parentTree), let summary = summary(of: parentKey),
              let key = organizationTree(info.tree) else { return nil }
        let changes = try gitCall("cannot compare \(info.parents[0]) with \(info.id)") { try repository.diff(from: parentTree, to: info.tree) }
        var files: [StateSummary.AppendedFile] = []
        for change in changes where change.path.hasPrefix(prefix) {
            guard let new = change.new, new.kind == .file || new.kind == .executable else { return nil }
            var old: [UInt8]?
            if let before = change.old {
                guard before.kind == .file || before.kind == .executable else { return nil }
                old = try gitCall("cannot read \(change.path)") { try repository.blob(before.blob) }
            }
            let bytes = try gitCall("cannot read \(change.path)") { try repository.blob(new.blob) }
            files.append(StateSummary.AppendedFile(path: String(change.path.dropFirst(prefix.count)), old: old, new: bytes))
        }
        guard let next = summary.appending(files, author: info.author.email) else { return nil }
        // An append changes neither the policy nor anyone's keys: T5 is the parent's.
        if summary.requiresSignedCommits, let problem = try signatureProblem(info, signer: summary.signer(email: info.author.email)) {
            return CommitVerdict(commit: info, diagnostics: [problem])
        }
        // One summary per line of commits: a long push of appends holds one, not one per commit. A sibling
        // of this commit reads the parent's again from the cache, or is checked in full.
        summaries[parentKey] = nil
        summaries[key] = next
        appendOnly.insert(info.id)
        return CommitVerdict(commit: info, diagnostics: [])
    }

    private func organizationTree(_ tree: ObjectID) -> ObjectID? {
        StateCache.organizationTree(tree, prefix: prefix, in: repository)
    }

    /// The summary of the clean state whose organization tree is `key`, made here or cached.
    private func summary(of key: ObjectID) -> StateSummary? {
        if let summary = summaries[key] { return summary }
        let summary = cache.summary(of: key)
        summaries[key] = summary
        return summary
    }

    /// Keeps the summary of `commit`'s state in the cache, so that the next check can start from it.
    private func persist(_ commit: ObjectID?) {
        guard let commit, let tree = try? read(commit).tree, let key = organizationTree(tree), let summary = summaries[key] else { return }
        cache.store(summary, for: key)
    }

    /// The state and transition diagnostics of a step. A step between states that hold no organization
    /// files at all (a repository before `orgsync init`, an unrelated branch) has nothing to check.
    static func diagnostics(from parents: [OrgState], base: OrgState?, to state: OrgState, author: String) -> [Diagnostic] {
        guard state.snapshot.hasOrganizationFiles || parents.contains(where: \.snapshot.hasOrganizationFiles) else { return [] }
        let diagnostics = state.report.diagnostics + Transition.check(from: parents, base: base, to: state, author: author)
        return Array(Set(diagnostics)).sorted()
    }

    /// For a merge, the state at the merge base of all its parents; nil for other commits, and for parents
    /// with no common history.
    func mergeBase(of parents: [ObjectID]) throws(OrgSyncError) -> OrgState? {
        guard parents.count > 1 else { return nil }
        var base: ObjectID? = parents[0]
        for parent in parents.dropFirst() {
            guard let current = base else { break }
            base = try gitCall("cannot find the merge base of \(current) and \(parent)") { try repository.mergeBase(current, parent) }
        }
        guard let base else { return nil }
        return try state(at: base)
    }

    /// Checks every commit of `range`, oldest first. `A..B` is the commits reachable from B and not from A
    /// (an empty side is HEAD); a single revision is every commit reachable from it.
    public func check(range: String) throws(OrgSyncError) -> [CommitVerdict] {
        let parsed = try RevisionRange(range, in: repository)
        let commits = try gitCall("cannot list the commits of '\(range)'") {
            try repository.walk(including: [parsed.including], excluding: parsed.excluding.map { [$0] } ?? [])
        }
        var verdicts: [CommitVerdict] = []
        for commit in commits { verdicts.append(try check(commit)) }
        persist(verdicts.last?.commit.id)
        return verdicts
    }

    // MARK: The staged state

    /// Checks what `git commit` would commit now: the index (or `indexPath`, as git names it in
    /// `GIT_INDEX_FILE` during `git commit -a`), as a transition from HEAD and any merge in progress.
    ///
    /// The commits being merged in are read from `MERGE_HEAD` and, during `git merge`'s pre-merge-commit
    /// hook (which runs before git writes `MERGE_HEAD`), from the `GITHEAD_<id>` variables git sets.
    public func checkStaged(author: String, indexPath: String? = nil, environment: [String: String] = [:]) throws(OrgSyncError) -> StagedVerdict {
        let index: GitKit.Index = try gitCall("cannot read the index") {
            if let indexPath { try repository.index(atPath: indexPath) } else { try repository.index() }
        }
        let conflicted = Set(index.entries().filter { $0.stage > 0 }.map(\.path)).sorted()
        guard conflicted.isEmpty else {
            throw OrgSyncError(.refused, "the index has unresolved conflicts in \(conflicted.joined(separator: ", ")); resolve them and 'git add' the files first")
        }
        let head = try gitCall("cannot read HEAD") { try repository.headCommit() }
        var parents: [OrgState] = []
        var snapshot = Snapshot()
        var baseTree: ObjectID?
        if let head {
            let state = try state(at: head)
            parents.append(state)
            snapshot = state.snapshot
            baseTree = states[head]?.tree
        }
        try apply(try gitCall("cannot compare HEAD with the index") { try repository.diffToIndex(from: baseTree, index: index) }, to: &snapshot)
        let merging = try mergeHeads(environment: environment).filter { $0 != head }
        for commit in merging { parents.append(try state(at: commit)) }
        let base = try mergeBase(of: (head.map { [$0] } ?? []) + merging)
        let state = OrgState(snapshot)
        return StagedVerdict(state: state, diagnostics: Self.diagnostics(from: parents, base: base, to: state, author: author),
                             head: head, merging: merging, parents: parents, base: base)
    }

    /// Checks what `git commit` would commit now in the repository around `reader`'s folder, as `actor` (`--as`)
    /// or else the git identity, with git's hook variables from `environment` (`GIT_INDEX_FILE`,
    /// `GITHEAD_<id>`). Returns the verdict and the email it acted as.
    public static func checkStaged(in reader: StateReader, actor: String?, environment: [String: String]) throws(OrgSyncError) -> (verdict: StagedVerdict, author: String) {
        let repository = try reader.repository()
        let author = try GitIdentity.actingEmail(actor, in: repository)
        let checker = CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
        let verdict = try checker.checkStaged(author: author, indexPath: environment["GIT_INDEX_FILE"], environment: environment)
        return (verdict, author)
    }

    /// The commits being merged in: `MERGE_HEAD`, else the ids of git's `GITHEAD_<id>` variables.
    private func mergeHeads(environment: [String: String]) throws(OrgSyncError) -> [ObjectID] {
        guard let text = try? String(contentsOfFile: repository.gitDirectory + "/MERGE_HEAD", encoding: .utf8) else {
            return environment.keys.filter { $0.hasPrefix("GITHEAD_") }.sorted().compactMap { ObjectID(hex: String($0.dropFirst(8))) }
        }
        var heads: [ObjectID] = []
        for line in text.split(whereSeparator: \.isNewline) {
            guard let id = ObjectID(hex: String(line)) else {
                throw OrgSyncError(.environment, "\(repository.gitDirectory)/MERGE_HEAD holds '\(line)', which is not a commit id")
            }
            heads.append(id)
        }
        return heads
    }

    // MARK: Pushes

    /// Checks a push: every commit it adds to each ref, and that the organization's branch only moves forward.
    ///
    /// Commits already reachable from a ref of the repository were checked when they arrived and are not
    /// checked again. The organization's branch is the one HEAD names; while HEAD names a branch that does
    /// not exist, every branch holding organization files is protected instead. A protected branch cannot
    /// be deleted or rewritten (a non-fast-forward update): corrections are new commits, so history, and
    /// with it every published event, stays. Other branches (proposals) may be rewritten and deleted.
    public func check(push updates: [RefUpdate]) throws(OrgSyncError) -> [RefVerdict] {
        let known = try gitCall("cannot list the references") { try repository.references() }.map(\.commit)
        let headBranch = try? repository.headReferenceName()
        let headExists = headBranch.flatMap { try? repository.resolveReference($0) } != nil
        var verdicts: [RefVerdict] = []
        for update in updates {
            var verdict = RefVerdict(update: update, commits: [], problems: [])
            let oldCommit = update.old.flatMap { try? repository.resolveCommit($0.hex) }
            var protected = headExists && update.name == headBranch
            if !headExists, update.name.hasPrefix("refs/heads/"), let oldCommit {
                protected = try state(at: oldCommit).snapshot.hasOrganizationFiles
            }
            let location = SourceLocation(path: update.name)
            guard let new = update.new else {
                if protected {
                    verdict.problems.append(.error(.t(1), "\(update.name) is the organization's branch and holds its history; it cannot be deleted", at: location))
                }
                verdicts.append(verdict)
                continue
            }
            // A tag of a tree or blob carries no organization; annotated tags are checked at their commit.
            guard let newCommit = try? repository.resolveCommit(new.hex) else {
                verdicts.append(verdict)
                continue
            }
            let commits = try gitCall("cannot list the commits pushed to \(update.name)") { try repository.walk(including: [newCommit], excluding: known) }
            for commit in commits { verdict.commits.append(try check(commit)) }
            persist(commits.last)
            if protected, let oldCommit, oldCommit != newCommit {
                if !(try gitCall("cannot compare \(oldCommit) with \(newCommit)") { try repository.isDescendant(newCommit, of: oldCommit) }) {
                    verdict.problems.append(.error(.t(1), "\(update.name) is the organization's branch and only moves forward, but this push rewrites it (\(oldCommit.hex.prefix(10)) is not in the new history); undo changes with new commits instead",
                                                   at: location))
                }
                // Published events stay, even through a merge that settled a violation by dropping events (M3, S3).
                // A line of commits that each only append keeps them all, so no state needs loading for it.
                if !(try appendsOnly(from: oldCommit, to: newCommit)) {
                    verdict.problems += Transition.historyRules(from: try state(at: oldCommit), to: try state(at: newCommit))
                }
            }
            verdicts.append(verdict)
        }
        return verdicts
    }

    /// Whether `new` is reached from `old` through first parents that `checkAppended` found only append.
    private func appendsOnly(from old: ObjectID, to new: ObjectID) throws(OrgSyncError) -> Bool {
        var commit = new
        while commit != old {
            guard appendOnly.contains(commit), let parent = try read(commit).parents.first else { return false }
            commit = parent
        }
        return true
    }

    // MARK: Reading

    private func read(_ commit: ObjectID) throws(OrgSyncError) -> Commit {
        try gitCall("cannot read commit \(commit)") { try repository.commit(commit) }
    }

    /// Applies the changes of a diff, as full repository paths, to a snapshot of the organization's folder.
    func apply(_ changes: [TreeChange], to snapshot: inout Snapshot) throws(OrgSyncError) {
        for change in changes where change.path.hasPrefix(prefix) {
            let path = String(change.path.dropFirst(prefix.count))
            guard let new = change.new else {
                snapshot.entries[path] = nil
                continue
            }
            switch new.kind {
            case .submodule: snapshot.entries[path] = Snapshot.Entry(kind: .submodule, bytes: [])
            case .file, .executable, .symlink:
                let bytes = try gitCall("cannot read \(change.path)") { try repository.blob(new.blob) }
                snapshot.entries[path] = Snapshot.Entry(kind: new.kind == .symlink ? .symlink : .file, bytes: bytes)
            }
        }
    }
}
