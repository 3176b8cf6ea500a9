/// The result of replaying every ledger event and usage record in `(at, id)` order (SPEC §3).
///
/// Balances are never stored in the repository: they are always the outcome of this replay. The
/// Primary's balance is derived (R6): total added − transferred out + transferred in − usage charged to it.
public struct LedgerReplay: Sendable {
    /// The balance of every live workspace, the Primary included.
    public var balances: [String: Credits] = [:]
    /// The mode in effect after the last event (R5); shared until a mode event says otherwise.
    public var mode: CreditMode = .shared
    /// The id of the Primary Workspace.
    public var primary: String
    /// All credits topped up (R4).
    public var totalAdded = Credits.zero
    /// All credits moved by transfers.
    public var totalTransferred = Credits.zero
    /// All credits consumed by usage, deleted workspaces included.
    public var totalConsumed = Credits.zero
    public var consumedByWorkspace: [String: Credits] = [:]
    /// The part of each non-primary workspace's consumption charged to the Primary in shared mode: what a
    /// tombstone records as `chargedToPrimary` when the workspace is deleted (R10).
    public var chargedToPrimaryByWorkspace: [String: Credits] = [:]
    public var consumedByMember: [String: Credits] = [:]
    public var consumedByTool: [Tool: Credits] = [:]
    /// The parts of the Primary's derived balance (R6).
    public var primaryTransferredOut = Credits.zero
    public var primaryTransferredIn = Credits.zero
    /// Usage charged to the Primary's balance: its own, and every workspace's in shared mode.
    public var primaryCharged = Credits.zero
    /// The first event that broke a rule; the replay stops there.
    public var failure: Diagnostic?
    /// Problems that do not stop the replay, such as a mode event that does not change the mode.
    public var warnings: [Diagnostic] = []
    /// The workspace whose balance history is recorded in `history`, if any.
    public var traced: String?
    /// Every change to the traced workspace's balance, and every usage it made, in replay order.
    public var history: [BalanceEntry] = []
    /// For each deleted workspace not yet reached, the consumption its tombstone will charge to it at its
    /// deletion. Until then its replayed balance is higher than the one its gateways saw by up to this much.
    private var unchargedConsumption: [String: Credits] = [:]
    /// The last step replayed; a replay can go on (`continued`) only with steps after it.
    var lastKey: Key?

    init(primary: String) { self.primary = primary }

    /// Whether a deleted workspace's consumption is still to be charged: never so at the end of a replay
    /// that did not fail.
    var hasPendingDeletions: Bool { !unchargedConsumption.isEmpty }

    /// The Primary's balance.
    public var primaryBalance: Credits { balances[primary] ?? .zero }
}

extension LedgerReplay {
    private enum Step {
        case deletionUsage(Int)
        case event(Int)
        case usage(Int)
        case deletion(Int)
    }

    struct Key: Comparable, Sendable {
        let at: Timestamp
        let phase: UInt8
        let id: String
        static func < (lhs: Key, rhs: Key) -> Bool {
            if lhs.at != rhs.at { return lhs.at < rhs.at }
            if lhs.phase != rhs.phase { return lhs.phase < rhs.phase }
            return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
        }
    }

    private struct Failure: Error { let diagnostic: Diagnostic }

    /// Replays `org`. It needs the Primary (R3) and every workspace and ledger file; without them it returns
    /// nil, and the validator reports why. (A partial ledger would report overdraws that are not there.)
    ///
    /// Records whose workspace or member does not exist are skipped: the state rules report them.
    /// A deleted workspace's usage files are gone, so its tombstone's `consumed` is charged at the time of
    /// deletion, just before its refund; at the end of that instant its balance must be exactly zero (R10).
    ///
    /// With `tracing`, the replay also records that workspace's balance history.
    public static func run(_ org: Organization, tracing: String? = nil) -> LedgerReplay? {
        guard let primary = org.primary,
              !org.unreadable.contains(where: { $0.hasPrefix("workspaces/") || $0.hasPrefix("ledger/") }) else { return nil }
        var replay = LedgerReplay(primary: primary.id)
        replay.traced = tracing
        var deletedAt: [String: Timestamp] = [:]
        for workspace in org.workspaces {
            if let tombstone = workspace.deleted {
                // Both are parsed as non-negative, so the difference cannot overflow.
                replay.unchargedConsumption[workspace.id] = Credits(units: tombstone.consumed.units - min(tombstone.consumed.units, tombstone.chargedToPrimary.units))
            }
        }
        var steps: [(Key, Step)] = []
        steps.reserveCapacity(org.events.count + org.usage.count + 2 * org.workspaces.count)
        for (index, workspace) in org.workspaces.enumerated() {
            if let tombstone = workspace.deleted {
                steps.append((Key(at: tombstone.at, phase: 0, id: workspace.id), .deletionUsage(index)))
                steps.append((Key(at: tombstone.at, phase: 2, id: workspace.id), .deletion(index)))
            } else {
                replay.balances[workspace.id] = .zero
            }
        }
        for (index, event) in org.events.enumerated() {
            steps.append((Key(at: event.at, phase: 1, id: event.id), .event(index)))
        }
        for (index, record) in org.usage.enumerated() {
            guard let workspace = org.workspaceIndex[record.workspace], !org.workspaces[workspace].isDeleted else { continue }
            steps.append((Key(at: record.at, phase: 1, id: record.id), .usage(index)))
        }
        steps.sort { $0.0 < $1.0 }

        do throws(Failure) {
            for (key, step) in steps {
                replay.lastKey = key
                switch step {
                case .event(let index): try replay.apply(org.events[index], lookup: org, deletedAt: deletedAt)
                case .usage(let index): try replay.apply(org.usage[index], lookup: org)
                case .deletionUsage(let index): try replay.chargeDeleted(org.workspaces[index])
                case .deletion(let index):
                    let workspace = org.workspaces[index]
                    try replay.close(workspace, org: org)
                    if let tombstone = workspace.deleted { deletedAt[workspace.id] = tombstone.at }
                }
            }
        } catch {
            replay.failure = error.diagnostic
        }
        return replay
    }

    /// This replay, which ended with no failure and no warning, continued with `events` and `usage`: steps that
    /// all come after its last one, as they do when a commit only appends. nil when a step does not come after
    /// it, or when a step fails or warns; a full replay then says what is wrong.
    ///
    /// `lookup` answers for the state the steps are added to, whose deletions (`deletedAt`) are all in the past.
    func continued(events: [LedgerEvent], usage: [UsageRecord], lookup: some ReplayLookup, deletedAt: [String: Timestamp]) -> LedgerReplay? {
        guard failure == nil, warnings.isEmpty, unchargedConsumption.isEmpty, traced == nil else { return nil }
        var steps: [(Key, Step)] = events.enumerated().map { (Key(at: $1.at, phase: 1, id: $1.id), .event($0)) }
        steps += usage.enumerated().map { (Key(at: $1.at, phase: 1, id: $1.id), .usage($0)) }
        steps.sort { $0.0 < $1.0 }
        // Steps with equal keys could be replayed in either order; the full replay decides those.
        for (earlier, later) in zip(steps, steps.dropFirst()) where !(earlier.0 < later.0) { return nil }
        if let first = steps.first?.0, let lastKey, !(lastKey < first) { return nil }
        var replay = self
        do throws(Failure) {
            for (key, step) in steps {
                replay.lastKey = key
                switch step {
                case .event(let index): try replay.apply(events[index], lookup: lookup, deletedAt: deletedAt)
                case .usage(let index): try replay.apply(usage[index], lookup: lookup)
                case .deletionUsage, .deletion: return nil
                }
            }
        } catch {
            return nil
        }
        return replay.warnings.isEmpty ? replay : nil
    }

    private func balance(_ workspace: String) -> Credits { balances[workspace] ?? .zero }

    private mutating func trace(_ kind: BalanceEntry.Kind, at: Timestamp, id: String?, change: Credits,
                                counterparty: String? = nil, mode: CreditMode? = nil, usage: UsageRecord? = nil) {
        guard let traced else { return }
        history.append(BalanceEntry(kind: kind, at: at, id: id, change: change, balance: balance(traced),
                                    counterparty: counterparty, mode: mode, usage: usage))
    }

    private static func sum(_ a: Credits, _ b: Credits, at location: SourceLocation) throws(Failure) -> Credits {
        do {
            return try a.adding(b)
        } catch {
            throw Failure(diagnostic: .error(.f(2), "\(error); the ledger cannot hold this amount", at: location))
        }
    }

    private mutating func apply(_ event: LedgerEvent, lookup: some ReplayLookup, deletedAt: [String: Timestamp]) throws(Failure) {
        switch event.kind {
        case .topup(let credits, _):
            balances[primary] = try Self.sum(balance(primary), credits, at: event.source["credits"])
            totalAdded = try Self.sum(totalAdded, credits, at: event.source["credits"])
            if traced == primary { trace(.topup, at: event.at, id: event.id, change: credits) }

        case .transfer(let transfer):
            for (field, id) in [("from", transfer.from), ("to", transfer.to)] {
                guard lookup.hasWorkspace(id) else {
                    var message = "transfer \(field) '\(id)', which is not a workspace"
                    if let suggestion = Suggestion.closest(to: id, among: lookup.workspaceIDs) {
                        message += "; did you mean '\(suggestion)'?"
                    } else {
                        message += "; create workspaces/\(id).yaml first or fix the id"
                    }
                    throw Failure(diagnostic: .error(.reference, message, at: event.source[field]))
                }
                if let deleted = deletedAt[id] {
                    throw Failure(diagnostic: .error(.r(7), "transfer \(field) '\(id)', which was deleted at \(deleted); deleted workspaces cannot send or receive credits",
                                                     at: event.source[field], notes: [.init("deleted here", at: lookup.tombstoneLocation(id))]))
                }
            }
            if transfer.reason == .deletion {
                guard lookup.deletionTime(transfer.from) == event.at, transfer.to == primary else {
                    throw Failure(diagnostic: .error(.r(10), "a transfer with reason 'deletion' must return a deleted workspace's balance to the Primary '\(primary)' at the time of deletion; remove the reason or fix from, to and at",
                                                     at: event.source["reason"]))
                }
            }
            guard mode == .budget else {
                throw Failure(diagnostic: .error(.r(7), "transfers are possible only in budget mode, and the organization is in shared mode at \(event.at); add a mode event switching to budget before this transfer",
                                                 at: event.source["type"]))
            }
            let available = balance(transfer.from)
            guard transfer.credits <= available else {
                throw Failure(diagnostic: .error(.r(7), "transfer of \(transfer.credits) exceeds the \(available) credits available in '\(transfer.from)' at \(event.at); transfer at most \(available) or top up first",
                                                 at: event.source["credits"]))
            }
            if transfer.from == primary {
                primaryTransferredOut = try Self.sum(primaryTransferredOut, transfer.credits, at: event.source["credits"])
            }
            if transfer.to == primary {
                primaryTransferredIn = try Self.sum(primaryTransferredIn, transfer.credits, at: event.source["credits"])
            }
            balances[transfer.from] = try Self.sum(available, transfer.credits.negated, at: event.source["credits"])
            balances[transfer.to] = try Self.sum(balance(transfer.to), transfer.credits, at: event.source["credits"])
            totalTransferred = try Self.sum(totalTransferred, transfer.credits, at: event.source["credits"])
            if traced == transfer.from { trace(.transferOut, at: event.at, id: event.id, change: transfer.credits.negated, counterparty: transfer.to) }
            if traced == transfer.to { trace(.transferIn, at: event.at, id: event.id, change: transfer.credits, counterparty: transfer.from) }

        case .mode(let newMode):
            if newMode == mode {
                warnings.append(.warning(.r(5), "the organization is already in \(mode) mode at \(event.at); this event changes nothing",
                                         at: event.source["mode"]))
            } else if newMode == .shared {
                // A workspace deleted later may still hold, in the replay, credits its removed usage had spent.
                let funded = balances.filter { $0.key != primary && $0.value > (unchargedConsumption[$0.key] ?? .zero) }
                    .sorted { $0.key < $1.key }
                if !funded.isEmpty {
                    let list = funded.map { "'\($0.key)' has \($0.value)" }.joined(separator: ", ")
                    throw Failure(diagnostic: .error(.r(9), "switching to shared mode must first return every workspace's balance to the Primary, but \(list); add transfers with reason 'mode-switch' before this event, as 'orgsync mode shared' does",
                                                     at: event.source["mode"]))
                }
            }
            mode = newMode
            if traced != nil { trace(.mode, at: event.at, id: event.id, change: .zero, mode: newMode) }
        }
    }

    private mutating func apply(_ record: UsageRecord, lookup: some ReplayLookup) throws(Failure) {
        guard lookup.hasMember(record.member) else { return }
        let payer = mode == .budget ? record.workspace : primary
        let available = balance(payer)
        guard record.credits <= available else {
            let whose = payer == primary && payer != record.workspace ? "the Primary '\(primary)' (shared mode)" : "'\(payer)'"
            throw Failure(diagnostic: .error(.r(8), "usage of \(record.credits) credits by '\(record.member)' with \(record.tool.rawValue) at \(record.at) exceeds the \(available) credits available in \(whose); a workspace with no credits is blocked until credits are transferred in",
                                             at: record.creditsLocation))
        }
        balances[payer] = try Self.sum(available, record.credits.negated, at: record.creditsLocation)
        if payer == primary { primaryCharged = try Self.sum(primaryCharged, record.credits, at: record.location) }
        if payer == primary, record.workspace != primary {
            chargedToPrimaryByWorkspace[record.workspace] = try Self.sum(chargedToPrimaryByWorkspace[record.workspace] ?? .zero, record.credits, at: record.location)
        }
        try consume(record.credits, workspace: record.workspace, at: record.location)
        consumedByMember[record.member] = try Self.sum(consumedByMember[record.member] ?? .zero, record.credits, at: record.location)
        consumedByTool[record.tool] = try Self.sum(consumedByTool[record.tool] ?? .zero, record.credits, at: record.location)
        if let traced, traced == record.workspace || traced == payer {
            let own = traced == record.workspace
            trace(own ? .usage : .sharedUsage, at: record.at, id: own ? record.id : nil, change: payer == traced ? record.credits.negated : .zero,
                  counterparty: own ? nil : record.workspace, usage: own ? record : nil)
        }
    }

    private mutating func consume(_ credits: Credits, workspace: String, at location: SourceLocation) throws(Failure) {
        totalConsumed = try Self.sum(totalConsumed, credits, at: location)
        consumedByWorkspace[workspace] = try Self.sum(consumedByWorkspace[workspace] ?? .zero, credits, at: location)
    }

    /// Charges a deleted workspace's recorded consumption, at the time of its deletion.
    private mutating func chargeDeleted(_ workspace: Workspace) throws(Failure) {
        guard let tombstone = workspace.deleted else { return }
        let own = unchargedConsumption.removeValue(forKey: workspace.id) ?? .zero
        let location = workspace.source["deleted.consumed"]
        try consume(tombstone.consumed, workspace: workspace.id, at: location)
        let ownBalance = try Self.sum(balance(workspace.id), own.negated, at: location)
        let primaryBalance = try Self.sum(balance(primary), tombstone.chargedToPrimary.negated, at: location)
        guard !ownBalance.isNegative, !primaryBalance.isNegative else {
            throw Failure(diagnostic: .error(.r(10), "the tombstone of '\(workspace.id)' records more consumption than its credits could pay for; check deleted.consumed and deleted.chargedToPrimary",
                                             at: location))
        }
        balances[workspace.id] = ownBalance
        balances[primary] = primaryBalance
        primaryCharged = try Self.sum(primaryCharged, tombstone.chargedToPrimary, at: location)
        if traced == workspace.id { trace(.deletedUsage, at: tombstone.at, id: nil, change: own.negated) }
        if traced == primary, tombstone.chargedToPrimary.isPositive {
            trace(.sharedUsage, at: tombstone.at, id: nil, change: tombstone.chargedToPrimary.negated, counterparty: workspace.id)
        }
    }

    /// Ends a deleted workspace: its balance must have returned to the Primary (R10).
    private mutating func close(_ workspace: Workspace, org: Organization) throws(Failure) {
        let remaining = balance(workspace.id)
        guard remaining.isZero else {
            throw Failure(diagnostic: .error(.r(10), "workspace '\(workspace.id)' was deleted with \(remaining) credits left; add a transfer of exactly \(remaining) from '\(workspace.id)' to '\(primary)' with reason 'deletion' at the time of deletion, as 'orgsync workspace delete' does",
                                             at: workspace.source["deleted"]))
        }
        balances[workspace.id] = nil
    }
}

/// What the replay looks up besides its steps: in the organization being replayed, or, to continue a replay,
/// in the summary of the state it ended at (`StateSummary`).
protocol ReplayLookup {
    func hasWorkspace(_ id: String) -> Bool
    /// Every workspace id, for suggestions.
    var workspaceIDs: [String] { get }
    /// When the workspace was deleted; nil for a live workspace.
    func deletionTime(_ workspace: String) -> Timestamp?
    /// Where the workspace's tombstone is written.
    func tombstoneLocation(_ workspace: String) -> SourceLocation
    func hasMember(_ id: String) -> Bool
}

extension Organization: ReplayLookup {
    func hasWorkspace(_ id: String) -> Bool { workspaceIndex[id] != nil }
    var workspaceIDs: [String] { workspaces.map(\.id) }
    func deletionTime(_ workspace: String) -> Timestamp? { self.workspace(workspace)?.deleted?.at }
    func tombstoneLocation(_ workspace: String) -> SourceLocation {
        self.workspace(workspace)?.source["deleted"] ?? SourceLocation(path: Workspace.path(for: workspace))
    }
    func hasMember(_ id: String) -> Bool { memberIndex[id] != nil }
}

/// One step of a workspace's balance history, from the ledger replay.
public struct BalanceEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Credits added to the Primary (R4).
        case topup
        case transferIn = "transfer-in"
        case transferOut = "transfer-out"
        /// The workspace's own usage: charged to it in budget mode, to the Primary in shared mode (`change` 0).
        case usage
        /// Another workspace's usage charged to the Primary in shared mode (R5), when tracing the Primary.
        case sharedUsage = "shared-usage"
        /// A mode event: the organization switched to `mode`.
        case mode
        /// A deleted workspace's recorded consumption, charged at its deletion (R10).
        case deletedUsage = "deleted-usage"
    }

    public var kind: Kind
    public var at: Timestamp
    /// The event or usage record; nil for entries made from a tombstone or another workspace's record.
    public var id: String?
    /// The change to the traced workspace's balance.
    public var change: Credits
    /// The traced workspace's balance after the step.
    public var balance: Credits
    /// The other workspace of a transfer or of shared usage.
    public var counterparty: String?
    public var mode: CreditMode?
    /// The traced workspace's own usage record.
    public var usage: UsageRecord?
}
