import ArgumentParser
import Foundation
import OrgModel
import OrgSync

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a branch into the current one by the meaning of its files, not their lines.",
        discussion: """
        Merges REV into HEAD's branch in process: libgit2 merges every file only one side changed (its bytes \
        kept as they are, comments included), and orgsync merges each organization file both sides changed:
          - entity files field by field; workspace members by member, keys by id, settings key by key;
          - ledger events and usage records as the union of both sides, by id;
          - balances are never merged: the merged ledger is replayed.

        A CONFLICT is one thing set to different values on each side (a field, an event id written twice, a \
        workspace deleted on one side and edited on the other). A VIOLATION is a merged state that breaks a \
        rule although neither side did alone: two transfers that each fit but together overdraw, a transfer \
        into a workspace the other side deleted, an assignment of a member the other side removed.

        With neither, the merge is committed at once. Otherwise the merge stays in progress, as git leaves \
        one: the files hold our value of each conflicted field (never conflict markers; for a deletion, the \
        tombstone), conflicted files stay unmerged in the index, and .git/orgsync/merge.json lists each conflict and violation with an id. \
        'orgsync status' shows them, 'orgsync resolve ID' settles them one by one, and 'orgsync merge \
        --continue' (or 'git commit', through the hooks) concludes the merge. 'orgsync merge --abort' puts \
        everything back.

        Plain 'git merge' and 'git pull' use the same merge through the merge driver ('orgsync hooks install').

        Examples:
          orgsync merge origin/main
          orgsync merge --continue
          orgsync merge --abort
        """
    )

    @Argument(help: ArgumentHelp("The branch or commit to merge in.", valueName: "rev"))
    var revision: String?
    @Flag(help: "Abandon the merge in progress: the files it touched go back to HEAD's versions.")
    var abort = false
    @Flag(name: .customLong("continue"), help: "Commit the merge in progress once 'orgsync status' lists nothing to settle (checked like any commit).")
    var continueMerge = false
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if abort, continueMerge { throw ValidationError("pass --abort or --continue, not both") }
        if abort || continueMerge, revision != nil { throw ValidationError("--\(abort ? "abort" : "continue") takes no revision") }
        if !abort, !continueMerge, revision == nil { throw ValidationError("name the branch or commit to merge (orgsync merge REV), or pass --abort or --continue") }
    }

    func run() throws {
        var settled = true
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let merger = Merger(reader: StateReader(directory: repository.repo), actorEmail: actor.actor)
            if abort {
                let restored = try merger.abort()
                switch output.format {
                case .json: Terminal.write(JSONValue.object(["aborted": .bool(true), "restored": .array(restored.map { .string($0) })]).rendered() + "\n")
                case .text: Terminal.write("Aborted the merge; \(Render.plural(restored.count, "file")) put back as HEAD has \(restored.count == 1 ? "it" : "them").\n")
                }
                return
            }
            if continueMerge {
                let commit = try merger.continueMerge()
                switch output.format {
                case .json: Terminal.write(JSONValue.object(["commit": .string(commit.hex)]).rendered() + "\n")
                case .text: Terminal.write("Committed the merge \(commit.hex.prefix(7)).\n")
                }
                return
            }
            let outcome = try merger.merge(revision ?? "HEAD")
            settled = outcome.result != .stopped
            switch output.format {
            case .json: Terminal.write(RenderMerge.json(outcome).rendered() + "\n")
            case .text: Terminal.write(RenderMerge.text(outcome, revision: revision ?? "HEAD"))
            }
        }
        if !settled { throw ExitCode.failure }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settle one conflict or violation of the merge in progress.",
        discussion: """
        A conflict settles with --take ours or --take theirs: that side's value is written into the file \
        (canonically), and once none of the file's conflicts is left the file is staged. To keep a value of \
        your own, edit the file and settle with --edited. A workspace deleted on one side and edited on the \
        other settles only for the deletion: a tombstone cannot be revived.

        A violation settles with --drop ID: the event (its ledger file) or the usage record (its line) \
        leaves the merge. Drop your own, unpublished events rather than published ones; a server with \
        orgsync's hook refuses a push that drops an event its branch already has. If the violation is still \
        there afterwards (another event has to go too), resolve says so and exits 1. A violation also goes \
        away when the files no longer break the rule, however you change them.

        Violations are rechecked after each step. When 'orgsync status' lists nothing, commit the merge with \
        'git commit'.

        Examples:
          orgsync resolve C1 --take theirs
          orgsync resolve C2 --edited
          orgsync resolve V3 --drop 01JD0000000000000000000010
        """
    )

    @Argument(help: ArgumentHelp("The conflict or violation, as 'orgsync status' lists it (C1, V2).", valueName: "id"))
    var id: String
    @Option(help: ArgumentHelp("Settle a conflict with this side's value: ours or theirs.", valueName: "side"))
    var take: SideArgument?
    @Option(help: ArgumentHelp("Settle a violation by dropping this event or usage record from the merge.", valueName: "event-id"))
    var drop: String?
    @Flag(help: "Settle a conflict with the file as you edited it by hand (it must read); the file is staged.")
    var edited = false
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: FormatOptions

    enum SideArgument: String, ExpressibleByArgument, CaseIterable {
        case ours, theirs
    }

    func validate() throws {
        if [take != nil, drop != nil, edited].filter({ $0 }).count != 1 {
            throw ValidationError("pass exactly one of --take ours|theirs or --edited (a conflict) and --drop ID (a violation)")
        }
    }

    func run() throws {
        var settled = true
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let outcome = try Merger(reader: StateReader(directory: repository.repo))
                .resolve(id, take: take.flatMap { MergeSide(rawValue: $0.rawValue) }, drop: drop, edited: edited)
            settled = outcome.isSettled
            switch output.format {
            case .json:
                Terminal.write(JSONValue.object(["id": .string(outcome.settled), "settled": .bool(outcome.isSettled), "action": .string(outcome.action),
                                                 "merge": RenderMerge.json(outcome.report)]).rendered() + "\n")
            case .text:
                var text = outcome.isSettled
                    ? "Settled \(outcome.settled): \(outcome.action).\n"
                    : "\(outcome.action.prefix(1).uppercased() + outcome.action.dropFirst()), but \(outcome.settled) is not settled yet: what is left of it is below.\n"
                text += outcome.report.isSettled
                    ? "Nothing is left to settle; commit the merge with 'orgsync merge --continue' or 'git commit'.\n"
                    : "\n" + RenderMerge.text(outcome.report)
                Terminal.write(text)
            }
        }
        if !settled { throw ExitCode.failure }
    }
}

struct MergeDriver: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-driver",
        abstract: "The git merge driver for organization files (git calls it; see 'hooks install').",
        discussion: """
        Git runs it as 'orgsync merge-driver %O %A %B %P' for the paths .gitattributes routes to it, for each \
        file both sides of a merge changed. It merges the three versions as 'orgsync merge' does (field by \
        field, records by id), writes the result over OURS, and exits 0 when nothing conflicts. On a conflict \
        the file keeps our value (no markers), the conflict is recorded in .git/orgsync/merge.json, and it \
        exits 1 so git stops the merge: 'orgsync status' lists it and 'orgsync resolve' settles it. A version \
        that does not read is named with its problem (path:line:column, rule, message). The file it writes is \
        checked on its own too: one that breaks a rule by itself (syntax, an unknown key, a bad value, a \
        secret) is a conflict that holds the merge, to fix by hand ('orgsync resolve ID --edited') or settle \
        by taking a side.

        Violations need the whole organization, not one file: the pre-merge-commit and pre-commit hooks \
        find them when git commits the merge.
        """
    )

    @Argument(help: ArgumentHelp("The common ancestor's version (%O).", valueName: "base")) var base: String
    @Argument(help: ArgumentHelp("Our version (%A); receives the result.", valueName: "ours")) var ours: String
    @Argument(help: ArgumentHelp("Their version (%B).", valueName: "theirs")) var theirs: String
    @Argument(help: ArgumentHelp("The path being merged (%P).", valueName: "path")) var path: String

    func run() throws {
        let conflicts: [MergeReport.Conflict]
        do {
            conflicts = try Merger.mergeDriver(base: base, ours: ours, theirs: theirs, path: path,
                                               directory: FileManager.default.currentDirectoryPath)
        } catch {
            throw Terminal.fail(error, format: .text)
        }
        guard !conflicts.isEmpty else { return }
        for conflict in conflicts {
            let holds = conflict.kind == MergeConflict.Kind.invalid.rawValue
                ? "the file holds the merge: fix it and settle with --edited, or take a side"
                : "the file keeps \(conflict.kept == "ours" ? "ours" : "theirs")"
            Terminal.writeError("orgsync: \(conflict.id) \(conflict.location): \(conflict.message); \(holds)".printable + "\n")
        }
        let sides = Set(conflicts.flatMap(\.takeable)).sorted().joined(separator: "|")
        Terminal.writeError("orgsync: settle with 'orgsync resolve ID --take \(sides)' ('orgsync status' lists them), then commit\n")
        throw ExitCode.failure
    }
}

/// Text and JSON for merges and their reports.
enum RenderMerge {
    static func text(_ outcome: MergeOutcome, revision: String) -> String {
        let short = String(outcome.theirs.hex.prefix(10))
        var out = ""
        switch outcome.result {
        case .upToDate:
            return "Already up to date: \(revision) (\(short)) is part of HEAD's history.\n"
        case .fastForward:
            out += "Fast-forwarded to \(revision) (\(short)): \(Render.plural(outcome.changed.count, "file")) changed.\n"
        case .merged:
            out += "Merged \(revision) (\(short)) with no conflicts and no violations.\n"
            if !outcome.mergedFiles.isEmpty {
                out += "  \(Render.plural(outcome.mergedFiles.count, "file")) changed on both sides, merged field by field:\n"
                for path in outcome.mergedFiles.prefix(8) { out += "    \(path)\n" }
                if outcome.mergedFiles.count > 8 { out += "    … and \(outcome.mergedFiles.count - 8) more\n" }
            }
        case .stopped:
            if let report = outcome.report { out += text(report) }
        }
        if !outcome.restamped.isEmpty {
            out += "  Re-stamped \(Render.plural(outcome.restamped.count, "unpublished event")) of yours to replay after the published ones (S3):\n"
            for change in outcome.restamped { out += "    \(change.event) → \(change.newEvent), at \(change.at)\n" }
        }
        if outcome.result != .stopped { out += Render.balances(outcome.balances.filter { $0.before != $0.after }) }
        if let commit = outcome.commit, outcome.result == .merged { out += "Committed \(commit.hex.prefix(7)).\n" }
        return out
    }

    static func text(_ report: MergeReport) -> String {
        var out = "Merge in progress: \(report.theirs.map { String($0.prefix(10)) } ?? "?") into \(report.head.prefix(10)); "
        out += report.isSettled ? "nothing left to settle; commit it with 'orgsync merge --continue' or 'git commit'.\n"
            : "\(Render.plural(report.conflicts.count, "conflict")) and \(Render.plural(report.violations.count, "violation")) to settle.\n"
        for conflict in report.conflicts {
            out += "\n  \(conflict.id)  conflict  \(conflict.location)\n"
            out += "      \(conflict.message.printable)\n"
            if !conflict.field.isEmpty || conflict.kind == "record" {
                out += "      base: \(conflict.base ?? "(none)")\n"
                out += "      ours: \(conflict.ours ?? "(none)")\(conflict.kept == "ours" ? "  (what the merge wrote)" : "")\n"
                out += "      theirs: \(conflict.theirs ?? "(none)")\(conflict.kept == "theirs" ? "  (what the merge wrote)" : "")\n"
            }
            out += "      settle: orgsync resolve \(conflict.id) --take \(conflict.takeable.joined(separator: "|"))\(conflict.kind == "delete-edit" ? "" : ", or edit the file and --edited")\n"
        }
        for violation in report.violations {
            out += "\n  \(violation.id)  violation  [\(violation.rule)] \(violation.location)\n"
            out += "      \(violation.message.printable)\n"
            for cause in violation.causes {
                out += "      \(cause.side): \(cause.kind == "file" ? cause.summary : "\(cause.kind) \(cause.id), \(cause.summary)")\n"
            }
            for cause in violation.causes where cause.droppable {
                out += "      fix: orgsync resolve \(violation.id) --drop \(cause.id)   (ours, not published yet)\n"
            }
            for cause in violation.causes where cause.publishedOn != nil {
                out += "      note: \(cause.id) is published on \(cause.publishedOn ?? ""), so it stays; to drop the other side's instead, merge the other way round (check out that branch and merge this one into it)\n"
            }
            for fix in violation.fixes { out += "      fix: \(fix)\n" }
        }
        return out
    }

    static func json(_ report: MergeReport) -> JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            "head": .string(report.head),
            "theirs": optional(report.theirs),
            "settled": .bool(report.isSettled),
            "conflicts": .array(report.conflicts.map { conflict in
                .object(["id": .string(conflict.id), "kind": .string(conflict.kind), "path": .string(conflict.path),
                         "field": .string(conflict.field.isEmpty ? "" : conflict.fieldPath.description),
                         "base": optional(conflict.base), "ours": optional(conflict.ours), "theirs": optional(conflict.theirs),
                         "kept": .string(conflict.kept), "takeable": .array(conflict.takeable.map { .string($0) }),
                         "message": .string(conflict.message)])
            }),
            "violations": .array(report.violations.map { violation in
                .object(["id": .string(violation.id), "rule": .string(violation.rule), "message": .string(violation.message),
                         "location": .string(violation.location.description),
                         "causes": .array(violation.causes.map { cause in
                             .object(["kind": .string(cause.kind), "id": .string(cause.id), "side": .string(cause.side),
                                      "path": .string(cause.path), "summary": .string(cause.summary), "droppable": .bool(cause.droppable),
                                      "publishedOn": cause.publishedOn.map { .string($0) } ?? .null,
                                      "command": cause.droppable ? .string("orgsync resolve \(violation.id) --drop \(cause.id)") : .null])
                         }),
                         "fixes": .array(violation.fixes.map { .string($0) })])
            }),
        ])
    }

    static func json(_ outcome: MergeOutcome) -> JSONValue {
        var fields: [String: JSONValue] = [
            "result": .string({
                switch outcome.result {
                case .upToDate: return "up-to-date"
                case .fastForward: return "fast-forward"
                case .merged: return "merged"
                case .stopped: return "stopped"
                }
            }()),
            "theirs": .string(outcome.theirs.hex),
            "commit": outcome.commit.map { .string($0.hex) } ?? .null,
            "mergedFiles": .array(outcome.mergedFiles.map { .string($0) }),
            "changed": .array(outcome.changed.map { .string($0) }),
            "balances": .array(outcome.balances.filter { $0.before != $0.after }.map { change in
                .object(["workspace": .string(change.workspace),
                         "before": change.before.map(JSONValue.credits) ?? .null,
                         "after": change.after.map(JSONValue.credits) ?? .null])
            }),
        ]
        if let report = outcome.report { fields["merge"] = json(report) }
        fields["restamped"] = .array(outcome.restamped.map { change in
            .object(["event": .string(change.event), "path": .string(change.path), "newEvent": .string(change.newEvent),
                     "newPath": .string(change.newPath), "at": .string(change.at.description)])
        })
        return .object(fields)
    }
}
