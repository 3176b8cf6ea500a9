import Foundation
import GitKit
import OrgModel

/// A range of commits, `A..B`: the commits reachable from B and not from A. A single revision is the
/// commits reachable from it (for `validate --range`), or the change it made (for `plan`).
public struct RevisionRange: Sendable {
    public var text: String
    /// A, or nil for a single revision.
    public var excluding: ObjectID?
    /// B.
    public var including: ObjectID

    /// Parses and resolves `text` in `repository`. An empty side of `A..B` is HEAD.
    public init(_ text: String, in repository: GitKit.Repository) throws(OrgSyncError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        func resolve(_ revision: String) throws(OrgSyncError) -> ObjectID {
            try gitCall("unknown revision '\(revision)'") { try repository.resolveCommit(revision) }
        }
        self.text = text
        if let dots = text.range(of: "..") {
            let from = String(text[..<dots.lowerBound]), to = String(text[dots.upperBound...])
            guard !from.hasPrefix("."), !to.hasPrefix(".") else {
                throw OrgSyncError(.environment, "'\(text)' is a symmetric difference; use A..B, the commits of B that are not in A")
            }
            excluding = try resolve(from.isEmpty ? "HEAD" : from)
            including = try resolve(to.isEmpty ? "HEAD" : to)
        } else {
            excluding = nil
            including = try resolve(text)
        }
    }
}

/// What a change means (G1): its credit events, balances before and after, workspaces, access, keys,
/// violations and the approvals it needs. The change is a range of commits (a pull request) or the
/// uncommitted work tree.
public struct ChangePlan: Sendable {
    /// "origin/main..HEAD", or "HEAD..work tree".
    public var title: String
    /// The commit the change starts from: the merge base of A and B (as a pull request is shown), or HEAD
    /// for the work tree. Nil before the first commit.
    public var base: ObjectID?
    /// The last commit of the change; nil for the work tree.
    public var head: ObjectID?
    /// Where the approval rules and roles are read: A of `A..B`, the branch the change goes into; the
    /// parent of a single revision; HEAD for the work tree.
    public var rulesAt: ObjectID?
    /// A, when it has moved on since the change left it (it is not the base): the balances and violations
    /// are then those of the change alone, not of the change merged into A.
    public var movedTarget: ObjectID? { rulesAt != base ? rulesAt : nil }
    /// Each commit of the range, oldest first, with what checking it found.
    public var commits: [CommitVerdict]
    /// For the work tree: its state and its transition from HEAD, as the acting member.
    public var workTreeDiagnostics: [Diagnostic]
    /// The emails of everyone who wrote the change.
    public var authors: [String]
    public var changes: OrgChanges
    /// Every workspace the change touches, and the Primary; the Primary first, then by id.
    public var balances: [BalanceChange]
    public var modeBefore: CreditMode?
    public var modeAfter: CreditMode?
    /// Whether the ledger replays after the change (the balance table's after column).
    public var replaysAfter: Bool
    /// The rules the change meets, with the approvals given so far.
    public var approvals: [ApprovalVerdict]

    /// Every error found in the change.
    public var violations: [Diagnostic] {
        (commits.flatMap(\.diagnostics) + workTreeDiagnostics).filter { $0.severity == .error }
    }

    /// The approvals still missing.
    public var unmetApprovals: [ApprovalVerdict] { approvals.filter { !$0.isMet } }

    // MARK: Building

    /// The plan of `range` in the repository around `reader`'s folder: from the merge base of A and B to
    /// B, as a pull request shows it; a single revision is the change that commit made to its first parent.
    ///
    /// The approval rules and roles are those at A, the branch the change goes into (for a single revision,
    /// its first parent), so a change cannot loosen the rules or make the approvers that judge it. A range
    /// whose sides share no history, or whose A holds organization files without a readable `org.yaml`, is
    /// refused: there are no rules to judge it by.
    public static func range(_ range: String, in reader: StateReader, approvers: [String] = []) throws(OrgSyncError) -> ChangePlan {
        let repository = try reader.repository()
        let checker = CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
        let parsed = try RevisionRange(range, in: repository)
        let head = parsed.including
        let base: ObjectID?
        let target: ObjectID?
        let commits: [ObjectID]
        if let excluding = parsed.excluding {
            base = try gitCall("cannot find the merge base of \(excluding) and \(head)") { try repository.mergeBase(excluding, head) }
            guard base != nil else {
                throw OrgSyncError(.refused, "\(parsed.text) joins histories that share no commit; an organization has one history, so compare a branch with the one it came from")
            }
            target = excluding
            commits = try gitCall("cannot list the commits of '\(range)'") { try repository.walk(including: [head], excluding: [excluding]) }
        } else {
            base = try gitCall("cannot read commit \(head)") { try repository.commit(head) }.parents.first
            target = base
            commits = [head]
        }
        var verdicts: [CommitVerdict] = []
        for commit in commits { verdicts.append(try checker.check(commit)) }
        let before = try base.map { id throws(OrgSyncError) in try checker.state(at: id) }
        let after = try checker.state(at: head)
        let judging = try target.map { id throws(OrgSyncError) in try checker.state(at: id) }
        if let judging, judging.snapshot.hasOrganizationFiles, judging.organization.config == nil {
            throw OrgSyncError(.refused, "org.yaml at \(target.map { String($0.hex.prefix(7)) } ?? "the base") cannot be read, so there are no rules to judge \(parsed.text) by; fix it there first",
                               diagnostics: judging.report.diagnostics.filter { $0.location.path.hasPrefix("org.") })
        }
        var authors: [String] = []
        var writers: [String] = []
        for verdict in verdicts {
            for email in [verdict.commit.author.email, verdict.commit.committer.email] where !writers.contains(where: { $0.lowercased() == email.lowercased() }) {
                writers.append(email)
            }
            if !authors.contains(where: { $0.lowercased() == verdict.commit.author.email.lowercased() }) { authors.append(verdict.commit.author.email) }
        }
        var plan = ChangePlan(title: parsed.text, base: base, head: head, commits: verdicts, workTreeDiagnostics: [], authors: authors,
                              before: before, after: after, judging: judging, writers: writers, approvers: approvers)
        plan.rulesAt = target
        return plan
    }

    /// The plan of the work tree's uncommitted changes, from HEAD, made by `actor` or the git identity.
    public static func workTree(in reader: StateReader, actor: String?, approvers: [String] = []) throws(OrgSyncError) -> ChangePlan {
        let repository = try reader.repository()
        let author = try GitIdentity.actingEmail(actor, in: repository)
        let checker = CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
        let head = try gitCall("cannot read HEAD") { try repository.headCommit() }
        let before = try head.map { id throws(OrgSyncError) in try checker.state(at: id) }
        let after = OrgState(try reader.workTree())
        let diagnostics = CommitChecker.diagnostics(from: before.map { [$0] } ?? [], base: nil, to: after, author: author)
        var plan = ChangePlan(title: "HEAD..work tree", base: head, head: nil, commits: [], workTreeDiagnostics: diagnostics, authors: [author],
                              before: before, after: after, judging: before, writers: [author], approvers: approvers)
        plan.rulesAt = head
        return plan
    }

    private init(title: String, base: ObjectID?, head: ObjectID?, commits: [CommitVerdict], workTreeDiagnostics: [Diagnostic],
                 authors: [String], before: OrgState?, after: OrgState, judging: OrgState?, writers: [String], approvers: [String]) {
        self.title = title
        self.base = base
        self.head = head
        self.commits = commits
        self.workTreeDiagnostics = workTreeDiagnostics
        self.authors = authors
        changes = OrgChanges(from: before, to: after)
        let replayBefore = before?.report.replay.flatMap { $0.failure == nil ? $0 : nil }
        let replayAfter = after.report.replay.flatMap { $0.failure == nil ? $0 : nil }
        modeBefore = replayBefore?.mode
        modeAfter = replayAfter?.mode
        replaysAfter = replayAfter != nil
        balances = BalanceChange.between(before, after, including: Set(changes.changes.flatMap(\.workspaces)))
        // Rules and roles come from where the change goes; a change that creates the organization (into a
        // branch with no organization files yet) is judged by its own policy.
        let rules = judging.flatMap { $0.snapshot.hasOrganizationFiles ? $0.organization : nil } ?? after.organization
        approvals = (rules.config?.policy ?? Policy()).check(changes, in: rules, authors: writers, approvers: approvers)
    }
}
