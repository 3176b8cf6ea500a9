import ArgumentParser
import Foundation
import OrgModel
import OrgSync

enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case markdown
    case json

    var output: OutputFormat { self == .json ? .json : .text }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a change means: credits, balances, workspaces, access, keys, violations, approvals.",
        discussion: """
        With A..B (a pull request), the change is from the merge base of A and B to B, as a pull request \
        shows it; every commit of B that is not in A is checked, and each violation is listed with its commit. \
        A single REV is the change that commit made. Without a range, the change is the work tree's \
        uncommitted edits on top of HEAD, made by you (or --as).

        The approvals it lists come from policy.approvals in org.yaml at A (for the work tree, HEAD): a \
        change cannot loosen the rules that judge it. When A has moved on since B left it, the plan says so: \
        its balances are then of the change alone, not of the change merged into A. Check the approvals given with 'orgsync approvals check'.

        --format markdown writes a pull-request comment, under 65,000 characters: a larger plan is \
        summarized. Its first line is the marker <!-- orgsync-plan -->, so CI can update its own comment.

        Exit status: 0 when the plan was made, violations or not ('orgsync validate --range' is the gate); \
        2 on a usage or environment error.

        Examples:
          orgsync plan                                  # your uncommitted edits
          orgsync plan origin/main..HEAD                # the pull request of this branch
          orgsync plan "$BASE..$HEAD" --format markdown > plan.md
        """
    )

    @Argument(help: ArgumentHelp("A..B, or one revision (default: the work tree against HEAD).", valueName: "range"))
    var range: String?
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var actor: ActorOptions
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Approvals given so far: emails or @github-handles, to show which rules they meet.", valueName: "approver"))
    var approvedBy: [String] = []
    @Option(help: "Output for people (text), a pull-request comment (markdown), or machines (json).")
    var format: PlanFormat = .text

    func validate() throws {
        if range != nil, actor.actor != nil {
            throw ValidationError("--as names who makes uncommitted edits; a range's commits have their own authors")
        }
    }

    func run() throws {
        try Terminal.run(format: format.output) { () throws(OrgSyncError) in
            let reader = StateReader(directory: repository.repo)
            let plan: ChangePlan
            if let range {
                plan = try ChangePlan.range(range, in: reader, approvers: approvedBy)
            } else {
                plan = try ChangePlan.workTree(in: reader, actor: actor.actor, approvers: approvedBy)
            }
            switch format {
            case .text: Terminal.write(RenderPlan.text(plan, color: Terminal.colorsOut))
            case .markdown: Terminal.write(RenderPlan.markdown(plan))
            case .json: Terminal.write(RenderPlan.json(plan).rendered() + "\n")
            }
        }
    }
}

struct ApprovalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "Check a change's approvals against policy.approvals.",
        subcommands: [ApprovalsCheck.self]
    )
}

struct ApprovalsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report each approval rule a range meets and does not have the approvals for.",
        discussion: """
        A rule of policy.approvals in org.yaml applies when any of its conditions holds: a transfer of at \
        least transferAtLeast credits, a top-up, a mode change, an owner change (an owner added or removed, \
        the role given or taken, an owner's email or signing keys changed), or a changed file matching one \
        of its paths (globs: *, ?, **, and folder/ for everything below).

        Each approver is a member's email or @github-handle. An approval counts when the member is active \
        and has one of the rule's 'from' roles. Authors and committers of the range's commits never count, \
        and one member counts once per rule. Rules and roles are read at A, the branch the change goes \
        into, so a change cannot loosen the rules or make the approvers that judge it.

        A rule applies per event: two transfers of 4,000 do not meet transferAtLeast: 5000. A change that \
        alters who may approve under a rule (a member with one of its roles added, removed, or given \
        another role, email, GitHub handle or signing keys) needs that rule's approvals too. With a single \
        REV instead of A..B, the change is that one commit, judged by the rules of its parent.

        Exit status: 0 when every rule that applies has its approvals (or none applies); 1 when one does \
        not, or when A and B share no history; 2 on a usage or environment error.

        In CI, pass the approvals of the pull request (see samples/ci):
          orgsync approvals check --range "$BASE..$HEAD" --approved-by @ana-lopez @benokafor
        """
    )

    @Option(help: ArgumentHelp("The change: A..B, as for 'orgsync plan'.", valueName: "A..B"))
    var range: String
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Who approved: emails or @github-handles (repeatable).", valueName: "approver"))
    var approvedBy: [String] = []
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        var met = true
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let plan = try ChangePlan.range(range, in: StateReader(directory: repository.repo), approvers: approvedBy)
            met = plan.unmetApprovals.isEmpty
            switch output.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "range": .string(plan.title),
                    "base": plan.base.map { .string($0.hex) } ?? .null,
                    "authors": .array(plan.authors.map(JSONValue.string)),
                    "approved": .bool(met),
                    "rules": .array(plan.approvals.map(RenderPlan.json)),
                ]).rendered() + "\n")
            case .text:
                Terminal.write(RenderPlan.approvalsText(plan, color: Terminal.colorsOut))
            }
        }
        if !met { throw ExitCode.failure }
    }
}

struct CodeownersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codeowners",
        abstract: "Write a CODEOWNERS file from the organization's roles.",
        discussion: """
        Later lines win, as GitHub and GitLab read CODEOWNERS:
          *                 the owners (everything not listed below)
          org.yaml, providers.yaml, members/
                            the owners
          ledger/           the owners and billing
          workspaces/       the owners and admins
          workspaces/ID     that workspace's admins, when it has some, and the owners
        Members are listed by the github handle in members/<id>.yaml; those without one are named in a comment.

        Without --output, the file is printed. With --check, nothing is written: it exits 1 when the file at \
        --output is not what the roles give, so CI can catch a stale CODEOWNERS.

        Examples:
          orgsync codeowners --output .github/CODEOWNERS
          orgsync codeowners --output .github/CODEOWNERS --check
        """
    )

    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("Write the file here (relative to the current directory).", valueName: "path"))
    var output: String?
    @Flag(help: "Compare with the file at --output instead of writing it; exit 1 when it differs.")
    var check = false
    @OptionGroup var format: FormatOptions

    func validate() throws {
        if check, output == nil { throw ValidationError("--check compares with the file at --output; give --output PATH") }
    }

    func run() throws {
        var current = true
        try Terminal.run(format: format.format) { () throws(OrgSyncError) in
            let reader = state.reader
            let org = try Queries.report(state).organization
            let prefix = (try? reader.repository()).map { reader.prefix(in: $0) } ?? ""
            let owners = Codeowners(org, prefix: prefix)
            var status = "printed"
            if let output {
                let existing = FileManager.default.contents(atPath: output).map { String(decoding: $0, as: UTF8.self) }
                if check {
                    current = existing == owners.text
                    status = current ? "current" : existing == nil ? "missing" : "stale"
                } else if existing == owners.text {
                    status = "unchanged"
                } else {
                    try Self.write(owners.text, to: output)
                    status = "written"
                }
            }
            switch format.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "path": output.map(JSONValue.string) ?? .null,
                    "status": .string(status),
                    "text": .string(owners.text),
                    "unlisted": .array(owners.unlisted.map(JSONValue.string)),
                ]).rendered() + "\n")
            case .text:
                guard let output else { return Terminal.write(owners.text) }
                switch status {
                case "current": Terminal.write("\(output) is current.\n")
                case "missing": Terminal.write("\(output) is missing; write it with '\(Render.program) codeowners --output \(output)'.\n")
                case "stale": Terminal.write("\(output) is stale: the roles give another file; rewrite it with '\(Render.program) codeowners --output \(output)'.\n")
                case "unchanged": Terminal.write("\(output) is already current.\n")
                default: Terminal.write("Wrote \(output).\n")
                }
                if !owners.unlisted.isEmpty {
                    Terminal.write("Not listed, for want of a github handle: \(owners.unlisted.joined(separator: ", ")).\n")
                }
            }
        }
        if !current { throw ExitCode.failure }
    }

    /// Writes `text` to `path` whole or not at all: a temporary file beside it, then a rename.
    static func write(_ text: String, to path: String) throws(OrgSyncError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw OrgSyncError(.environment, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the semantic history: who moved, added, spent, created, deleted or granted what, and when.",
        discussion: """
        Newest first, one block per commit that changes the organization: its author (the member), time \
        and message, then what it did in domain terms. A merge shows only what it adds beyond its parents, \
        such as a re-stamped or dropped event; what it brings in is shown with the commits that made it.

        Examples:
          orgsync log --limit 10
          orgsync log --workspace chat-prod --since 2026-11-01
          orgsync log origin/main..HEAD --format json
        """
    )

    @Argument(help: ArgumentHelp("A revision or A..B (default: HEAD).", valueName: "range"))
    var range: String?
    @OptionGroup var repository: RepositoryOptions
    @Option(help: ArgumentHelp("Only changes that touch this workspace.", valueName: "id"))
    var workspace: String?
    @Option(help: ArgumentHelp("Only commits made at or after this date or time (YYYY-MM-DD or RFC 3339, UTC).", valueName: "date"))
    var since: String?
    @Option(help: ArgumentHelp("Only commits made at or before this date (the end of that day) or time.", valueName: "date"))
    var until: String?
    @Option(help: ArgumentHelp("Show at most this many commits.", valueName: "n"))
    var limit: Int?
    @OptionGroup var output: FormatOptions

    static func date(_ text: String?, endOfDay: Bool, option: String) throws -> Timestamp? {
        guard let text else { return nil }
        if let time = StateReader.instant(text, startOfDay: !endOfDay) { return time }
        throw ValidationError("\(option) takes a date (2026-11-21) or a time (2026-11-21T10:00:00Z), not '\(text)'")
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        _ = try Self.date(since, endOfDay: false, option: "--since")
        _ = try Self.date(until, endOfDay: true, option: "--until")
    }

    func run() throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            // Both were checked in validate(), so they parse here.
            let since = self.since.flatMap { StateReader.instant($0, startOfDay: true) }
            let until = self.until.flatMap { StateReader.instant($0) }
            var entries = try OrgHistory.log(range, in: StateReader(directory: repository.repo), since: since, until: until)
            if let workspace {
                entries = entries.compactMap { entry in
                    var entry = entry
                    entry.changes.changes = entry.changes.changes.filter { $0.workspaces.contains(workspace) }
                    return entry.changes.changes.isEmpty ? nil : entry
                }
            }
            if let limit { entries = Array(entries.prefix(limit)) }
            switch output.format {
            case .json: Terminal.write(JSONValue.array(entries.map(RenderPlan.json)).rendered() + "\n")
            case .text: Terminal.write(RenderPlan.text(entries, color: Terminal.colorsOut))
            }
        }
    }
}
