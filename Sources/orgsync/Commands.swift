import ArgumentParser
import Foundation
import OrgModel
import OrgSync

extension CreditMode: ExpressibleByArgument {}

/// Parses a `--credits` value, saying what is wrong with a bad one (F2).
func creditsArgument(_ text: String) throws -> Credits {
    do {
        return try Credits(parsing: text)
    } catch {
        throw ValidationError("\(error)") // ArgumentParser names the option and the value before it
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new organization repository.",
        discussion: """
        Creates org.yaml, the Primary Workspace, the owner as a member, an optional top-up and mode event, \
        and the first commit. DIR may be missing, empty, or a git repository without organization files.

        The owner is --owner, or your git identity (git config user.email).

        Example:
          orgsync init acme-org --name "Acme Corp" --owner ana@acme.example --mode budget --credits 10000
        """
    )

    @Argument(help: ArgumentHelp("The folder to create the organization in.", valueName: "dir"))
    var directory: String = "."

    @Option(help: "The organization's display name.")
    var name: String

    @Option(help: "The organization's id (default: made from the name).")
    var id: String?

    @Option(help: ArgumentHelp("The first owner's email (default: git config user.email).", valueName: "email"))
    var owner: String?

    @Option(help: "The credit mode to start in: shared or budget.")
    var mode: CreditMode = .shared

    @Option(help: ArgumentHelp("Credits to add to the Primary Workspace at once.", valueName: "n"), transform: creditsArgument)
    var credits: Credits?

    @Option(help: ArgumentHelp("The Primary Workspace's id.", valueName: "id"))
    var primary: String = "primary"

    @Option(help: "The Primary Workspace's display name.")
    var primaryName: String = "Primary Workspace"

    @OptionGroup var output: FormatOptions

    func run() throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            var options = InitOptions(directory: directory, name: name)
            options.id = id
            options.ownerEmail = owner
            options.mode = mode
            options.credits = credits
            options.primaryID = primary
            options.primaryName = primaryName
            let result = try Initializer.run(options)
            switch output.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "directory": .string(result.directory),
                    "commit": .string(result.commit.hex),
                    "organization": .string(result.organization),
                    "owner": .string(result.owner),
                    "primary": .string(result.primary),
                    "files": .array(result.files.map { .string($0) }),
                ]).rendered() + "\n")
            case .text:
                Terminal.write("Created organization '\(name)' (\(result.organization)) in \(result.directory)\n")
                for file in result.files { Terminal.write("  \(file)\n") }
                Terminal.write("Committed \(result.commit.hex.prefix(7)) as the owner '\(result.owner)'.\n")
                Terminal.write("Next: \(Render.program) status --repo \(result.directory)\n")
            }
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an organization against every rule.",
        discussion: """
        Reports every problem as 'path:line:col: error: [RULE] message' and exits 1 when any error is found.

        What it checks:
          (default)      the work tree: the state rules (R1–R16, F1–F6, references, secrets, the ledger replay)
          --rev REV      the commit REV names, read straight from git objects
          --staged       what 'git commit' would record now: the index's state, and its transition from HEAD
                         (T1–T4) as the committing identity (git config user.email, or --as)
          --range A..B   every commit of B that is not in A, oldest first: its state, its transition from its
                         parents, and its author's rights. A failure names the commit. A single REV checks
                         every commit reachable from it.

        In CI, check a pull request with:
          orgsync validate --range origin/main..HEAD
        """
    )

    @OptionGroup var state: StateOptions
    @Flag(help: "Check the staged changes and their transition from HEAD, as the pre-commit hook does.")
    var staged = false
    @Option(help: ArgumentHelp("Check every commit in A..B: state, transition and author.", valueName: "A..B"))
    var range: String?
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        let modes = [state.rev != nil ? "--rev" : state.at != nil ? "--at" : nil, staged ? "--staged" : nil, range != nil ? "--range" : nil].compactMap { $0 }
        if modes.count > 1 {
            throw ValidationError("\(modes.joined(separator: " and ")) cannot be combined; pick one state to check")
        }
        if let actor = actor.actor {
            guard staged else {
                throw ValidationError("--as names who makes the commit being checked, so it goes with --staged (--range checks each commit's own author)")
            }
            guard actor.contains("@"), !actor.contains(where: \.isWhitespace) else {
                throw ValidationError("--as takes a member's email, such as ana@acme.example, not '\(actor)'")
            }
        }
    }

    func run() throws {
        var valid = true
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let reader = state.reader
            if let range {
                let repository = try reader.repository()
                let verdicts = try CommitChecker(repository: repository, prefix: reader.prefix(in: repository))
                    .check(range: range.trimmingCharacters(in: .whitespaces))
                valid = verdicts.allSatisfy(\.isValid)
                switch output.format {
                case .json:
                    Terminal.write(JSONValue.object([
                        "valid": .bool(valid),
                        "range": .string(range),
                        "commits": .array(verdicts.map(Render.json)),
                    ]).rendered() + "\n")
                case .text:
                    Terminal.write(Render.text(verdicts, color: Terminal.colorsOut))
                    let failed = verdicts.filter { !$0.isValid }.count
                    if failed == 0 {
                        Terminal.write("\(Terminal.green("valid")): \(Render.plural(verdicts.count, "commit")) in \(range)\n")
                    } else {
                        Terminal.write("\(Terminal.red("invalid")): \(failed) of \(Render.plural(verdicts.count, "commit")) in \(range) \(failed == 1 ? "breaks" : "break") a rule\n")
                    }
                }
                return
            }
            let diagnostics: [Diagnostic]
            let org: Organization
            let location: String
            var author: String?
            if staged {
                let (result, email) = try CommitChecker.checkStaged(in: reader, actor: actor.actor, environment: ProcessInfo.processInfo.environment)
                author = email
                diagnostics = result.diagnostics
                org = result.state.organization
                location = "staged changes in \(reader.directory) as \(email)"
            } else {
                // A revision is pinned to its commit first, so the summary kept for later checks is that commit's.
                let commit = try state.revision().map { revision throws(OrgSyncError) in try StateCache.commit(revision, in: reader) }
                let snapshot = try reader.snapshot(revision: commit)
                let report = Validator.validate(snapshot)
                ProcessLifetime.keep(snapshot, report)
                if let commit { StateCache.remember(report, of: commit, in: reader) }
                diagnostics = report.diagnostics
                org = report.organization
                location = (state.at ?? state.rev).map { "\(reader.directory) at \($0)" } ?? reader.directory
            }
            valid = !diagnostics.hasErrors
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            switch output.format {
            case .json:
                var fields: [String: JSONValue] = [
                    "valid": .bool(valid),
                    "state": .string(staged ? "staged" : state.at ?? state.rev ?? "work tree"),
                    "errors": .int(errors),
                    "warnings": .int(warnings),
                    "diagnostics": DiagnosticRenderer.jsonValue(diagnostics),
                    "counts": Render.counts(org),
                ]
                if let author { fields["author"] = .string(author) }
                Terminal.write(JSONValue.object(fields).rendered() + "\n")
            case .text:
                Terminal.write(DiagnosticRenderer.text(diagnostics, color: Terminal.colorsOut))
                let warningText = warnings > 0 ? ", \(Render.plural(warnings, "warning"))" : ""
                if valid {
                    let summary = [Render.plural(org.workspaces.count, "workspace"), Render.plural(org.members.count, "member"),
                                   Render.plural(org.events.count, "ledger event"), Render.plural(org.usage.count, "usage record")].joined(separator: ", ")
                    Terminal.write("\(Terminal.green("valid")): \(location) (\(summary))\(warningText)\n")
                } else {
                    Terminal.write("\(Terminal.red("invalid")): \(location): \(Render.plural(errors, "error"))\(warningText)\n")
                }
            }
        }
        if !valid { throw ExitCode.failure }
    }
}

struct Balances: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every workspace's balance, replayed from the ledger.",
        discussion: """
        Balances are never stored: they come from replaying every event and usage record in (at, id) \
        order. The Primary's balance is derived (R6): added − transferred out + transferred in − usage.

        Travel in time with --at: a revision, or a date, which picks the last commit on the current \
        branch at or before it (what the branch held then).

        Examples:
          orgsync balances
          orgsync balances --at 2026-11-01              # at the end of 1 November, UTC
          orgsync balances --at HEAD~5 --format json
        """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let picked = try state.at.map { at throws(OrgSyncError) in try state.reader.revision(at: at) }
            let report = Validator.validate(try state.reader.snapshot(revision: picked?.commit.hex ?? state.rev))
            guard let sheet = BalanceSheet(report) else {
                throw OrgSyncError(.refused, "the ledger cannot be replayed until these errors are fixed",
                                   diagnostics: report.diagnostics.filter { $0.severity == .error })
            }
            let caps = SpendingMeter(report.organization).statuses(at: state.now)
            switch output.format {
            case .json:
                var json = Render.json(sheet)
                if case .object(var fields) = json {
                    if let picked { fields["at"] = .object(["requested": .string(state.at ?? ""), "commit": .string(picked.commit.hex)]) }
                    fields["caps"] = .array(caps.map(Render.json))
                    json = .object(fields)
                }
                Terminal.write(json.rendered() + "\n")
            case .text:
                if let picked { Terminal.write("As of \(picked.description)\n\n") }
                Terminal.write(Render.text(sheet))
                if !caps.isEmpty { Terminal.write("\n" + Render.text(caps, at: state.now)) }
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize the organization: mode, Primary, counts, validity, and a merge in progress.",
        discussion: """
        During a merge, also lists each conflict and violation left to settle, with its id for 'orgsync \
        resolve', and exits 1 until none is left.
        """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        var settled = true
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let reader = state.reader
            let (report, config) = try Queries.organization(state)
            let revision = try state.revision()
            var location = reader.gitLocation(revision: revision)
            if let at = state.at { location?.revision = at }
            let status = OrgStatus(report: report, config: config, location: location, now: state.now)
            // A merge in progress is part of the work tree's status, not of a commit's.
            let merge = revision == nil ? try Merger(reader: reader).current() : nil
            settled = merge?.isSettled ?? true
            switch output.format {
            case .json:
                var json = Render.json(status)
                if case .object(var fields) = json {
                    fields["merge"] = merge.map(RenderMerge.json) ?? .null
                    json = .object(fields)
                }
                Terminal.write(json.rendered() + "\n")
            case .text:
                Terminal.write(Render.text(status))
                if let merge { Terminal.write("\n" + RenderMerge.text(merge)) }
            }
        }
        if !settled { throw ExitCode.failure }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the main job on the embedded sample organization.",
        discussion: """
        Copies the sample organization (samples/acme) into a new git repository, commits it, validates \
        the commit from git objects and replays its ledger into balances. Then two admins edit it offline on \
        two branches, and the semantic merge takes every field edit where git's line merge would conflict, \
        and explains the one violation their transfers make together. Last, the repository is published to \
        a bare remote with the server hook (in DIR-sync), cloned for the admin, and both work offline and \
        'orgsync sync'. The repositories are kept so you can explore them with the other commands.
        """
    )

    @Option(help: ArgumentHelp("Where to create the demo repository (default: a new temporary folder).", valueName: "dir"))
    var output: String?
    @OptionGroup var format: FormatOptions

    func run() throws {
        var valid = true
        try Terminal.run(format: format.format) { () throws(OrgSyncError) in
            let result = try OrgSync.Demo.run(in: output, executable: try? HooksInstall.executablePath())
            valid = result.report.isValid
            switch format.format {
            case .json:
                var fields: [String: JSONValue] = [
                    "directory": .string(result.directory),
                    "commit": .string(result.commit.hex),
                    "valid": .bool(result.report.isValid),
                    "diagnostics": DiagnosticRenderer.jsonValue(result.report.diagnostics),
                    "counts": Render.counts(result.report.organization),
                ]
                if let sheet = result.sheet { fields["balances"] = Render.json(sheet) }
                if let story = result.offline {
                    fields["offline"] = .object([
                        "branches": .array([story.ours, story.theirs].map { side in
                            .object(["admin": .string(side.admin), "branch": .string(side.branch), "operations": .array(side.did.map { .string($0) })])
                        }),
                        "file": .string(story.file),
                        "lineMergeConflicts": .bool(story.lineMergeConflicts),
                        "merge": RenderMerge.json(story.outcome),
                        "settled": .string(story.settled),
                        "commit": .string(story.commit.hex),
                    ])
                }
                if let story = result.sync {
                    fields["sync"] = .object([
                        "remote": .string(story.remote),
                        "clone": .string(story.clone),
                        "published": Sync.json(story.published),
                        "offline": .array([story.admin, story.owner].map { side in
                            .object(["admin": .string(side.admin), "operations": .array(side.did.map { .string($0) })])
                        }),
                        "syncs": .array([story.ownerSync, story.adminSync, story.catchUp].map(Sync.json)),
                        "head": .string(story.head.hex),
                        "valid": .bool(story.valid),
                    ])
                }
                if let reason = result.syncSkipped { fields["syncSkipped"] = .string(reason) }
                Terminal.write(JSONValue.object(fields).rendered() + "\n")
            case .text:
                Terminal.write(Render.demo(result))
            }
        }
        if !valid { throw ExitCode.failure }
    }
}
