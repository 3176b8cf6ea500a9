/// Charging usage against balances and caps (R8, U1, U4).
///
/// A `ChargeBook` is the ledger replay's result turned into what a gateway asks on every request: may this
/// member of this workspace spend N more credits? It answers from memory, in constant time, and keeps its
/// balances and period totals up to date as it charges, so a gateway does no git work per request.

/// The UTC period a spending cap applies to (U4). Weeks start on Monday.
public enum CapPeriod: String, CaseIterable, Hashable, Sendable {
    case daily, weekly, monthly

    /// The number of the period containing `time`: days since 1970-01-01, Monday weeks since the one that
    /// holds it, or months since year 0.
    public func index(of time: Timestamp) -> Int64 {
        let days = time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400
        switch self {
        case .daily: return days
        case .weekly:
            // 1970-01-01 was a Thursday: shifting by 3 days puts every Monday on a multiple of 7.
            let shifted = days + 3
            return shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
        case .monthly:
            let (year, month, _) = time.date
            return Int64(year) * 12 + Int64(month - 1)
        }
    }

    /// The first instant of period `index`.
    public func start(of index: Int64) -> Timestamp {
        switch self {
        case .daily: return Timestamp(seconds: index * 86_400)
        case .weekly: return Timestamp(seconds: (index * 7 - 3) * 86_400)
        case .monthly:
            let year = Int(index / 12), month = Int(index % 12) + 1
            return Timestamp(seconds: Timestamp.days(fromCivil: year, month, 1) * 86_400)
        }
    }

    /// The period containing `time` in words: `2026-11-21`, `week of 2026-11-16`, `2026-11`.
    public func label(of time: Timestamp) -> String {
        let (year, month, day) = start(of: index(of: time)).date
        switch self {
        case .daily: return "\(year)-\(twoDigits(month))-\(twoDigits(day))"
        case .weekly: return "week of \(year)-\(twoDigits(month))-\(twoDigits(day))"
        case .monthly: return "\(year)-\(twoDigits(month))"
        }
    }

    /// `day`, `week`, `month`.
    public var noun: String {
        switch self {
        case .daily: return "day"
        case .weekly: return "week"
        case .monthly: return "month"
        }
    }
}

extension Limits {
    /// The hard cap for `period`, if any.
    public func cap(_ period: CapPeriod) -> Credits? {
        switch period {
        case .daily: return daily
        case .weekly: return weekly
        case .monthly: return monthly
        }
    }
}

/// What a cap limits: a workspace's usage, or one member's usage in a workspace (U4).
public enum CapScope: Hashable, Sendable, CustomStringConvertible {
    case workspace(String)
    case member(String, workspace: String)

    public var workspace: String {
        switch self {
        case .workspace(let id), .member(_, let id): return id
        }
    }

    public var description: String {
        switch self {
        case .workspace(let id): return "workspace '\(id)'"
        case .member(let member, let workspace): return "'\(member)' in workspace '\(workspace)'"
        }
    }
}

/// One cap in one period: how much of it is used, and whether its alert threshold is reached.
public struct CapStatus: Hashable, Sendable {
    public enum State: String, Sendable {
        /// Below the alert threshold (or no threshold is set).
        case ok
        /// At or above `alertAt` percent of the cap: a soft alert.
        case alert
        /// The cap is used up: further charges in the period are refused.
        case reached
    }

    public var scope: CapScope
    public var period: CapPeriod
    /// The period's label, such as `2026-11-21`.
    public var label: String
    public var cap: Credits
    public var used: Credits
    public var alertAt: Int?

    /// What may still be charged in the period; zero when the cap is used up.
    public var remaining: Credits { used < cap ? Credits(units: cap.units - used.units) : .zero }

    /// The used share of the cap in whole percent, rounded down.
    public var percent: Int {
        guard cap.isPositive else { return 100 }
        let (scaled, overflow) = used.units.multipliedReportingOverflow(by: 100)
        return overflow ? Int.max : Int(scaled / cap.units)
    }

    public var state: State {
        if used >= cap { return .reached }
        guard let alertAt else { return .ok }
        // used × 100 ≥ cap × alertAt, exactly; an overflow means a huge `used`, which is past any threshold.
        let (usedScaled, usedOverflow) = used.units.multipliedReportingOverflow(by: 100)
        let (capScaled, capOverflow) = cap.units.multipliedReportingOverflow(by: Int64(alertAt))
        if capOverflow { return usedOverflow && usedScaled >= capScaled ? .alert : .ok }
        return usedOverflow || usedScaled >= capScaled ? .alert : .ok
    }
}

/// Usage totals per capped scope and period, kept only for scopes that have a cap.
public struct SpendingMeter: Sendable {
    private struct Key: Hashable {
        var scope: CapScope
        var period: CapPeriod
        var index: Int64
    }

    /// The limits of every capped scope.
    private(set) var limits: [CapScope: Limits] = [:]
    private var totals: [Key: Credits] = [:]

    /// The meter of `org`'s caps, with the usage its records already hold.
    public init(_ org: Organization) {
        for workspace in org.workspaces where !workspace.isDeleted {
            if let limits = workspace.limits { self.limits[.workspace(workspace.id)] = limits }
            for assignment in workspace.members {
                if let limits = assignment.limits { self.limits[.member(assignment.member, workspace: workspace.id)] = limits }
            }
        }
        guard !limits.isEmpty else { return }
        for record in org.usage {
            // Sums of parsed, bounded amounts; a total past the maximum is treated as the maximum, which
            // refuses every further charge, as a cap that large would.
            for scope in Self.scopes(of: record.workspace, member: record.member) { add(record.credits, to: scope, at: record.at) }
        }
    }

    static func scopes(of workspace: String, member: String) -> [CapScope] {
        [.workspace(workspace), .member(member, workspace: workspace)]
    }

    /// How much `scope` used in the period of `time`.
    public func used(_ scope: CapScope, _ period: CapPeriod, at time: Timestamp) -> Credits {
        totals[Key(scope: scope, period: period, index: period.index(of: time))] ?? .zero
    }

    mutating func add(_ credits: Credits, to scope: CapScope, at time: Timestamp) {
        guard let limits = limits[scope] else { return }
        for period in CapPeriod.allCases where limits.cap(period) != nil {
            let key = Key(scope: scope, period: period, index: period.index(of: time))
            totals[key] = (try? (totals[key] ?? .zero).adding(credits)) ?? .max
        }
    }

    /// Every cap of `scope` in the periods containing `time`.
    public func statuses(_ scope: CapScope, at time: Timestamp) -> [CapStatus] {
        guard let limits = limits[scope] else { return [] }
        return CapPeriod.allCases.compactMap { period in
            limits.cap(period).map { cap in
                CapStatus(scope: scope, period: period, label: period.label(of: time), cap: cap,
                          used: used(scope, period, at: time), alertAt: limits.alertAt)
            }
        }
    }

    /// Every cap of the organization in the periods containing `time`: workspaces by id, each followed by its members' caps.
    public func statuses(at time: Timestamp) -> [CapStatus] {
        limits.keys.sorted { a, b in
            func key(_ scope: CapScope) -> (String, Int, String) {
                switch scope {
                case .workspace(let id): return (id, 0, "")
                case .member(let member, let id): return (id, 1, member)
                }
            }
            return key(a) < key(b)
        }.flatMap { statuses($0, at: time) }
    }
}

/// Why a charge was not made.
public enum ChargeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// R8 or U4: the charge would take the paying balance below zero, or pass a hard cap.
    case blocked(Block)
    /// The charge names what cannot be charged: an unknown or deleted workspace, a member who is not
    /// assigned to it, a negative amount, a record id already used.
    case refused(String)

    /// A refused charge that was within the rules but over the money: what limited it, and how much could
    /// still be charged.
    public struct Block: Equatable, Sendable {
        public enum Limit: Equatable, Sendable {
            /// The balance that pays: the workspace's own in budget mode, the Primary's in shared mode.
            case balance(payer: String, mode: CreditMode)
            case cap(CapStatus)
        }
        public var workspace: String
        public var member: String
        public var requested: Credits
        /// The most that could be charged now; zero when the workspace is blocked.
        public var available: Credits
        public var limit: Limit
    }

    public var description: String {
        switch self {
        case .refused(let message): return message
        case .blocked(let block):
            let what = "a charge of \(block.requested.amount) to '\(block.workspace)' by '\(block.member)'"
            switch block.limit {
            case .balance(let payer, let mode):
                let whose = mode == .shared && payer != block.workspace ? "the Primary '\(payer)' (shared mode)" : "'\(payer)'"
                let fix = mode == .shared ? "top up the organization" : "transfer credits into '\(payer)'"
                return "\(what) exceeds the \(block.available.amount) available in \(whose) (R8); \(fix), or charge at most \(block.available.formatted)"
            case .cap(let status):
                return "\(what) passes the \(status.period.rawValue) cap of \(status.scope) for \(status.label): \(status.used.formatted) of \(status.cap.formatted) used, \(block.available.formatted) left (U4); raise the cap in workspaces/\(status.scope.workspace).yaml or wait for the next \(status.period.noun)"
            }
        }
    }
}

/// A charge that was made: the record to append, who paid, and any alert threshold it crossed.
public struct ChargeReceipt: Sendable {
    public var record: UsageRecord
    /// The workspace whose balance paid: the record's own in budget mode, the Primary in shared mode.
    public var payer: String
    /// The payer's balance after the charge; nil when the balance was not checked (see `ChargeBook.charge`).
    public var balance: Credits?
    /// The caps whose alert threshold this charge reached or crossed (U4), after the charge.
    public var alerts: [CapStatus]
}

/// How strictly `ChargeBook.charge` treats a record.
public enum ChargePolicy: Sendable {
    /// A charge a gateway makes now: the member must be assigned to the workspace (not as a viewer), and
    /// the balance and every hard cap must allow it.
    case live
    /// Usage that already happened, imported from a gateway's log: only what the validator requires
    /// (references, ids, amounts). The balance is checked by replaying the ledger, and caps are not
    /// enforced after the fact; a cap the records pass is reported as an alert.
    case recorded
}

/// Balances, caps and the rules of charging for one state of an organization, in memory (U1).
public struct ChargeBook: Sendable {
    public private(set) var mode: CreditMode
    public let primary: String
    private var balances: [String: Credits]
    private var meter: SpendingMeter
    /// The latest time in the ledger: a charge at or after it replays last, so the balances here are exact for it.
    public private(set) var horizon: Timestamp
    private var recordIDs: Set<String>
    private let workspaces: [String: Workspace]
    private let members: [String: Member]

    /// The book of a state whose ledger replays; nil when `replay` stopped at a broken rule.
    public init?(_ org: Organization, replay: LedgerReplay) {
        guard replay.failure == nil else { return nil }
        mode = replay.mode
        primary = replay.primary
        balances = replay.balances
        meter = SpendingMeter(org)
        var horizon = Timestamp(seconds: 0)
        for event in org.events where event.at > horizon { horizon = event.at }
        for record in org.usage where record.at > horizon { horizon = record.at }
        for workspace in org.workspaces { if let deleted = workspace.deleted, deleted.at > horizon { horizon = deleted.at } }
        self.horizon = horizon
        recordIDs = Set(org.usage.map(\.id))
        workspaces = Dictionary(org.workspaces.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        members = Dictionary(org.members.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The balance of a live workspace.
    public func balance(_ workspace: String) -> Credits? { balances[workspace] }

    /// What `workspace` can spend now: its own balance in budget mode, the Primary's in shared mode.
    public func available(to workspace: String) -> Credits? {
        guard balances[workspace] != nil else { return nil }
        return balances[mode == .budget ? workspace : primary]
    }

    /// The caps of the organization in the periods containing `time`, with what the book has charged.
    public func capStatuses(at time: Timestamp) -> [CapStatus] { meter.statuses(at: time) }

    /// Charges `record` and returns what was charged, or throws why not, changing nothing.
    ///
    /// A live charge is checked against the paying balance here, which is exactly what the replay will
    /// find for a charge at the end of the ledger (a gateway's charge now). Recorded usage from before the
    /// ledger's end would replay between existing events, possibly in another mode, so its balance is left
    /// to the replay that validates the commit.
    @discardableResult
    public mutating func charge(_ record: UsageRecord, policy: ChargePolicy = .live) throws(ChargeError) -> ChargeReceipt {
        guard !record.credits.isNegative else {
            throw .refused("credits must not be negative, but the charge is \(record.credits); usage is corrected by an admin, not by a negative charge")
        }
        guard IdentifierKind.recordID.matches(record.id) else {
            throw .refused("record id '\(record.id)' is not valid: use \(IdentifierKind.recordID.pattern)")
        }
        guard !recordIDs.contains(record.id) else {
            throw .refused("usage record '\(record.id)' is already recorded; record ids are unique, so each charge is made once")
        }
        guard let workspace = workspaces[record.workspace] else {
            throw .refused("no workspace '\(record.workspace)'\(Suggestion.hint(record.workspace, workspaces.keys.sorted()))")
        }
        if let deleted = workspace.deleted {
            throw .refused("workspace '\(record.workspace)' was deleted at \(deleted.at); it can no longer be charged")
        }
        guard let member = members[record.member] else {
            throw .refused("no member '\(record.member)'\(Suggestion.hint(record.member, members.keys.sorted()))")
        }
        if let removal = member.removed, removal.at <= record.at {
            throw .refused("member '\(record.member)' was removed at \(removal.at); a removed member cannot spend")
        }
        if case .live = policy {
            guard let assignment = workspace.members.first(where: { $0.member == record.member }) else {
                throw .refused("'\(record.member)' is not assigned to workspace '\(record.workspace)'; assign them first (orgsync member assign \(record.member) --workspace \(record.workspace))")
            }
            if assignment.role == .viewer {
                throw .refused("'\(record.member)' is a viewer of workspace '\(record.workspace)', and viewers cannot spend; make them a member (orgsync member assign \(record.member) --workspace \(record.workspace) --role member)")
            }
        }

        if let model = record.model, model.isEmpty || model.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .refused("the model must be one line of text")
        }
        if let tokens = record.tokens, !(0...Int(Int32.max)).contains(tokens) {
            throw .refused("tokens must be a whole number from 0 to \(Int32.max), not \(tokens)")
        }
        if let cost = record.cost, !UsageRecord.isCost(cost) {
            throw .refused("cost must be a non-negative decimal such as 0.0125, with at most 10 fractional digits, not '\(cost)'")
        }

        let payer = mode == .budget ? record.workspace : primary
        var balance: Credits?
        // A live charge is always checked against the balance now. Recorded usage earlier than the ledger's
        // end replays between existing events, perhaps in another mode: the replay checks it there.
        let checked: Bool
        if case .live = policy { checked = true } else { checked = record.at > horizon }
        if checked, let available = balances[payer] {
            guard record.credits <= available else {
                throw .blocked(.init(workspace: record.workspace, member: record.member, requested: record.credits,
                                     available: Swift.max(available, .zero), limit: .balance(payer: payer, mode: mode)))
            }
            balance = Credits(units: available.units - record.credits.units) // both non-negative: no overflow
        }
        var alerts: [CapStatus] = []
        for scope in SpendingMeter.scopes(of: record.workspace, member: record.member) {
            for before in meter.statuses(scope, at: record.at) {
                let used = (try? before.used.adding(record.credits)) ?? .max
                if case .live = policy, used > before.cap {
                    throw .blocked(.init(workspace: record.workspace, member: record.member, requested: record.credits,
                                         available: before.remaining, limit: .cap(before)))
                }
                var after = before
                after.used = used
                if after.state != .ok, before.state == .ok || (after.state == .reached && before.state != .reached) { alerts.append(after) }
            }
        }

        if let balance { balances[payer] = balance }
        for scope in SpendingMeter.scopes(of: record.workspace, member: record.member) { meter.add(record.credits, to: scope, at: record.at) }
        if record.at > horizon { horizon = record.at }
        recordIDs.insert(record.id)
        return ChargeReceipt(record: record, payer: payer, balance: balance, alerts: alerts)
    }
}
