import ArgumentParser
import Foundation
import OrgModel
import OrgSync

extension LedgerJournal.Format: ExpressibleByArgument {}

struct BenchJournal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Write the ledger as an equivalent hledger journal or beancount file, to compare checks (P4).",
        discussion: """
        The file holds the money movements of the ledger replay, in replay order: top-ups from equity:topups \
        into the Primary, transfers between workspaces, usage from the paying workspace (its own in budget \
        mode, the Primary in shared mode) to expenses:usage:<tool>, and each deleted workspace's tombstone. \
        The replayed balances are asserted: in hledger after every posting that debits a workspace, in \
        beancount at the start of the day after every day a workspace's balance changed. An invalid \
        organization is refused.

        Examples:
          orgsync bench journal --repo /tmp/bench-org --format hledger --output /tmp/org.journal
          hledger -f /tmp/org.journal check
          orgsync bench journal --repo /tmp/bench-org --format beancount --output /tmp/org.beancount
          bean-check /tmp/org.beancount
        """
    )

    @Option(help: "The journal's format.")
    var format: LedgerJournal.Format
    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("The file to write.", valueName: "file"))
    var output: String

    func run() throws {
        try Terminal.run(format: .text) { () throws(OrgSyncError) in
            let report = Validator.validate(try state.snapshot())
            guard report.isValid, let replay = report.replay else {
                throw OrgSyncError(.refused, "the organization is not valid, so no journal was written; fix the errors above (see 'orgsync validate')",
                                   diagnostics: report.diagnostics.filter { $0.severity == .error })
            }
            let journal = try LedgerJournal(report.organization, replay: replay)
            do {
                try Data(journal.text(format).utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw OrgSyncError(.environment, "cannot write '\(output)': \(error.localizedDescription)")
            }
            Terminal.write("Wrote \(output) (\(format.rawValue)): \(journal.transactions.count) transactions, \(journal.workspaces.count) workspace accounts\n")
        }
    }
}
