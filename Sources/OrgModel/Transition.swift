/// The transition rules (SPEC §4, T1–T5): what one commit may change relative to its parents.
///
/// A commit is valid when its state is valid (`Validator`) and its transition is. T5 (signatures) needs the
/// commit object itself: `OrgSync.CommitChecker` reads its signature and calls `signature(of:…)`.
public enum Transition {
    /// Checks the step from `parents` (none for a root commit; two or more for a merge) to `result`, made by
    /// the author whose email is `author`. Collects every failure.
    ///
    /// For a merge, `base` is the parents' merge base: what the merge adds is measured against it. Merging
    /// two organizations with no common history (`base` nil) is refused.
    public static func check(from parents: [OrgState], base: OrgState? = nil, to result: OrgState, author: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        if parents.count > 1, base == nil, parents.filter(\.snapshot.hasOrganizationFiles).count > 1 {
            diagnostics.append(.error(.t(2), "this merge joins organization histories that share no commit; an organization has one history, so merge only branches of it",
                                      at: SourceLocation(path: "org.yaml")))
        }
        diagnostics += appendOnly(parents, result, mergeBase: parents.count > 1 ? base : nil)
        diagnostics += stableIdentifiers(parents, result)
        diagnostics += deletions(parents, result, mergeBase: parents.count > 1 ? base : nil)
        let changes = OrgFacts.changes(from: parents.map(OrgFacts.init), base: base.map(OrgFacts.init), to: OrgFacts(result))
        diagnostics += Authorization.check(changes, author: author, parents: parents, result: result)
        return Array(Set(diagnostics)).sorted()
    }

    /// The rules any later state must keep relative to an earlier one, whoever made the steps between:
    /// T1 (the ledger and usage are append-only) and T2 (ids, the Primary and tombstones stay). A push that
    /// rewrites a branch is checked with these from the branch's old tip to its new one.
    public static func historyRules(from earlier: OrgState, to later: OrgState) -> [Diagnostic] {
        Array(Set(appendOnly([earlier], later) + stableIdentifiers([earlier], later))).sorted()
    }

    // MARK: T5: signed commits

    /// T5: with `policy.signedCommits: required`, `commit` carries an SSH signature (SSHSIG in its `gpgsig`
    /// header) that verifies with one of its author's `signingKeys`. `signer` is the author as an active
    /// member of the state the commit starts from, with their keys; nil when the author is none. Call it
    /// only when the policy requires signatures. `commit` names it in messages ("commit 1a2b3c4d5e"). Nil
    /// when the signature holds.
    public static func signature(of commit: String, _ gpgsig: CommitSignature, author: String,
                                 signer: (id: String, keys: [String])?) -> Diagnostic? {
        let howTo = "git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub; git commit --amend -S --no-edit"
        guard let signer else {
            return .error(.t(5), "\(commit) is by \(author), who is not an active member with signing keys, and policy.signedCommits is required; every commit must be signed by its author's key",
                          at: SourceLocation(path: "org.yaml"))
        }
        let location = SourceLocation(path: Member.path(for: signer.id))
        let armored: [UInt8], signedData: [UInt8]
        switch gpgsig {
        case .unsigned:
            return .error(.t(5), "\(commit) is not signed, and policy.signedCommits is required; sign it with one of \(signer.id)'s signing keys (\(howTo))",
                          at: location)
        case .malformed(let reason):
            return .error(.t(5), "\(commit)'s signature cannot be checked: \(reason); make the commit again and sign it (\(howTo))", at: location)
        case .signed(let signature, let data):
            (armored, signedData) = (signature, data)
        }
        let parsed: SSHSignature
        do {
            parsed = try SSHSignature(armored: armored)
        } catch {
            return .error(.t(5), "\(commit)'s signature cannot be checked: \(error.reason); sign it with one of \(signer.id)'s ssh-ed25519 signing keys (\(howTo))",
                          at: location)
        }
        guard signer.keys.contains(where: { SSHPublicKey(line: $0) == parsed.key }) else {
            return .error(.t(5), "\(commit) is signed with \(parsed.key.fingerprint), which is not one of \(signer.id)'s signing keys; sign it with a key listed in \(location.path), or have an owner add this key there first",
                          at: location)
        }
        guard parsed.verifies(signedData) else {
            return .error(.t(5), "\(commit)'s signature by \(parsed.key.fingerprint) does not verify: the commit was changed after it was signed, or the signature is not for git (namespace '\(parsed.namespace)'); sign it again",
                          at: location)
        }
        return nil
    }

    /// Whether T5 applies to a commit from `parents` to `result`: the policy requires signatures in any
    /// parent or in the result, so that neither a merge with an older state nor the commit that turns the
    /// policy off escapes it.
    public static func requiresSignature(from parents: [OrgState], to result: OrgState) -> Bool {
        parents.contains(where: \.requiresSignedCommits) || result.requiresSignedCommits
    }

    /// The author as T5 sees them: an active member, under one id, in every parent that holds the
    /// organization, with only the keys listed in all of them (a key removed on one side of a merge no
    /// longer signs). For the commit that creates the organization, the members it creates. nil when the
    /// author is no such member.
    public static func signer(_ author: String, from parents: [OrgState], to result: OrgState) -> (id: String, keys: [String])? {
        let states = parents.filter(\.snapshot.hasOrganizationFiles)
        var signer: (id: String, keys: [String])?
        for state in states.isEmpty ? [result] : states {
            guard let member = state.signer(email: author) else { return nil }
            guard let current = signer else {
                signer = member
                continue
            }
            guard current.id == member.id else { return nil }
            let listed = member.keys.compactMap(SSHPublicKey.init(line:))
            signer = (current.id, current.keys.filter { SSHPublicKey(line: $0).map(listed.contains) ?? false })
        }
        return signer
    }

    // MARK: T1: the ledger and usage are append-only

    /// For a merge, `mergeBase` is the parents' merge base. An event or usage record that only the first
    /// parent has (our own work, not in the base nor in what is merged in) may be left out of the merge or
    /// replaced: that is how a violation or a clash of ids is settled (M3, `orgsync resolve`). What the base
    /// had, and what the merged-in side brings, stays byte for byte. The server also keeps every event of its
    /// branch's old tip (`historyRules`), so a published event is never dropped.
    static func appendOnly(_ parents: [OrgState], _ result: OrgState, mergeBase: OrgState? = nil) -> [Diagnostic] {
        var out: [Diagnostic] = []
        /// Whether the first parent's version of an event file is ours alone.
        func ownEvent(_ path: String, _ bytes: [UInt8]) -> Bool {
            guard let mergeBase, mergeBase.snapshot.entries[path] == nil else { return false }
            return !parents.dropFirst().contains { $0.snapshot.entries[path]?.bytes == bytes }
        }
        let merged = parents.count > 1 && mergeBase != nil
        let baseRecords = merged ? Set(mergeBase?.organization.usage.map(\.id) ?? []) : []
        let theirRecords = merged ? Set(parents.dropFirst().flatMap { $0.organization.usage.map { "\($0.workspace)|\($0.jsonLine)" } }) : []
        for (index, parent) in parents.enumerated() {
            let ours = index == 0 && merged
            for (path, entry) in parent.snapshot.entries where path.hasPrefix("ledger/") {
                guard let now = result.snapshot.entries[path] else {
                    if ours, ownEvent(path, entry.bytes) { continue }
                    out.append(.error(.t(1), "ledger event file \(path) was removed; ledger files are append-only (F5): restore it, and record a correction as a new event",
                                      at: SourceLocation(path: path)))
                    continue
                }
                if now.kind != entry.kind || now.bytes != entry.bytes {
                    if ours, ownEvent(path, entry.bytes) { continue }
                    out.append(.error(.t(1), "ledger event file \(path) was changed; ledger files are immutable (F5): restore it byte for byte, and record a correction as a new event",
                                      at: SourceLocation(path: path, line: firstDifferentLine(entry.bytes, now.bytes), column: 1)))
                }
            }
            let deletedNow = Set(result.organization.workspaces.filter { workspace in
                workspace.isDeleted && parent.organization.workspace(workspace.id).map { !$0.isDeleted } == true
            }.map(\.id))
            let kept = Dictionary(result.organization.usage.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for record in parent.organization.usage where !deletedNow.contains(record.workspace) {
                let own = ours && !baseRecords.contains(record.id) && !theirRecords.contains("\(record.workspace)|\(record.jsonLine)")
                guard let now = kept[record.id] else {
                    if own { continue }
                    out.append(.error(.t(1), "usage record '\(record.id)' was removed; usage records are append-only, and only deleting their workspace (R10) removes them",
                                      at: SourceLocation(path: record.location.path), notes: [.init("the record in the parent", at: record.location)]))
                    continue
                }
                if now.workspace != record.workspace || now.jsonLine != record.jsonLine {
                    if own { continue }
                    out.append(.error(.t(1), "usage record '\(record.id)' was changed; usage records are immutable: restore it, and correct usage with new records",
                                      at: now.location, notes: [.init("it was: \(record.jsonLine)", at: record.location)]))
                }
            }
        }
        return out
    }

    /// The 1-based number of the first line where `a` and `b` differ.
    private static func firstDifferentLine(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var line = 1
        for (x, y) in zip(a, b) {
            if x != y { return line }
            if x == UInt8(ascii: "\n") { line += 1 }
        }
        return line
    }

    // MARK: T2: ids are stable, the Primary and tombstones stay

    static func stableIdentifiers(_ parents: [OrgState], _ result: OrgState) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let org = result.organization
        for parent in parents {
            for workspace in parent.organization.workspaces {
                guard let now = org.workspace(workspace.id) else {
                    if !org.isUnreadable("workspaces", workspace.id) {
                        out.append(.error(.t(2), "workspace '\(workspace.id)' was removed; workspace ids are permanent, so a deleted workspace keeps its file as a tombstone: restore it and run 'orgsync workspace delete \(workspace.id)'",
                                          at: SourceLocation(path: workspace.source.path)))
                    }
                    continue
                }
                if let tombstone = workspace.deleted, now.deleted != tombstone || now.name != workspace.name {
                    let what = now.isDeleted ? "changed" : "revived"
                    out.append(.error(.t(2), "the tombstone of '\(workspace.id)' was \(what); a deletion is permanent and its tombstone never changes: restore the file, and create a workspace with a new id instead",
                                      at: now.source["deleted"]))
                } else if workspace.isPrimary, !workspace.isDeleted, !now.isPrimary || now.isDeleted {
                    out.append(.error(.t(2), "'\(workspace.id)' is the Primary Workspace; it cannot be \(now.isDeleted ? "deleted" : "demoted") (R3)",
                                      at: now.isDeleted ? now.source["deleted"] : now.source.file))
                }
            }
            for member in parent.organization.members where org.member(member.id) == nil && !org.isUnreadable("members", member.id) {
                out.append(.error(.t(2), "member '\(member.id)' was removed; member files stay so that history naming them resolves: restore it and run 'orgsync member remove \(member.id)', which marks it removed",
                                  at: SourceLocation(path: member.source.path)))
            }
        }
        return out
    }

    // MARK: T3: a deletion follows R10

    /// For each workspace this commit deletes, the tombstone must record exactly what its removed usage
    /// consumed, and must not be dated before its last activity.
    static func deletions(_ parents: [OrgState], _ result: OrgState, mergeBase: OrgState? = nil) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if let mergeBase {
            // A merge joins a deletion on one side with the other side's life of the workspace: usage the other
            // side recorded after they parted is not in the tombstone, and would vanish from the totals.
            let baseRecords = Set(mergeBase.organization.usage.map(\.id))
            for workspace in result.organization.workspaces where workspace.isDeleted {
                // Our own usage of a workspace the other side deleted may go with the merge (R10 removes its
                // files, T1 lets our own records go); what is merged in may be published, and must be counted.
                for parent in parents.dropFirst() where parent.organization.workspace(workspace.id)?.isDeleted == false {
                    let unaccounted = parent.organization.usage.filter { $0.workspace == workspace.id && !baseRecords.contains($0.id) }
                    guard !unaccounted.isEmpty else { continue }
                    let total = (try? unaccounted.map(\.credits).sum()).map(\.description) ?? "more"
                    out.append(.error(.t(3), "'\(workspace.id)' is deleted on one side of this merge, and the other side recorded \(unaccounted.count == 1 ? "1 usage record" : "\(unaccounted.count) usage records") (\(total) credits) for it that its tombstone does not count; abort the merge, merge before deleting, and delete it again",
                                      at: workspace.source["deleted.consumed"], notes: [.init("a record the tombstone misses", at: unaccounted[0].location)]))
                }
            }
        }
        guard let parent = parents.first, let replay = parent.report.replay, replay.failure == nil else { return out }
        for workspace in result.organization.workspaces {
            guard let tombstone = workspace.deleted,
                  parents.allSatisfy({ $0.organization.workspace(workspace.id).map { !$0.isDeleted } == true }) else { continue }
            let consumed = replay.consumedByWorkspace[workspace.id] ?? .zero
            if tombstone.consumed != consumed {
                out.append(.error(.t(3), "the tombstone of '\(workspace.id)' records consumed: \(tombstone.consumed), but its usage records before the deletion total \(consumed); set deleted.consumed to \(consumed) so the organization's totals stay exact (R10)",
                                  at: workspace.source["deleted.consumed"]))
            }
            let charged = replay.chargedToPrimaryByWorkspace[workspace.id] ?? .zero
            if tombstone.chargedToPrimary != charged {
                out.append(.error(.t(3), "the tombstone of '\(workspace.id)' records chargedToPrimary: \(tombstone.chargedToPrimary), but \(charged) of its usage was charged to the Primary in shared mode; set deleted.chargedToPrimary to \(charged) (R10)",
                                  at: workspace.source["deleted.chargedToPrimary"]))
            }
            let activity = parent.organization.usage.filter { $0.workspace == workspace.id }.map(\.at)
                + parent.organization.events.compactMap { event -> Timestamp? in
                    guard case .transfer(let transfer) = event.kind, transfer.from == workspace.id || transfer.to == workspace.id else { return nil }
                    return event.at
                }
            if let last = activity.max(), tombstone.at < last {
                out.append(.error(.t(3), "'\(workspace.id)' is deleted at \(tombstone.at), before its last activity at \(last); date the deletion when it happens",
                                  at: workspace.source["deleted.at"]))
            }
        }
        return out
    }
}
