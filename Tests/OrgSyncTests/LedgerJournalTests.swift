import OrgModel
import Testing
@testable import OrgSync

@Suite("The ledger as hledger and beancount journals (P4)")
struct LedgerJournalTests {
    /// A generated organization, validated, with its replay.
    static func validated(_ sizes: BenchmarkOrganization.Sizes, seed: UInt64 = 3, change: (inout [String: [UInt8]]) -> Void = { _ in })
        throws -> (ValidationReport, LedgerReplay) {
        var files = try BenchmarkOrganization(sizes: sizes, seed: seed).files
        change(&files)
        let report = Validator.validate(Snapshot(entries: files.mapValues { Snapshot.Entry(bytes: $0) }))
        return (report, try #require(report.replay))
    }

    /// `"-0.5716 CR"` → -0.5716.
    static func credits(_ text: Substring) throws -> Credits {
        #expect(text.hasSuffix(" CR"))
        return try Credits(parsing: text.dropLast(3))
    }

    /// hledger: the sum of each workspace account's postings, and the last balance asserted on it.
    static func hledgerTotals(_ text: String) throws -> (sums: [String: Credits], asserted: [String: Credits]) {
        var sums: [String: Credits] = [:], asserted: [String: Credits] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("    assets:workspace:") {
            let parts = line.dropFirst(4).components(separatedBy: "  ")
            let workspace = String(parts[0].dropFirst("assets:workspace:".count))
            let amounts = parts[1].components(separatedBy: " = ")
            sums[workspace] = try (sums[workspace] ?? .zero).adding(try credits(amounts[0][...]))
            if amounts.count == 2 { asserted[workspace] = try credits(amounts[1][...]) }
        }
        return (sums, asserted)
    }

    @Test("a small organization: one transaction per event and usage record, in replay order, with the replayed balances")
    func smallOrganization() throws {
        let (report, replay) = try Self.validated(.init(workspaces: 6, members: 12, events: 40, usage: 200))
        #expect(report.isValid)
        let org = report.organization
        let journal = try LedgerJournal(org, replay: replay)
        let hledger = journal.text(.hledger), beancount = journal.text(.beancount)

        #expect(journal.transactions.count == org.events.count + org.usage.count)
        #expect(journal.transactions.count == 240)
        let headers = hledger.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(headers.count == 240)
        #expect(beancount.split(separator: "\n").filter { $0.hasPrefix("2") && $0.contains(" * \"") }.count == 240)
        // Times never go back: each header's RFC 3339 time is at or after the previous one.
        let times = try headers.map { try Timestamp(parsing: $0.components(separatedBy: " at ").last ?? "") }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })

        // Every usage record and transfer debits a workspace, and asserts its balance; top-ups and the mode event do not.
        let transfers = org.events.filter { if case .transfer = $0.kind { true } else { false } }.count
        #expect(journal.assertionCount == org.usage.count + transfers)
        #expect(hledger.components(separatedBy: " = ").count - 1 == journal.assertionCount)

        // The postings add up to the replay's balances, and the last assertion on the Primary is its balance.
        let (sums, asserted) = try Self.hledgerTotals(hledger)
        #expect(sums == replay.balances)
        #expect(asserted[replay.primary] == replay.primaryBalance)
        #expect(replay.primaryBalance.description == "50000.2511")
        #expect(journal.balances == replay.balances)

        #expect(hledger.contains("""

            2026-01-05 topup 01KE5Q86005ZXBAY6KGM02S0P6 at 2026-01-05T00:00:00Z
                assets:workspace:core-platform  51942.0000 CR
                equity:topups  -51942.0000 CR

            2026-02-11 usage 01KH551KJYDTHNDBW2CVZG6BZN of games-summaries-dev-1 by farah-silva-3 at 2026-02-11T01:28:55.646Z
                assets:workspace:core-platform  -0.5716 CR = 51941.4284 CR
                expenses:usage:chat  0.5716 CR

            """))
        #expect(hledger.contains("""

            2026-03-06 mode budget 01KK07479G1WNNW9RBHYH2M2S4 at 2026-03-06T00:00:30Z

            2026-03-13 transfer 01KKJK14Z03QD6H8M17HV03SPD at 2026-03-13T03:14:52Z
                assets:workspace:core-platform  -37.0000 CR = 51744.3630 CR
                assets:workspace:health-summaries-eval-4  37.0000 CR

            """))
        #expect(hledger.hasSuffix("    assets:workspace:core-platform  -12.0000 CR = 50000.2511 CR\n    assets:workspace:games-summaries-dev-1  12.0000 CR\n\n"))

        #expect(beancount.contains("\noption \"tolerance_multiplier\" \"0.4\"\n"))
        #expect(beancount.contains("\n2026-01-05 open Assets:Workspace:Core-platform CR\n"))
        #expect(beancount.contains("\n2026-01-05 open Expenses:Usage:Speech CR\n"))
        #expect(beancount.contains("""

            2026-01-05 * "topup 01KE5Q86005ZXBAY6KGM02S0P6 at 2026-01-05T00:00:00Z"
              Assets:Workspace:Core-platform  51942.0000 CR
              Equity:Topups  -51942.0000 CR

            """))
        #expect(beancount.hasSuffix("""
            2026-10-06 balance Assets:Workspace:Core-platform  50000.2511 CR
            2026-10-06 balance Assets:Workspace:Games-summaries-dev-1  236.0000 CR


            """))
        // The last balance directive of each workspace is its replayed balance.
        var lastBalance: [String: Credits] = [:]
        for line in beancount.split(separator: "\n") where line.contains(" balance Assets:Workspace:") {
            let parts = line.components(separatedBy: "  ")
            let account = parts[0].components(separatedBy: " ")[2]
            lastBalance[account] = try Self.credits(parts[1][...])
        }
        #expect(lastBalance == Dictionary(uniqueKeysWithValues: replay.balances.map { (LedgerJournal.beancountName(.workspace($0.key)), $0.value) }))
    }

    @Test("a deleted workspace: its tombstone's consumption is charged at its deletion, before its refund, and it closes")
    func deletedWorkspace() throws {
        let (report, replay) = try Self.validated(.init(workspaces: 60, members: 120, events: 400, usage: 2_000))
        #expect(report.isValid)
        let org = report.organization
        let journal = try LedgerJournal(org, replay: replay)
        let hledger = journal.text(.hledger), beancount = journal.text(.beancount)
        #expect(org.workspaces.filter(\.isDeleted).map(\.id) == ["health-faq-staging-50"])
        #expect(journal.transactions.count == org.events.count + org.usage.count + 1)
        #expect(try Self.hledgerTotals(hledger).sums.filter { !$0.value.isZero || replay.balances[$0.key] != nil } == replay.balances)
        #expect(hledger.contains("""

            2026-07-30 deleted health-faq-staging-50 consumed 27.3001 at 2026-07-30T12:00:00Z
                assets:workspace:health-faq-staging-50  0.0000 CR = 202.0000 CR
                assets:workspace:core-platform  -27.3001 CR = 60927.4066 CR
                expenses:usage:deleted-workspaces  27.3001 CR

            2026-07-30 transfer (deletion) 01KYSEAKG05H04M6NAK7W8W7JJ at 2026-07-30T12:00:00Z
                assets:workspace:health-faq-staging-50  -202.0000 CR = 0.0000 CR
            """))
        #expect(beancount.contains("""
            2026-07-31 balance Assets:Workspace:Health-faq-staging-50  0.0000 CR
            2026-07-31 close Assets:Workspace:Health-faq-staging-50

            """))
    }

    @Test("a ledger that does not replay has no journal")
    func refusesAFailedReplay() throws {
        let path = "ledger/2026/03/01KKJK14Z03QD6H8M17HV03SPD.yaml"
        let (report, replay) = try Self.validated(.init(workspaces: 6, members: 12, events: 40, usage: 200)) { files in
            let text = String(decoding: files[path] ?? [], as: UTF8.self)
            files[path] = Array(text.replacingOccurrences(of: "credits: 37\n", with: "credits: 99999999\n").utf8)
        }
        #expect(replay.failure?.rule == .r(7))
        #expect(throws: OrgSyncError.self) { try LedgerJournal(report.organization, replay: replay) }
    }

    @Test("amounts have exactly four decimals")
    func amounts() {
        #expect(LedgerJournal.amount(Credits(units: 0)) == "0.0000 CR")
        #expect(LedgerJournal.amount(Credits(units: -1)) == "-0.0001 CR")
        #expect(LedgerJournal.amount(Credits(units: 125_000)) == "12.5000 CR")
        #expect(LedgerJournal.amount(Credits.max) == "922337203685477.5807 CR")
    }
}
