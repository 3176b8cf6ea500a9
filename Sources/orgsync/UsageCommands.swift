import ArgumentParser
import Foundation
import OrgModel
import OrgSync

extension Tool: ExpressibleByArgument {}
extension UsageGrouping: ExpressibleByArgument {}
extension UsageImport.Format: ExpressibleByArgument {}

struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Usage: charge it, import it, report it (R8, R12, U1–U4).",
        discussion: """
        Usage records live in usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl, one file per workspace, \
        writer and day, so concurrent writers never append to the same file (F6). A gateway charges through \
        the library (OrgSync.UsageGateway), in memory, and flushes its records to commits in batches.
        """,
        subcommands: [UsageRecordCommand.self, UsageImportCommand.self, UsageReportCommand.self]
    )
}

/// Parses an RFC 3339 UTC time argument.
func timeArgument(_ text: String) throws -> Timestamp {
    do {
        return try Timestamp(parsing: text)
    } catch {
        throw ValidationError("\(error)")
    }
}

struct UsageRecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Charge one usage record to a workspace, or refuse it as blocked.",
        discussion: """
        The charge is checked as a gateway checks it (U1):
          - the member is active and assigned to the workspace, as member or admin (viewers cannot spend);
          - in budget mode the workspace's own balance pays, in shared mode the Primary's (R5); a charge \
        that would take it below 0 is blocked (R8);
          - a daily, weekly or monthly cap (UTC) of the workspace, or of the member in it, is never passed (U4).
        A blocked charge prints 'blocked: …' with what is still available and exits 1; nothing is written.
        A charge that reaches a cap's alert threshold is recorded and says so.

        Examples:
          orgsync usage record --workspace chat-prod --member hana --tool chat --credits 12.5 --model claude-sonnet
          orgsync usage record --workspace chat-prod --member hana --tool image --credits 40 --id req-8f2c --as gateway@acme.example

        Needs the owner, admin or service role.

        \(writeDiscussion)
        """
    )
    @Option(help: ArgumentHelp("The workspace that spends.", valueName: "ws")) var workspace: String
    @Option(help: ArgumentHelp("The member who spent.", valueName: "id")) var member: String
    @Option(help: ArgumentHelp("chat, image, video, audio or speech.", valueName: "tool")) var tool: Tool
    @Option(help: ArgumentHelp("The amount: zero or more, with at most 4 decimals.", valueName: "n"), transform: creditsArgument) var credits: Credits
    @Option(help: ArgumentHelp("The record's id, an idempotency key (default: a new ULID).", valueName: "id")) var id: String?
    @Option(help: ArgumentHelp("When it was spent, RFC 3339 UTC (default: now).", valueName: "time"), transform: timeArgument) var at: Timestamp?
    @Option(help: "The model used, for reports.") var model: String?
    @Option(help: ArgumentHelp("Tokens used.", valueName: "n")) var tokens: Int?
    @Option(help: ArgumentHelp("The provider's cost, a decimal such as 0.0125.", valueName: "amount")) var cost: String?
    @Option(help: ArgumentHelp("Names the usage file written (default: your member id).", valueName: "name")) var writer: String?
    @OptionGroup var options: WriteOptions

    func run() throws {
        let time = at ?? .now()
        var ids = ULIDGenerator()
        let record = UsageRecord(id: id ?? ids.next(at: time), at: time, workspace: workspace, member: member, tool: tool, credits: credits,
                                 model: model, tokens: tokens, cost: cost, location: SourceLocation(path: "usage/\(workspace)"))
        try options.perform(.recordUsage(records: [record], writer: writer, source: .record))
    }
}

struct UsageImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import usage records from JSON Lines or CSV, idempotently by record id (U2).",
        discussion: """
        Each record has id, at, workspace, member, tool and credits, and optionally model, tokens and cost. \
        JSON Lines: one object per line. CSV: a header row naming those columns, in any order; an empty cell \
        is an absent field. The format comes from the extension (.jsonl, .ndjson, .json, .csv) or --input-format.

        Records whose id is already recorded, with the same content, are skipped: importing a file twice \
        adds nothing. The same id with other content is refused. Every problem is reported at its line, and \
        nothing is imported until the file is clean.

        An import records usage that already happened: the ledger replay checks every balance in (at, id) \
        order (R8), and the records go into the commit or none do. Caps are not enforced after the fact; \
        records that reach a cap's alert threshold or pass it are listed.

        Example:
          orgsync usage import gateway-2026-11-20.jsonl --writer gw-3

        Needs the owner, admin or service role.

        \(writeDiscussion)
        """
    )
    @Argument(help: ArgumentHelp("The file to import.", valueName: "file")) var file: String
    @Option(help: ArgumentHelp("jsonl or csv (default: from the file's extension).", valueName: "format")) var inputFormat: UsageImport.Format?
    @Option(help: ArgumentHelp("Names the usage files written (default: your member id).", valueName: "name")) var writer: String?
    @OptionGroup var options: WriteOptions

    func run() throws {
        try Terminal.run(format: options.output.format) { () throws(OrgSyncError) in
            guard let format = inputFormat ?? UsageImport.Format(path: file) else {
                throw OrgSyncError(.environment, "cannot tell the format of '\(file)' from its name; pass --input-format jsonl or csv")
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw OrgSyncError(.environment, "cannot read '\(file)'; check the path and its permissions")
            }
            let (records, problems) = UsageImport.parse([UInt8](data), format: format, path: file)
            guard !problems.hasErrors else {
                throw OrgSyncError(.refused, "\(file) has \(Render.plural(problems.filter { $0.severity == .error }.count, "problem")) (above); nothing was imported",
                                   diagnostics: problems)
            }
            let reader = StateReader(directory: options.repository.repo)
            let head = Validator.validate(try reader.revision("HEAD")).organization
            let (new, known, conflicts) = UsageImport.newRecords(records, in: head)
            guard conflicts.isEmpty else {
                throw OrgSyncError(.refused, "\(Render.plural(conflicts.count, "record id")) of \(file) \(conflicts.count == 1 ? "is" : "are") already used by other records (above); nothing was imported",
                                   diagnostics: conflicts)
            }
            guard !new.isEmpty else {
                switch options.output.format {
                case .json:
                    Terminal.write(JSONValue.object(["imported": .int(0), "alreadyRecorded": .int(known), "commit": .null]).rendered() + "\n")
                case .text:
                    Terminal.write("Nothing to import: \(records.isEmpty ? "\(file) has no records" : "all \(Render.plural(records.count, "record")) of \(file) are already recorded").\n")
                }
                return
            }
            let outcome = try Administrator(reader: reader, actorEmail: options.actor.actor)
                .perform(.recordUsage(records: new, writer: writer, source: .import), dryRun: options.dryRun)
            switch options.output.format {
            case .json:
                var json = Render.json(outcome)
                if case .object(var fields) = json {
                    fields["imported"] = .int(new.count)
                    fields["alreadyRecorded"] = .int(known)
                    json = .object(fields)
                }
                Terminal.write(json.rendered() + "\n")
            case .text:
                if known > 0 { Terminal.write("\(Render.plural(known, "record")) of \(file) \(known == 1 ? "is" : "are") already recorded and skipped.\n") }
                Terminal.write(Render.text(outcome))
            }
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, csv, json, markdown

    init?(argument: String) {
        self.init(rawValue: argument == "table" ? "text" : argument == "md" ? "markdown" : argument)
    }
}

struct UsageReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Total usage by workspace, member, tool or day, with charts (U3).",
        discussion: """
        Every row is split by tool. Usage of deleted workspaces, whose records were removed with them, is \
        counted from their tombstones at the time of deletion (R10), in its own column. Without --since and \
        --until the total equals the ledger replay's consumption, to the last ten-thousandth.

        --since and --until take a date (YYYY-MM-DD, UTC: from the start of --since to the end of --until) \
        or an RFC 3339 time. Both ends are included.

        Examples:
          orgsync usage report --by workspace
          orgsync usage report --by day --since 2026-11-01 --until 2026-11-30 --svg november.svg
          orgsync usage report --by member --format csv > members.csv
          orgsync usage report --by workspace --html usage.html      # one self-contained page, charts and tables
        """
    )
    @Option(help: ArgumentHelp("workspace, member, tool or day.", valueName: "grouping")) var by: UsageGrouping = .workspace
    @Option(help: ArgumentHelp("Count usage from this date or time on.", valueName: "date")) var since: String?
    @Option(help: ArgumentHelp("Count usage up to this date or time.", valueName: "date")) var until: String?
    @Option(help: ArgumentHelp("text (a table), csv, json or markdown.", valueName: "format")) var format: ReportFormat = .text
    @Option(help: ArgumentHelp("Also write a bar chart, stacked by tool, as SVG.", valueName: "file")) var svg: String?
    @Option(help: ArgumentHelp("Also write one self-contained HTML page with the charts and tables.", valueName: "file")) var html: String?
    @OptionGroup var state: StateOptions

    func validate() throws {
        if let since, StateReader.instant(since, startOfDay: true) == nil { throw ValidationError("--since '\(since)' is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ)") }
        if let until, StateReader.instant(until) == nil { throw ValidationError("--until '\(until)' is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ)") }
    }

    func run() throws {
        try Terminal.run(format: format == .json ? .json : .text) { () throws(OrgSyncError) in
            let start = since.flatMap { StateReader.instant($0, startOfDay: true) }
            // A date alone runs to the last instant of its day, fractions of a second included.
            let end = until.flatMap { text in
                StateReader.instant(text).map { text.utf8.count == 10 ? Timestamp(seconds: $0.seconds, nanoseconds: 999_999_999) : $0 }
            }
            if let start, let end, end < start { throw OrgSyncError(.environment, "--until \(until ?? "") is before --since \(since ?? "")") }
            let (report, config) = try Queries.organization(state)
            guard let replay = report.replay, replay.failure == nil else {
                throw OrgSyncError(.refused, "the ledger cannot be replayed until these errors are fixed, so usage totals would not be exact",
                                   diagnostics: report.diagnostics.filter { $0.severity == .error })
            }
            let usage: UsageReport
            do throws(CreditsError) {
                usage = try UsageReport(report.organization, by: by, since: start, until: end)
            } catch {
                throw OrgSyncError(.refused, "usage totals pass what credits can hold: \(error)")
            }
            let title = "\(config.name): usage by \(by.rawValue)"
            switch format {
            case .text: Terminal.write(RenderUsage.text(usage, title: title))
            case .csv: Terminal.write(RenderUsage.csv(usage))
            case .json: Terminal.write(RenderUsage.json(usage).rendered() + "\n")
            case .markdown: Terminal.write(RenderUsage.markdown(usage, title: title))
            }
            if let svg { try AtomicFile.write(Array(RenderUsage.chart(usage, title: title).svg().utf8), to: svg) }
            if let html { try AtomicFile.write(Array(RenderUsage.page(usage, title: title).utf8), to: html) }
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export one workspace's data alone: configuration, usage and balance history (R13).",
        discussion: """
        For client billing and confidentiality: nothing of any other workspace is written. The export has \
        the workspace's file, the members it names, its usage files, balance-history.csv (every change to \
        its balance and every usage, in replay order) and manifest.json. Ledger files are not copied, since \
        a transfer names its other workspace: the history says "another workspace" and leaves out memos.

        DIR must not exist or be empty; the export appears there whole, or not at all.

        Examples:
          orgsync export --workspace chat-prod --output exports/chat-prod
          orgsync export --workspace chat-prod --output exports/chat-prod-october --at 2026-10-31
        """
    )
    @Option(help: ArgumentHelp("The workspace to export.", valueName: "ws")) var workspace: String
    @Option(help: ArgumentHelp("The folder to create.", valueName: "dir")) var output: String
    @OptionGroup var state: StateOptions
    @OptionGroup var format: FormatOptions

    func run() throws {
        try Terminal.run(format: format.format) { () throws(OrgSyncError) in
            let revision = try state.revision()
            let export = try WorkspaceExport(workspace, from: OrgState(try state.reader.snapshot(revision: revision)), revision: revision)
            try export.write(to: output)
            let directory = URL(fileURLWithPath: output).standardizedFileURL.path
            switch format.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "workspace": .string(workspace),
                    "directory": .string(directory),
                    "balance": .credits(export.balance),
                    "consumed": .credits(export.consumed),
                    "files": .array(export.files.keys.sorted().map { .string($0) }),
                ]).rendered() + "\n")
            case .text:
                Terminal.write("Exported workspace '\(workspace)' to \(directory): \(Render.plural(export.files.count, "file")), balance \(export.balance.formatted), consumed \(export.consumed.formatted)\n")
                for path in export.files.keys.sorted() where !path.hasPrefix("usage/") { Terminal.write("  \(path)\n") }
                let usageFiles = export.files.keys.filter { $0.hasPrefix("usage/") }.count
                if usageFiles > 0 { Terminal.write("  usage/\(workspace)/… (\(Render.plural(usageFiles, "file")))\n") }
            }
        }
    }
}
