/// What to total usage by, in a report (U3).
public enum UsageGrouping: String, CaseIterable, Sendable {
    case workspace, member, tool, day
}

/// Usage totalled by workspace, member, tool or day, each split by tool, over a time window (R12, U3).
///
/// It counts what the ledger replay counts: every usage record, and the consumption a deleted workspace's
/// tombstone records (R10), at the time of its deletion. That consumption has no member or tool any more:
/// it is its own part of each row, `deleted`. Without a window, the total equals the replay's
/// `totalConsumed`, and each row its `consumedBy…`, to the last ten-thousandth.
public struct UsageReport: Sendable {
    public struct Row: Sendable, Equatable {
        /// The workspace id, member id, tool name or day (`2026-11-21`); for usage of deleted workspaces
        /// grouped by member or tool, `UsageReport.deletedKey`.
        public var key: String
        /// The workspace's or member's name, when it has one.
        public var name: String?
        /// For a workspace: whether it is deleted.
        public var isDeleted = false
        public var byTool: [Tool: Credits] = [:]
        /// Consumption recorded by tombstones of deleted workspaces, whose records are gone.
        public var deleted = Credits.zero
        public var total = Credits.zero
        /// The number of usage records counted (tombstones count none).
        public var records = 0

        public init(key: String, name: String? = nil) {
            self.key = key
            self.name = name
        }

        mutating func add(_ record: UsageRecord) throws(CreditsError) {
            byTool[record.tool] = try (byTool[record.tool] ?? .zero).adding(record.credits)
            total = try total.adding(record.credits)
            records += 1
        }

        /// The credits of one part of the row: a tool, or with nil the deleted workspaces' consumption.
        public func credits(_ tool: Tool?) -> Credits { tool.map { byTool[$0] ?? .zero } ?? deleted }
    }

    /// The row key of deleted workspaces' consumption when grouping by member or tool.
    public static let deletedKey = "(deleted workspaces)"

    public var grouping: UsageGrouping
    /// The window, both ends included; nil for no bound.
    public var since: Timestamp?
    public var until: Timestamp?
    /// By day: oldest first. Otherwise: the largest total first, then by key.
    public var rows: [Row]
    /// Every row summed.
    public var total: Row
    /// The tools that have usage in the window, in `Tool.allCases` order.
    public var tools: [Tool] { Tool.allCases.filter { total.byTool[$0] != nil } }

    /// Totals `org`'s usage by `grouping` from `since` to `until`. Fails only when a sum passes the largest
    /// amount credits can hold.
    public init(_ org: Organization, by grouping: UsageGrouping, since: Timestamp? = nil, until: Timestamp? = nil) throws(CreditsError) {
        self.grouping = grouping
        self.since = since
        self.until = until
        func inWindow(_ time: Timestamp) -> Bool {
            (since.map { time >= $0 } ?? true) && (until.map { time <= $0 } ?? true)
        }
        func day(_ time: Timestamp) -> String { CapPeriod.daily.label(of: time) }
        var rows: [String: Row] = [:]
        var total = Row(key: "total")
        func row(_ key: String) -> Row {
            if let row = rows[key] { return row }
            var row = Row(key: key)
            switch grouping {
            case .workspace:
                let workspace = org.workspace(key)
                row.name = workspace?.name
                row.isDeleted = workspace?.isDeleted ?? false
            case .member:
                row.name = org.member(key)?.name
            case .tool, .day:
                break
            }
            return row
        }

        for record in org.usage where inWindow(record.at) {
            // As the replay: records of unknown members or of deleted workspaces are errors, not usage.
            guard org.member(record.member) != nil, org.workspace(record.workspace).map({ !$0.isDeleted }) == true else { continue }
            let key: String
            switch grouping {
            case .workspace: key = record.workspace
            case .member: key = record.member
            case .tool: key = record.tool.rawValue
            case .day: key = day(record.at)
            }
            var entry = row(key)
            try entry.add(record)
            try total.add(record)
            rows[key] = entry
        }
        for workspace in org.workspaces {
            guard let tombstone = workspace.deleted, inWindow(tombstone.at), !tombstone.consumed.isZero else { continue }
            let key: String
            switch grouping {
            case .workspace: key = workspace.id
            case .member, .tool: key = Self.deletedKey
            case .day: key = day(tombstone.at)
            }
            var entry = row(key)
            entry.deleted = try entry.deleted.adding(tombstone.consumed)
            entry.total = try entry.total.adding(tombstone.consumed)
            rows[key] = entry
            total.deleted = try total.deleted.adding(tombstone.consumed)
            total.total = try total.total.adding(tombstone.consumed)
        }
        self.total = total
        self.rows = rows.values.sorted { a, b in
            if grouping == .day { return a.key < b.key }
            return a.total != b.total ? a.total > b.total : a.key < b.key
        }
    }
}
