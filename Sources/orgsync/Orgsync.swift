import ArgumentParser
import OrgModel
import OrgSync

struct Orgsync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orgsync",
        abstract: "Keep an AI platform's organization in git: workspaces, members, credits, keys and usage.",
        discussion: """
        An orgsync repository holds the organization as YAML files (see docs/FORMAT.md). Balances are never \
        stored: they are replayed from the ledger, and every state is checked against the credit rules \
        (R1–R16 of the specification).

        Start with 'orgsync demo' to see a sample organization validated and replayed, or 'orgsync init' \
        to create your own.

        Exit codes: 0 success; 1 validation failure or refused operation; 2 usage or environment error.
        """,
        version: "0.1.0",
        subcommands: [
            Init.self, Validate.self, Status.self, Balances.self,
            WorkspaceCommand.self, MemberCommand.self, Topup.self, TransferCommand.self, Mode.self, KeyCommand.self, ProviderCommand.self,
            UsageCommand.self, Export.self,
            Plan.self, ApprovalsCommand.self, CodeownersCommand.self, Log.self,
            Hooks.self, Clone.self, Sync.self, MergeCommand.self, Resolve.self, MergeDriver.self, Demo.self, Bench.self,
        ]
    )
}

/// Options shared by every command that reads an organization.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("The organization's folder.", valueName: "dir"))
    var repo: String = "."
}

/// The state a read-only command looks at: the work tree of `--repo`, or the commit `--rev` names.
struct StateOptions: ParsableArguments {
    @OptionGroup var repository: RepositoryOptions
    @Option(help: ArgumentHelp("Read this commit, straight from git objects, instead of the work tree.", valueName: "rev"))
    var rev: String?

    @Option(help: ArgumentHelp("""
        Read the organization as it was at a revision, or at a date: YYYY-MM-DD (the end of that day, UTC) or \
        YYYY-MM-DDTHH:MM:SSZ picks the last commit on the current branch's first-parent line at or before it.
        """, valueName: "rev|date"))
    var at: String?

    var reader: StateReader { StateReader(directory: repository.repo) }

    func validate() throws {
        if rev != nil, at != nil { throw ValidationError("--rev and --at both pick a revision; give one of them") }
    }

    /// The revision to read: `--rev`, or the commit `--at` names; nil for the work tree.
    func revision() throws(OrgSyncError) -> String? {
        guard let at else { return rev }
        return try reader.revision(at: at).commit.hex
    }

    /// The time "now" means for the state: the date or time `--at` names, or the clock. Caps are shown for
    /// the periods containing it.
    var now: Timestamp { at.flatMap { StateReader.instant($0) } ?? .now() }

    /// The snapshot to look at.
    func snapshot() throws(OrgSyncError) -> Snapshot { try reader.snapshot(revision: try revision()) }
}

/// Who a command acts as: the git identity, or `--as` for automation.
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Act as the member with this email instead of the git identity (user.email).", valueName: "email"))
    var actor: String?
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

struct FormatOptions: ParsableArguments {
    @Option(help: "Output for people (text) or machines (json).")
    var format: OutputFormat = .text
}
