import OrgModel

/// The organization's ledger as an hledger journal or a beancount file, for benchmark P4 (SPEC §10): the money
/// movements of the ledger replay, in replay order, with the replayed balances asserted, so that `hledger check`
/// and `bean-check` do the work the replay does.
///
/// Accounts: one asset account per workspace, deleted ones included; `equity:topups`, where top-ups come from;
/// `expenses:usage:<tool>` for usage; and `expenses:usage:deleted-workspaces` for what the tombstones of deleted
/// workspaces record, whose usage files are gone. Amounts are in the commodity `CR`, with four decimals.
///
/// One transaction per replay step, in the replay's `(at, phase, id)` order:
/// - a top-up moves credits from `equity:topups` to the Primary;
/// - a transfer moves credits between two workspaces;
/// - a mode event moves nothing (a transaction with no postings), but decides who pays for usage after it;
/// - a usage record moves credits from the paying workspace (its own in budget mode, the Primary in shared
///   mode) to its tool's expense account;
/// - a deleted workspace's tombstone, at its deletion and before its refund, moves what it consumed from the
///   workspace (its own part) and the Primary (the part charged to it in shared mode) to expenses.
///
/// Each posting that debits a workspace carries that workspace's balance after it: hledger asserts it on the
/// posting (`= balance`). Beancount only checks balances at the start of a day, so that file has one `balance`
/// directive per workspace and day in which its balance changed, dated the next day, and closes each deleted
/// workspace the day after its deletion. Dates are UTC days; each description ends with the full RFC 3339 time.
public struct LedgerJournal: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case hledger, beancount
    }

    public enum Account: Hashable, Sendable {
        case workspace(String)
        case topups
        case usage(Tool)
        /// The consumption of deleted workspaces, from their tombstones (no tool is recorded there).
        case deletedWorkspaces
    }

    public struct Posting: Sendable, Equatable {
        public var account: Account
        public var amount: Credits
        /// For a workspace: its balance after this posting.
        public var balance: Credits?

        /// Whether the posting takes credits from a workspace (a zero charge from a tombstone included): the
        /// replay checks the balance after it, so the hledger journal asserts it.
        public var debitsWorkspace: Bool { balance != nil && !amount.isPositive }
    }

    public struct Transaction: Sendable {
        public var at: Timestamp
        public var description: String
        public var postings: [Posting]
        /// The workspace this step deletes, for a tombstone's charge.
        public var deletes: String?
    }

    /// In replay order.
    public private(set) var transactions: [Transaction] = []
    /// Every workspace account, deleted ones included, sorted by id.
    public let workspaces: [String]
    /// The balance of every live workspace after the last transaction: the replay's balances.
    public private(set) var balances: [String: Credits] = [:]

    /// The journal of `org`, whose replay is `replay`; it must have replayed without failure. Its final balances
    /// are compared with the replay's.
    public init(_ org: Organization, replay: LedgerReplay) throws(OrgSyncError) {
        guard replay.failure == nil, let primary = org.primary, primary.id == replay.primary else {
            throw OrgSyncError(.refused, "the ledger does not replay, so there is no journal to write; run 'orgsync validate' to see why")
        }
        workspaces = org.workspaces.map(\.id)
        var builder = Builder(org: org, primary: primary.id)
        for step in Self.steps(org) { try builder.apply(step) }
        transactions = builder.transactions
        balances = builder.balances
        guard balances == replay.balances else {
            let differing = Set(balances.keys).union(replay.balances.keys).filter { balances[$0] != replay.balances[$0] }.sorted()
            let list = differing.prefix(5).map { "'\($0)' \(balances[$0].map(\.description) ?? "none") here, \(replay.balances[$0].map(\.description) ?? "none") in the replay" }
            throw OrgSyncError(.refused, "the journal's balances differ from the replay's: \(list.joined(separator: ", "))")
        }
    }

    /// The number of hledger balance assertions: one per posting that debits a workspace.
    public var assertionCount: Int {
        transactions.reduce(0) { $0 + $1.postings.filter(\.debitsWorkspace).count }
    }

    public func text(_ format: Format) -> String {
        switch format {
        case .hledger: return hledger
        case .beancount: return beancount
        }
    }

    // MARK: - Replay order

    private enum Step {
        case tombstone(Workspace)
        case event(LedgerEvent)
        case usage(UsageRecord)
        case deletion(Workspace)
    }

    /// The steps of `LedgerReplay.run`, in its order: by time, then tombstone charges before events and usage
    /// before deletions, then by id.
    private static func steps(_ org: Organization) -> [Step] {
        var keyed: [(at: Timestamp, phase: UInt8, id: String, step: Step)] = []
        keyed.reserveCapacity(org.events.count + org.usage.count + 2 * org.workspaces.count)
        for workspace in org.workspaces {
            guard let tombstone = workspace.deleted else { continue }
            keyed.append((tombstone.at, 0, workspace.id, .tombstone(workspace)))
            keyed.append((tombstone.at, 2, workspace.id, .deletion(workspace)))
        }
        for event in org.events { keyed.append((event.at, 1, event.id, .event(event))) }
        for record in org.usage where org.workspace(record.workspace).map({ !$0.isDeleted }) == true {
            keyed.append((record.at, 1, record.id, .usage(record)))
        }
        keyed.sort { lhs, rhs in
            if lhs.at != rhs.at { return lhs.at < rhs.at }
            if lhs.phase != rhs.phase { return lhs.phase < rhs.phase }
            return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
        }
        return keyed.map(\.step)
    }

    /// Follows the replay step by step, with exact running balances of the workspaces.
    private struct Builder {
        let org: Organization
        let primary: String
        var mode = CreditMode.shared
        var balances: [String: Credits] = [:]
        var transactions: [Transaction] = []

        init(org: Organization, primary: String) {
            self.org = org
            self.primary = primary
            for workspace in org.workspaces where !workspace.isDeleted { balances[workspace.id] = .zero }
        }

        /// A posting to `workspace`, with its balance after it.
        mutating func move(_ amount: Credits, _ workspace: String) throws(OrgSyncError) -> Posting {
            let balance: Credits
            do {
                balance = try (balances[workspace] ?? .zero).adding(amount)
            } catch {
                throw OrgSyncError(.refused, "the balance of '\(workspace)' overflows: \(error)")
            }
            balances[workspace] = balance
            return Posting(account: .workspace(workspace), amount: amount, balance: balance)
        }

        mutating func apply(_ step: Step) throws(OrgSyncError) {
            switch step {
            case .event(let event):
                let time = event.at.description
                switch event.kind {
                case .topup(let credits, _):
                    transactions.append(Transaction(at: event.at, description: "topup \(event.id) at \(time)", postings: [
                        try move(credits, primary), Posting(account: .topups, amount: credits.negated),
                    ]))
                case .transfer(let transfer):
                    let reason = transfer.reason.map { " (\($0.rawValue))" } ?? ""
                    transactions.append(Transaction(at: event.at, description: "transfer\(reason) \(event.id) at \(time)", postings: [
                        try move(transfer.credits.negated, transfer.from), try move(transfer.credits, transfer.to),
                    ]))
                case .mode(let newMode):
                    mode = newMode
                    transactions.append(Transaction(at: event.at, description: "mode \(newMode.rawValue) \(event.id) at \(time)", postings: []))
                }

            case .usage(let record):
                guard org.member(record.member) != nil else { return } // as the replay does; the state rules report it
                let payer = mode == .budget ? record.workspace : primary
                transactions.append(Transaction(at: record.at, description: "usage \(record.id) of \(record.workspace) by \(record.member) at \(record.at)", postings: [
                    try move(record.credits.negated, payer), Posting(account: .usage(record.tool), amount: record.credits),
                ]))

            case .tombstone(let workspace):
                guard let tombstone = workspace.deleted else { return }
                let own = Credits(units: tombstone.consumed.units - min(tombstone.consumed.units, tombstone.chargedToPrimary.units))
                var postings = [try move(own.negated, workspace.id)]
                if tombstone.chargedToPrimary.isPositive { postings.append(try move(tombstone.chargedToPrimary.negated, primary)) }
                let consumed: Credits
                do {
                    consumed = try own.adding(tombstone.chargedToPrimary)
                } catch {
                    throw OrgSyncError(.refused, "the tombstone of '\(workspace.id)' records more than orgsync can represent: \(error)")
                }
                postings.append(Posting(account: .deletedWorkspaces, amount: consumed))
                transactions.append(Transaction(at: tombstone.at, description: "deleted \(workspace.id) consumed \(tombstone.consumed) at \(tombstone.at)",
                                                postings: postings, deletes: workspace.id))

            case .deletion(let workspace):
                let remaining = balances.removeValue(forKey: workspace.id) ?? .zero
                guard remaining.isZero else {
                    throw OrgSyncError(.refused, "workspace '\(workspace.id)' was deleted with \(remaining) credits left; run 'orgsync validate'")
                }
            }
        }
    }

    // MARK: - Rendering

    static let commodity = "CR"

    /// Exactly four decimals: `12.5000`, `-0.0001`.
    static func amount(_ credits: Credits) -> String {
        let magnitude = credits.units.magnitude
        let fraction = String(magnitude % UInt64(Credits.unitsPerCredit))
        let sign = credits.isNegative ? "-" : ""
        return "\(sign)\(magnitude / UInt64(Credits.unitsPerCredit)).\(String(repeating: "0", count: Credits.fractionDigits - fraction.count))\(fraction) \(commodity)"
    }

    /// The UTC day of `time`, counted from 1970-01-01.
    static func day(_ time: Timestamp) -> Int64 {
        time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400
    }

    /// `YYYY-MM-DD` of a day counted from 1970-01-01.
    static func date(day: Int64) -> String {
        String(Timestamp(seconds: day * 86_400).description.prefix(10))
    }

    static func hledgerName(_ account: Account) -> String {
        switch account {
        case .workspace(let id): return "assets:workspace:\(id)"
        case .topups: return "equity:topups"
        case .usage(let tool): return "expenses:usage:\(tool.rawValue)"
        case .deletedWorkspaces: return "expenses:usage:deleted-workspaces"
        }
    }

    /// Beancount account components start with a capital letter or a digit; ids are lower-case slugs, so
    /// capitalizing their first letter keeps them distinct.
    static func beancountName(_ account: Account) -> String {
        func component(_ slug: String) -> String { slug.prefix(1).uppercased() + slug.dropFirst() }
        switch account {
        case .workspace(let id): return "Assets:Workspace:\(component(id))"
        case .topups: return "Equity:Topups"
        case .usage(let tool): return "Expenses:Usage:\(component(tool.rawValue))"
        case .deletedWorkspaces: return "Expenses:Usage:Deleted-workspaces"
        }
    }

    var hledger: String {
        var out = "; The orgsync ledger replay: \(transactions.count) transactions in replay order, times in UTC.\n"
        out += "; Each posting that debits a workspace asserts the workspace's balance after it.\n\n"
        out.reserveCapacity(transactions.count * 200)
        for transaction in transactions {
            out += "\(Self.date(day: Self.day(transaction.at))) \(transaction.description)\n"
            for posting in transaction.postings {
                out += "    \(Self.hledgerName(posting.account))  \(Self.amount(posting.amount))"
                if posting.debitsWorkspace, let balance = posting.balance { out += " = \(Self.amount(balance))" }
                out += "\n"
            }
            out += "\n"
        }
        return out
    }

    var beancount: String {
        var out = """
            ; The orgsync ledger replay: \(transactions.count) transactions in replay order, times in UTC.
            ; Each workspace's balance is checked at the start of the day after each day it changed.
            option "title" "orgsync ledger"
            option "operating_currency" "\(Self.commodity)"
            ; Balance checks tolerate half the last digit: with four decimals, no difference of 0.0001 passes.
            option "tolerance_multiplier" "0.4"


            """
        out.reserveCapacity(transactions.count * 200)
        let opened = Self.date(day: transactions.first.map { Self.day($0.at) } ?? 0)
        let accounts = workspaces.map(Account.workspace) + [.topups] + Tool.allCases.map(Account.usage) + [.deletedWorkspaces]
        for account in accounts { out += "\(opened) open \(Self.beancountName(account)) \(Self.commodity)\n" }
        out += "\n"

        var currentDay: Int64?
        var changed: [String: Credits] = [:]
        var deleted: [String] = []
        func endDay() {
            guard let currentDay, !changed.isEmpty || !deleted.isEmpty else { return }
            let next = Self.date(day: currentDay + 1)
            for (workspace, balance) in changed.sorted(by: { $0.key < $1.key }) {
                out += "\(next) balance \(Self.beancountName(.workspace(workspace)))  \(Self.amount(balance))\n"
            }
            for workspace in deleted { out += "\(next) close \(Self.beancountName(.workspace(workspace)))\n" }
            out += "\n"
            changed = [:]
            deleted = []
        }
        for transaction in transactions {
            let day = Self.day(transaction.at)
            if day != currentDay {
                endDay()
                currentDay = day
            }
            out += "\(Self.date(day: day)) * \"\(transaction.description)\"\n"
            for posting in transaction.postings {
                out += "  \(Self.beancountName(posting.account))  \(Self.amount(posting.amount))\n"
                if case .workspace(let id) = posting.account, let balance = posting.balance { changed[id] = balance }
            }
            if let workspace = transaction.deletes { deleted.append(workspace) }
            out += "\n"
        }
        endDay()
        return out
    }
}
