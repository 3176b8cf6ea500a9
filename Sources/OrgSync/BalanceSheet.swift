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
