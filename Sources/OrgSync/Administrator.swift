import Foundation
import GitKit
import OrgModel

/// What an operation did, or would do with `--dry-run`.
public struct OperationOutcome: Sendable {
    public var edit: Edit
    /// The member who made it, and the email they acted as.
    public var actor: Member
    public var actorEmail: String
    /// The new commit; nil for a dry run.
    public var commit: ObjectID?
    /// The organization paths the edit adds, changes and removes, sorted.
    public var added: [String]
    public var changed: [String]
    public var removed: [String]
    public var balances: [BalanceChange]
    /// Warnings of the new state, such as a mode event that changes nothing.
    public var warnings: [Diagnostic]
}

/// Carries out admin operations (SPEC §9) on the organization around a folder: each one reads HEAD, plans
/// the edit, validates the new state, its transition and the actor's rights, and only then writes and
/// commits, moving the branch only if it has not moved meanwhile.
public struct Administrator {
    public let reader: StateReader
    /// The email to act as (`--as`); the git identity when nil.
    public let actorEmail: String?

    public init(reader: StateReader, actorEmail: String? = nil) {
        self.reader = reader
        self.actorEmail = actorEmail
    }

    /// Performs `operation` at `now`. With `dryRun`, everything is checked and nothing is written.
    public func perform(_ operation: AdminOperation, dryRun: Bool = false, now: Timestamp = .now()) throws(OrgSyncError) -> OperationOutcome {
        let repository = try reader.repository()
        // Held from before HEAD is read: a second orgsync command on this clone waits, then plans on top.
        let lock = dryRun ? nil : try WriteLock(repository)
        defer { withExtendedLifetime(lock) {} }
        guard let head = try gitCall("cannot read HEAD", { try repository.headCommit() }) else {
            throw OrgSyncError(.environment, "the repository has no commits yet; create the organization with 'orgsync init'")
        }
        let prefix = reader.prefix(in: repository)
        let checker = CommitChecker(repository: repository, prefix: prefix)
        let parent = try checker.state(at: head)
        guard parent.snapshot.hasOrganizationFiles else {
            throw OrgSyncError(.environment, "HEAD has no organization in \(reader.directory); create one with 'orgsync init' or pass --repo")
        }
        let email = try GitIdentity.actingEmail(actorEmail, in: repository)
        guard let actor = parent.activeMember(email: email) else {
            throw OrgSyncError(.refused, "'\(email)' is not an active member of the organization, so it may change nothing; act as a member (git config user.email, or --as EMAIL)")
        }

        let edit: Edit
        do throws(OperationRefusal) {
            edit = try operation.plan(on: parent, by: actor, at: now)
        } catch {
            throw OrgSyncError(error.isBlocked ? .blocked : .refused, error.message)
        }
        let result = OrgState(edit.applied(to: parent.snapshot))
        let diagnostics = CommitChecker.diagnostics(from: [parent], base: nil, to: result, author: email)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            let inherited = parent.report.diagnostics.filter { $0.severity == .error }
            let fresh = errors.filter { !inherited.contains($0) }
            if fresh.isEmpty {
                throw OrgSyncError(.refused, "\(edit.operation.command) refused: HEAD already breaks the rules above, and the result would too; fix them first (orgsync validate --rev HEAD)",
                                   diagnostics: errors)
            }
            if case .recordUsage = operation, fresh.allSatisfy({ $0.rule == .r(8) }) {
                // Usage the replay cannot pay for, at its place in (at, id) order: a charge blocked by R8.
                throw OrgSyncError(.blocked, "\(edit.operation.command): the replayed balance cannot pay for this usage (R8, above); nothing was written",
                                   diagnostics: fresh)
            }
            throw OrgSyncError(.refused, "\(edit.operation.command) refused: the result would break \(fresh.count == 1 ? "a rule" : "\(fresh.count) rules") (above, in the files it would write); nothing was written",
                               diagnostics: fresh)
        }

        var outcome = OperationOutcome(
            edit: edit, actor: actor, actorEmail: email, commit: nil,
            added: edit.writes.keys.filter { parent.snapshot.entries[$0] == nil }.sorted(),
            changed: edit.writes.keys.filter { parent.snapshot.entries[$0] != nil }.sorted(),
            removed: edit.removals.sorted(),
            balances: BalanceChange.between(parent, result),
            warnings: diagnostics.filter { $0.severity == .warning && !parent.report.diagnostics.contains($0) })
        guard !dryRun else {
            outcome.edit.secret = nil // a secret nobody will ever store is not shown
            return outcome
        }

        let (author, committer) = GitIdentity.signatures(for: actor, email: email, in: repository, at: now)
        let signer = try CommitSigner.required(from: [parent], to: result, author: email, in: repository)
        outcome.commit = try Committer(repository: repository, directory: reader.directory, prefix: prefix, signer: signer)
            .commit(writes: edit.writes, removals: edit.removals, head: head,
                    message: edit.commitMessage, author: author, committer: committer)
        return outcome
    }
}
