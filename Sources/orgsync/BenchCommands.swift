import ArgumentParser
import Foundation
import OrgModel
import OrgSync

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a large organization and measure orgsync against git, hledger and bean-check.",
        discussion: """
        The targets and the figures of this machine are in BENCHMARKS.md.

        Examples:
          orgsync bench generate --output /tmp/bench-org          # the reference large org (SPEC §10)
          orgsync bench generate --workspaces 100 --members 500 --events 1000 --usage 10000 --output /tmp/small
        """,
        subcommands: [BenchGenerate.self, BenchJournal.self, BenchCharges.self]
    )
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Build a deterministic, valid organization and commit it to a new repository.",
        discussion: """
        The organization starts in shared mode and switches to budget mode after 60 days; the Primary tops up \
        and allocates to every workspace before it spends, about one workspace in a hundred is deleted, and \
        usage covers every tool, heavier on a few workspaces and days. The same sizes and seed give the same \
        files, byte for byte. The defaults are the reference large organization of SPEC §10.
        """
    )

    @Option(help: "How many workspaces, the Primary and deleted ones included.")
    var workspaces = BenchmarkOrganization.Sizes.reference.workspaces
    @Option(help: "How many members.")
    var members = BenchmarkOrganization.Sizes.reference.members
    @Option(help: "How many ledger events.")
    var events = BenchmarkOrganization.Sizes.reference.events
    @Option(help: "How many usage records.")
    var usage = BenchmarkOrganization.Sizes.reference.usage
    @Option(help: ArgumentHelp("The folder to create (missing or empty).", valueName: "dir"))
    var output: String
    @Option(help: "The random seed.")
    var seed: UInt64 = 1
    @OptionGroup var format: FormatOptions

    func run() throws {
        try Terminal.run(format: format.format) { () throws(OrgSyncError) in
            let sizes = BenchmarkOrganization.Sizes(workspaces: workspaces, members: members, events: events, usage: usage)
            let organization = try BenchmarkOrganization(sizes: sizes, seed: seed)
            let commit = try organization.write(to: output)
            let summary = organization.summary
            switch format.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "directory": .string(output), "commit": .string(commit.hex), "seed": .number(String(seed)),
                    "workspaces": .number(String(summary.liveWorkspaces + summary.deletedWorkspaces)),
                    "deletedWorkspaces": .number(String(summary.deletedWorkspaces)),
                    "members": .number(String(summary.members)), "events": .number(String(summary.events)),
                    "usageRecords": .number(String(summary.usageRecords)), "usageFiles": .number(String(summary.usageFiles)),
                    "files": .number(String(organization.files.count)), "bytes": .number(String(summary.bytes)),
                ]).rendered() + "\n")
            case .text:
                Terminal.write("""
                Generated \(output) (seed \(seed)), commit \(commit.hex.prefix(10)):
                  \(summary.liveWorkspaces + summary.deletedWorkspaces) workspaces (\(summary.deletedWorkspaces) deleted), \(summary.members) members, \(summary.events) ledger events
                  \(summary.usageRecords) usage records in \(summary.usageFiles) files; \(organization.files.count) files, \(summary.bytes) bytes

                """)
            }
        }
    }
}

struct BenchCharges: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charges",
        abstract: "Measure in-process charges per second through the usage gateway (P6).",
        discussion: """
        Loads the gateway on the organization at HEAD, then charges COUNT times 0.0001 credits, spread over every \
        member who can spend in every live workspace, each checked against the paying balance and the caps. \
        Nothing is flushed: the repository is not changed.

        Example:
          orgsync bench charges --repo /tmp/bench-org --count 1000000
        """
    )

    @OptionGroup var repository: RepositoryOptions
    @Option(help: "How many charges to make.")
    var count = 1_000_000
    @OptionGroup var format: FormatOptions

    func run() throws {
        try Terminal.run(format: format.format) { () throws(OrgSyncError) in
            guard count > 0 else { throw OrgSyncError(.environment, "--count must be at least 1") }
            let result = try ChargeBenchmark.run(repository: repository.repo, count: count)
            switch format.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "charges": .int(result.charges), "blocked": .int(result.blocked), "spenders": .int(result.spenders),
                    "seconds": .number(String(result.seconds)), "chargesPerSecond": .int(result.perSecond),
                ]).rendered() + "\n")
            case .text:
                Terminal.write("\(result.charges) charges (\(result.blocked) blocked) over \(result.spenders) members in \(String(format: "%.3f", result.seconds)) s: \(result.perSecond) charges per second\n")
            }
        }
    }
}
