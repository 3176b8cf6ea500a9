import OrgModel

/// The balances of an organization at one state, for `orgsync balances` and `orgsync status`.
public struct BalanceSheet: Sendable {
    public struct Row: Sendable, Equatable {
        public var id: String
        public var name: String
        public var isPrimary: Bool
        public var balance: Credits
        /// Credits this workspace's usage consumed.
        public var consumed: Credits
    }

    public var organizationID: String
    public var organizationName: String
    public var mode: CreditMode
    /// The Primary first, then the other live workspaces by id.
    public var rows: [Row]
    public var replay: LedgerReplay

    /// The sheet of a validated state, or nil when the replay could not run or stopped at a broken rule.
    public init?(_ report: ValidationReport) {
        guard let config = report.organization.config, let replay = report.replay, replay.failure == nil else { return nil }
        organizationID = config.id
        organizationName = config.name
        mode = replay.mode
        self.replay = replay
        rows = report.organization.workspaces.filter { !$0.isDeleted }.map { workspace in
            Row(id: workspace.id, name: workspace.name, isPrimary: workspace.id == replay.primary,
                balance: replay.balances[workspace.id] ?? .zero, consumed: replay.consumedByWorkspace[workspace.id] ?? .zero)
        }
        rows.sort { ($0.isPrimary ? 0 : 1, $0.id) < ($1.isPrimary ? 0 : 1, $1.id) }
    }

}

/// A workspace's balance before and after a change: an admin operation, a commit range, the work tree.
public struct BalanceChange: Sendable, Equatable {
    public enum Status: String, Sendable {
        case existing, created, deleted
    }

    public var workspace: String
    public var name: String
    public var isPrimary: Bool
    public var status: Status
    /// Nil for a workspace the change creates, or when the ledger before does not replay.
    public var before: Credits?
    /// Nil for a workspace the change deletes, or when the ledger after does not replay.
    public var after: Credits?

    /// After minus before; a deleted workspace's balance went back to the Primary. Nil when a side does not replay.
    public var delta: Credits? {
        switch status {
        case .created: return after
        case .deleted: return before?.negated
        case .existing:
            guard let before, let after else { return nil }
            return try? after.subtracting(before)
        }
    }

    /// The live workspaces whose balance differs from `before` to `after`, those in `including`, and with
    /// `including` not empty the Primary: the Primary first, then by id. A workspace created at zero is not
    /// a change, unless it is included. When a side's ledger does not replay, only `including` is compared.
    public static func between(_ before: OrgState?, _ after: OrgState, including: Set<String> = []) -> [BalanceChange] {
        let old = before?.report.replay.flatMap { $0.failure == nil ? $0 : nil }
        let new = after.report.replay.flatMap { $0.failure == nil ? $0 : nil }
        let primary = after.organization.primary?.id ?? before?.organization.primary?.id
        var ids = including
        if !including.isEmpty, let primary { ids.insert(primary) }
        // Without a replay on one side, nothing can be compared: only what is asked for is shown.
        if let old, let new {
            for (id, balance) in new.balances where old.balances[id] != balance && !(old.balances[id] == nil && balance == .zero) { ids.insert(id) }
            for (id, balance) in old.balances where new.balances[id] != balance { ids.insert(id) }
        } else if let new, before == nil {
            for (id, balance) in new.balances where balance != .zero { ids.insert(id) }
        }
        var rows: [BalanceChange] = []
        for id in ids {
            guard let workspace = after.organization.workspace(id) ?? before?.organization.workspace(id) else { continue }
            let existed = before?.organization.workspace(id).map { !$0.isDeleted } ?? false
            let lives = after.organization.workspace(id).map { !$0.isDeleted } ?? false
            guard existed || lives else { continue }
            rows.append(BalanceChange(workspace: id, name: workspace.name, isPrimary: id == primary,
                                      status: !existed ? .created : !lives ? .deleted : .existing,
                                      before: existed ? old?.balances[id] : nil, after: lives ? new?.balances[id] : nil))
        }
        return rows.sorted { ($0.isPrimary ? 0 : 1, $0.workspace) < ($1.isPrimary ? 0 : 1, $1.workspace) }
    }
}
