import ArgumentParser
import Foundation
import OrgModel
import OrgSync

extension OrgRole: ExpressibleByArgument {}
extension WorkspaceRole: ExpressibleByArgument {}

extension Timestamp: ExpressibleByArgument {
    public init?(argument: String) {
        guard let time = try? Timestamp(parsing: argument) else { return nil }
        self = time
    }
}

/// `--workspace WS[:ROLE]` of `member add`.
extension AdminOperation.WorkspaceAssignment: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let workspace = parts.first, !workspace.isEmpty else { return nil }
        if parts.count == 2 {
            guard let role = WorkspaceRole(rawValue: String(parts[1])) else { return nil }
            self.init(workspace: String(workspace), role: role)
        } else {
            self.init(workspace: String(workspace), role: .member)
        }
    }
}

/// The options of every command that writes: where, as whom, whether for real, and the output format.
struct WriteOptions: ParsableArguments {
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var actor: ActorOptions
    @Flag(help: "Check everything and print what would change, without writing or committing anything.")
    var dryRun = false
    @OptionGroup var output: FormatOptions

    /// Performs `operation` and prints its outcome.
    func perform(_ operation: AdminOperation) throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let outcome = try Administrator(reader: StateReader(directory: repository.repo), actorEmail: actor.actor)
                .perform(operation, dryRun: dryRun)
            switch output.format {
            case .json: Terminal.write(Render.json(outcome).rendered() + "\n")
            case .text: Terminal.write(Render.text(outcome))
            }
        }
    }
}

let writeDiscussion = """
Acts as your git identity (git config user.email) or --as EMAIL, and needs that member's rights (R11). \
The new state, its transition and your rights are checked before anything is written; the change is then \
one commit on the current branch. On any refusal, HEAD, the index and the work tree stay as they were. \
--dry-run shows what would change.
"""

// MARK: - Workspaces

struct WorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Create, rename, delete, list and show workspaces.",
        subcommands: [Create.self, Rename.self, Delete.self, List.self, Show.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workspace.",
            discussion: """
            The id is permanent and never reused, even after deletion (R2); the name can change. \
            Suggested ids: {product}-{environment}, such as chat-prod.

            Example:
              orgsync workspace create research --name "Research Lab"

            \(writeDiscussion)
            """
        )
        @Argument(help: "The new workspace's id: lower-case letters, digits and '-'.") var id: String
        @Option(help: "The display name.") var name: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.createWorkspace(id: id, name: name)) }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a workspace's display name (its id stays).", discussion: writeDiscussion)
        @Argument(help: "The workspace's id.") var id: String
        @Option(help: "The new display name.") var name: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.renameWorkspace(id: id, name: name)) }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a workspace, permanently (R10).",
            discussion: """
            In one commit: its remaining balance returns to the Primary as a 'deletion' transfer, its API \
            keys, member assignments and settings go, its usage files are removed, and its file becomes a \
            tombstone recording the credits it consumed, so organization totals stay exact. The id stays \
            reserved forever. The Primary Workspace cannot be deleted.

            \(writeDiscussion)
            """
        )
        @Argument(help: "The workspace's id.") var id: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.deleteWorkspace(id: id)) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the workspaces with their balances.")
        @Flag(help: "Include deleted workspaces (tombstones).") var all = false
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                let report = try Queries.report(state)
                let workspaces = report.organization.workspaces.filter { all || !$0.isDeleted }
                switch output.format {
                case .json: Terminal.write(JSONValue.array(workspaces.map { Render.json($0, report) }).rendered() + "\n")
                case .text: Terminal.write(Render.workspaceTable(workspaces, report))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one workspace: balance, members, keys, providers and settings.")
        @Argument(help: "The workspace's id.") var id: String
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                let report = try Queries.report(state)
                guard let workspace = report.organization.workspace(id) else {
                    throw OrgSyncError(.refused, "no workspace '\(id)'\(Suggestion.hint(id, report.organization.workspaces.map(\.id))); list them with 'orgsync workspace list'")
                }
                switch output.format {
                case .json: Terminal.write(Render.json(workspace, report, detailed: true).rendered() + "\n")
                case .text: Terminal.write(Render.text(workspace, report))
                }
            }
        }
    }
}

// MARK: - Members

struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Add and remove members, change their roles and workspace assignments.",
        discussion: """
        Org roles (R11): owner (everything), admin (everything but the owner role and the org policy), \
        billing (credit events), service (usage records), member (no changes). Workspace roles: admin \
        (manages that workspace's members, keys, providers and name), member, viewer.
        """,
        subcommands: [Add.self, Remove.self, Role.self, Assign.self, Unassign.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a member to the organization.",
            discussion: """
            Emails are unique, ignoring case. Without --workspace the member joins the Primary Workspace \
            as a member (R3).

            Example:
              orgsync member add bo --email bo@acme.example --name "Bo Lind" --role billing --workspace research:admin

            \(writeDiscussion)
            """
        )
        @Argument(help: "The member's id: lower-case letters, digits and '-'.") var id: String
        @Option(help: "The member's email, unique in the organization.") var email: String
        @Option(help: "The member's display name.") var name: String?
        @Option(help: "The org role: owner, admin, billing, service or member.") var role: OrgRole = .member
        @Option(name: .customLong("workspace"), help: ArgumentHelp("Assign to a workspace, with an optional role (admin, member, viewer); repeatable.", valueName: "ws[:role]"))
        var workspaces: [AdminOperation.WorkspaceAssignment] = []
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.addMember(id: id, email: email, name: name, role: role, workspaces: workspaces)) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member from the organization.",
            discussion: """
            The member's file stays, marked removed, so the history that names them still resolves; their \
            workspace assignments end and their email is free again. The last owner cannot be removed.

            \(writeDiscussion)
            """
        )
        @Argument(help: "The member's id.") var id: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.removeMember(id: id)) }
    }

    struct Role: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a member's org role.", discussion: "The organization always keeps at least one owner.\n\n" + writeDiscussion)
        @Argument(help: "The member's id.") var id: String
        @Argument(help: "The new role: owner, admin, billing, service or member.") var role: OrgRole
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.setRole(member: id, role: role)) }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a member to a workspace, or change their role there.", discussion: writeDiscussion)
        @Argument(help: "The member's id.") var id: String
        @Option(help: "The workspace's id.") var workspace: String
        @Option(help: "The workspace role: admin, member or viewer.") var role: WorkspaceRole = .member
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.assign(member: id, workspace: workspace, role: role)) }
    }

    struct Unassign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a member out of a workspace.", discussion: writeDiscussion)
        @Argument(help: "The member's id.") var id: String
        @Option(help: "The workspace's id.") var workspace: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.unassign(member: id, workspace: workspace)) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members with their roles and workspaces.")
        @Flag(help: "Include removed members.") var all = false
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                let org = try Queries.report(state).organization
                let members = org.members.filter { all || $0.isActive }
                switch output.format {
                case .json: Terminal.write(JSONValue.array(members.map { Render.json($0, org) }).rendered() + "\n")
                case .text: Terminal.write(Render.memberTable(members, org))
                }
            }
        }
    }
}

// MARK: - Credits

struct Topup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add purchased credits; they land in the Primary Workspace (R4).",
        discussion: "Example:\n  orgsync topup --credits 10000 --reference INV-2026-114\n\nNeeds the owner, admin or billing role.\n\n" + writeDiscussion
    )
    @Option(help: ArgumentHelp("The credits added: a positive amount with at most 4 decimals.", valueName: "n"), transform: creditsArgument) var credits: Credits
    @Option(help: "An invoice or payment reference.") var reference: String?
    @OptionGroup var options: WriteOptions
    func run() throws { try options.perform(.topup(credits: credits, reference: reference)) }
}

struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Move credits between two workspaces (R7).",
        discussion: """
        Only in budget mode, between two different live workspaces, and never more than the source has \
        available. The commit is the transfer.

        Example:
          orgsync transfer --from primary --to research --credits 2500 --memo "Q4 budget"

        Needs the owner, admin or billing role.

        \(writeDiscussion)
        """
    )
    @Option(help: ArgumentHelp("The workspace the credits leave.", valueName: "ws")) var from: String
    @Option(help: ArgumentHelp("The workspace the credits reach.", valueName: "ws")) var to: String
    @Option(help: ArgumentHelp("The amount: positive, with at most 4 decimals.", valueName: "n"), transform: creditsArgument) var credits: Credits
    @Option(help: "Why, for the history.") var memo: String?
    @OptionGroup var options: WriteOptions
    func run() throws { try options.perform(.transfer(from: from, to: to, credits: credits, memo: memo)) }
}

struct Mode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Switch the credit mode: shared pool or workspace budgets (R5, R9).",
        discussion: """
        shared: every workspace's usage is charged to the Primary. Switching to it returns every \
        workspace's balance to the Primary with explicit transfers in the same commit.
        budget: each workspace spends its own balance, which transfers fill; every workspace starts at 0.

        \(writeDiscussion)
        """
    )
    @Argument(help: "shared or budget.") var mode: CreditMode
    @OptionGroup var options: WriteOptions
    func run() throws { try options.perform(.setMode(mode)) }
}

// MARK: - API keys

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Workspace API keys: create, revoke, verify and list (R15).",
        discussion: "The repository keeps a key's id, name, prefix and SHA-256 hash, never the secret.",
        subcommands: [Create.self, Revoke.self, Verify.self, List.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key for a workspace and print its secret, once.",
            discussion: """
            The secret is 'osk_' and 40 random letters and digits from the system's secure random source. \
            It is printed once and written nowhere: store it now. The repository keeps its prefix and hash.

            \(writeDiscussion)
            """
        )
        @Option(help: ArgumentHelp("The workspace the key belongs to.", valueName: "ws")) var workspace: String
        @Option(help: "A name that says what uses the key.") var name: String
        @Option(help: "The key's id (default: made from the name).") var id: String?
        @Option(help: ArgumentHelp("When the key stops working, in RFC 3339 UTC, such as 2027-01-01T00:00:00Z.", valueName: "time")) var expires: Timestamp?
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.createKey(workspace: workspace, name: name, id: id, expiresAt: expires)) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key now; it stays listed, revoked.", discussion: writeDiscussion)
        @Argument(help: "The key's id (see 'orgsync key list').") var id: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.revokeKey(id: id)) }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tell which workspace a secret belongs to, or that it is invalid, expired or revoked.",
            discussion: """
            Exits 0 for a valid key and 1 otherwise. Pass '-' to read the secret from standard input, so it \
            does not show in the process list or the shell history:
              printf %s "$SECRET" | orgsync key verify -
            """
        )
        @Argument(help: ArgumentHelp("The secret, or '-' to read it from standard input.", valueName: "secret")) var secret: String
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            var valid = false
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                var text = secret
                if secret == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    while text.last?.isNewline == true { text.removeLast() }
                }
                let verdict = try Queries.report(state).organization.verify(secret: text, at: .now())
                valid = verdict.isValid
                switch output.format {
                case .json: Terminal.write(Render.json(verdict).rendered() + "\n")
                case .text: Terminal.write(Render.text(verdict))
                }
            }
            if !valid { throw ExitCode.failure }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys: id, workspace, prefix and status.")
        @Option(help: ArgumentHelp("Only this workspace's keys.", valueName: "ws")) var workspace: String?
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                let org = try Queries.report(state).organization
                if let workspace, org.workspace(workspace).map({ !$0.isDeleted }) != true {
                    throw OrgSyncError(.refused, "no workspace '\(workspace)'\(Suggestion.hint(workspace, org.workspaces.map(\.id))); list them with 'orgsync workspace list'")
                }
                let keys = org.workspaces.filter { !$0.isDeleted && (workspace == nil || $0.id == workspace) }
                    .flatMap { ws in ws.keys.map { (ws.id, $0) } }
                let now = Timestamp.now()
                switch output.format {
                case .json: Terminal.write(JSONValue.array(keys.map { Render.json($0.1, workspace: $0.0, now: now) }).rendered() + "\n")
                case .text: Terminal.write(Render.keyTable(keys, now: now))
                }
            }
        }
    }
}

// MARK: - Provider keys

struct ProviderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Organization provider keys, and which one each workspace uses (R14).",
        discussion: """
        Provider keys are references to where a secret lives (env:NAME, file:PATH, vault:PATH), never the \
        secret. A workspace uses its pin for a provider, else the org default that it has not disabled.
        """,
        subcommands: [Add.self, Pin.self, Disable.self, Resolve.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an organization provider key.",
            discussion: """
            Example:
              orgsync provider add openai-main --provider openai --secret-ref env:OPENAI_API_KEY --default

            With --default, the key becomes its provider's default, replacing the previous one.

            \(writeDiscussion)
            """
        )
        @Argument(help: "The key's id.") var id: String
        @Option(help: "The provider's name, such as openai or anthropic.") var provider: String
        @Option(help: ArgumentHelp("Where the secret lives: env:NAME, file:PATH or vault:PATH. Never the secret itself.", valueName: "ref")) var secretRef: String
        @Flag(name: .customLong("default"), help: "Make it the default key for its provider.") var isDefault = false
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.addProvider(id: id, provider: provider, secretRef: secretRef, isDefault: isDefault)) }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a workspace use this key for its provider.", discussion: writeDiscussion)
        @Option(help: ArgumentHelp("The workspace.", valueName: "ws")) var workspace: String
        @Option(help: ArgumentHelp("The provider key's id.", valueName: "id")) var key: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.pinProvider(workspace: workspace, key: key)) }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a workspace from using a provider key.", discussion: writeDiscussion)
        @Option(help: ArgumentHelp("The workspace.", valueName: "ws")) var workspace: String
        @Option(help: ArgumentHelp("The provider key's id.", valueName: "id")) var key: String
        @OptionGroup var options: WriteOptions
        func run() throws { try options.perform(.disableProvider(workspace: workspace, key: key)) }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which provider key a workspace uses for a provider, and why.",
            discussion: "The workspace's pin, else the org default it has not disabled, else an error (exit 1)."
        )
        @Option(help: ArgumentHelp("The workspace.", valueName: "ws")) var workspace: String
        @Option(help: ArgumentHelp("The provider's name.", valueName: "name")) var provider: String
        @OptionGroup var state: StateOptions
        @OptionGroup var output: FormatOptions
        func run() throws {
            try Terminal.run(format: output.format) { () throws(OrgSyncError) in
                let org = try Queries.report(state).organization
                switch org.resolveProvider(provider, for: workspace) {
                case .failure(let refusal):
                    throw OrgSyncError(.refused, refusal.message)
                case .success(let resolution):
                    switch output.format {
                    case .json:
                        Terminal.write(JSONValue.object([
                            "workspace": .string(workspace), "provider": .string(provider), "key": .string(resolution.key.id),
                            "secretRef": .string(resolution.key.secretRef), "source": .string(resolution.source.rawValue),
                        ]).rendered() + "\n")
                    case .text:
                        let why = resolution.source == .pin ? "pinned in '\(workspace)'" : "the organization's default for \(provider)"
                        Terminal.write("\(resolution.key.id) (\(resolution.key.secretRef)): \(why)\n")
                    }
                }
            }
        }
    }
}

/// Shared helpers of the read-only commands.
enum Queries {
    /// The validated state `state` names; refused when there is no organization at all.
    static func report(_ state: StateOptions) throws(OrgSyncError) -> ValidationReport {
        try organization(state).report
    }

    /// The validated state `state` names and its `org.yaml`; refused when there is none.
    static func organization(_ state: StateOptions) throws(OrgSyncError) -> (report: ValidationReport, config: OrgConfig) {
        let report = Validator.validate(try state.snapshot())
        guard let config = report.organization.config else {
            throw OrgSyncError(.refused, "no organization here: \(state.reader.directory) has no valid org.yaml; run 'orgsync init' or pass --repo",
                               diagnostics: report.diagnostics.filter { $0.location.path.hasPrefix("org.") || $0.rule == .r(1) })
        }
        return (report, config)
    }
}
