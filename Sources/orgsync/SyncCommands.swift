import ArgumentParser
import Foundation

import OrgModel
import OrgSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clone an organization's repository, with the hooks and the merge driver installed.",
        discussion: """
        Clones URL into DIR through libgit2 and checks out the remote's default branch, then installs what \
        'orgsync hooks install' installs: the pre-commit and pre-merge-commit hooks and the merge driver. When \
        the organization has not committed the driver's lines to .gitattributes, they go into \
        .git/info/attributes, so the new clone starts with no uncommitted change.

        URL is a path or file:// URL on this machine (reached through git's own upload-pack, so git must be \
        installed), or an ssh:// (ssh agent) or https:// URL.

        Work offline in the clone as much as you like; 'orgsync sync' publishes it later.

        Examples:
          orgsync clone /srv/git/acme-org.git acme-org
          orgsync clone ssh://git@git.example.com/acme/org.git acme-org
        """
    )

    @Argument(help: ArgumentHelp("The repository to clone.", valueName: "url"))
    var url: String
    @Argument(help: ArgumentHelp("The folder to clone into; it must not exist or be empty.", valueName: "dir"))
    var directory: String
    @OptionGroup var transfer: TransferOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let reporter = ProgressReporter(enabled: transfer.showsProgress)
            let outcome = try Syncer.clone(url: url, into: directory, executable: try HooksInstall.executablePath(), progress: reporter.report)
            reporter.finish()
            let organization = outcome.state.organization
            let errors = outcome.state.report.diagnostics.filter { $0.severity == .error }
            switch output.format {
            case .json:
                Terminal.write(JSONValue.object([
                    "directory": .string(outcome.directory),
                    "head": outcome.head.map { .string($0.hex) } ?? .null,
                    "branch": outcome.branch.map { .string($0) } ?? .null,
                    "organization": organization.config.map { .string($0.id) } ?? .null,
                    "workspaces": .int(organization.workspaces.filter { !$0.isDeleted }.count),
                    "members": .int(organization.members.filter(\.isActive).count),
                    "events": .int(organization.events.count),
                    "valid": .bool(errors.isEmpty),
                    "hooks": .array((outcome.hooks.hooks + outcome.hooks.refreshed).map { .string($0) }),
                    "attributes": outcome.hooks.attributesPath.map { .string($0) } ?? .null,
                ]).rendered() + "\n")
            case .text:
                var text = "Cloned \(url) into \(outcome.directory)"
                if let head = outcome.head { text += " (\(outcome.branch ?? "HEAD") at \(head.hex.prefix(10)))" }
                text += ".\n"
                if let config = organization.config {
                    text += "  \(config.name) (\(config.id)): \(Render.plural(organization.workspaces.filter { !$0.isDeleted }.count, "workspace")), "
                    text += "\(Render.plural(organization.members.filter(\.isActive).count, "member")), \(Render.plural(organization.events.count, "ledger event"))"
                    text += errors.isEmpty ? "; valid.\n" : "; \(Render.plural(errors.count, "error")) (orgsync validate lists them).\n"
                } else {
                    text += "  It holds no organization yet (no org.yaml at its root).\n"
                }
                text += "  Installed the hooks and the merge driver"
                if let attributes = outcome.hooks.attributesPath, outcome.hooks.attributesAdded { text += " (attributes in \(attributes))" }
                text += ".\nWork offline as you like; 'orgsync sync' publishes your commits and brings in everyone else's.\n"
                Terminal.write(text)
            }
        }
    }
}

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish your commits and bring in everyone else's: fetch, merge, check, push.",
        discussion: """
        Fetches REMOTE (the branch's upstream remote, else origin), then:
          - up to date: nothing to do;
          - only the remote moved: fast-forwards to it, after checking it;
          - both moved: merges the remote's branch with the semantic merge ('orgsync help merge'), and first \
        re-stamps your unpublished ledger events to replay after the published ones (below);
          - checks every commit the remote lacks as the server will (state, transition, author);
          - pushes the branch to its upstream (the same name on the remote; set as the upstream after a \
        first push). If the remote moved meanwhile, it fetches and merges again, up to 5 rounds.

        Re-stamping (SPEC S3). The ledger replays in (at, id) order. An event you made offline carries the \
        time you made it, often earlier than what others published since. Sync gives each of your events \
        that no remote-tracking branch has a new id, and the time of the last published event when it was \
        earlier, in the merge commit (trailer Orgsync-Restamped: OLD -> NEW); your own commits are not \
        rewritten. So every published event replays as it did on the server, and an event that no longer \
        fits is one of yours, reported as a violation with the fix. (A deletion's refund stays with its \
        tombstone, and others' unpublished events keep their times: docs/FORMAT.md.)

        Sync stops, pushing nothing and losing nothing, when the merge has conflicts or violations (settle \
        them with 'orgsync resolve', then sync again: it commits the merge and pushes), when a commit breaks \
        a rule, when the server's hook refuses the push (its message is shown), or when the remote cannot be \
        reached (you are offline: your commits are safe; sync later). Another orgsync command on the same \
        clone waits for it.

        Progress is shown on a terminal (--progress forces it, --no-progress hides it).

        Examples:
          orgsync sync
          orgsync sync upstream --format json
        """
    )

    @Argument(help: ArgumentHelp("The remote to sync with (default: the branch's upstream remote, else origin).", valueName: "remote"))
    var remote: String?
    @OptionGroup var transfer: TransferOptions
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        var stopped = false
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let reporter = ProgressReporter(enabled: transfer.showsProgress)
            defer { reporter.finish() }
            let outcome = try Syncer(reader: StateReader(directory: repository.repo), actorEmail: actor.actor)
                .sync(remote: remote, progress: reporter.report)
            reporter.finish()
            stopped = outcome.result == .stopped
            switch output.format {
            case .json: Terminal.write(Self.json(outcome).rendered() + "\n")
            case .text: Terminal.write(Self.text(outcome))
            }
        }
        if stopped { throw ExitCode.failure }
    }

    static func text(_ outcome: SyncOutcome) -> String {
        let branch = outcome.branch.replacingOccurrences(of: "refs/heads/", with: "")
        let upstream = outcome.upstream.replacingOccurrences(of: "refs/heads/", with: "")
        let tracking = "\(outcome.remote)/\(upstream)"
        var out = ""
        for merge in outcome.merges {
            out += RenderMerge.text(merge, revision: tracking)
        }
        switch outcome.result {
        case .upToDate:
            out += "Already in sync: \(branch) and \(tracking) are both at \(outcome.head.map { String($0.hex.prefix(10)) } ?? "?").\n"
        case .fastForwarded:
            out += "\(branch) is now at \(tracking) (\(outcome.head.map { String($0.hex.prefix(10)) } ?? "?")); you had nothing unpublished.\n"
        case .pushed:
            out += "Pushed \(Render.plural(outcome.published, "commit")) to \(outcome.remote) (\(upstream)): \(branch) and \(tracking) are at \(outcome.head.map { String($0.hex.prefix(10)) } ?? "?")"
            out += outcome.attempts > 1 ? ", after \(outcome.attempts) rounds (the remote moved meanwhile).\n" : ".\n"
        case .stopped:
            out += "\nSync stopped: the merge of \(tracking) needs you. Nothing was pushed, and every local commit is still on \(branch).\n"
            out += "  Settle what is listed above with 'orgsync resolve', then run 'orgsync sync' again: it commits the merge and pushes.\n"
            out += "  Or put everything back with 'orgsync merge --abort'.\n"
        }
        return out
    }

    static func json(_ outcome: SyncOutcome) -> JSONValue {
        .object([
            "result": .string({
                switch outcome.result {
                case .upToDate: return "up-to-date"
                case .fastForwarded: return "fast-forward"
                case .pushed: return "pushed"
                case .stopped: return "stopped"
                }
            }()),
            "remote": .string(outcome.remote),
            "branch": .string(outcome.branch),
            "upstream": .string(outcome.upstream),
            "head": outcome.head.map { .string($0.hex) } ?? .null,
            "fetched": outcome.fetched.map { .string($0.hex) } ?? .null,
            "attempts": .int(outcome.attempts),
            "published": .int(outcome.published),
            "merges": .array(outcome.merges.map(RenderMerge.json)),
            "remoteLines": .array(outcome.remoteLines.map { .string($0) }),
        ])
    }
}

/// `--progress` and `--no-progress` for commands that talk to a remote.
struct TransferOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Show transfer progress on standard error (default: only on a terminal).")
    var progress: Bool?

    var showsProgress: Bool { progress ?? (isatty(2) == 1) }
}

/// Shows libgit2's transfer progress on standard error as git does: one line per phase, redrawn in place.
final class ProgressReporter {
    let enabled: Bool
    private var line = ""
    private var remoteBuffer = ""
    private var lastDone = ""

    init(enabled: Bool) { self.enabled = enabled }

    var report: ((TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] event in handle(event) }
    }

    private func handle(_ event: TransferProgress) {
        func percent(_ done: Int, _ total: Int) -> String {
            let value = total == 0 ? 100 : done * 100 / total
            return (value < 10 ? "  " : value < 100 ? " " : "") + "\(value)%"
        }
        switch event {
        case .receiving(let objects, let total, let bytes):
            show("Receiving objects: \(percent(objects, total)) (\(objects)/\(total)), \(Self.size(bytes))", done: objects == total)
        case .resolving(let deltas, let total):
            show("Resolving deltas: \(percent(deltas, total)) (\(deltas)/\(total))", done: deltas == total)
        case .sending(let objects, let total, let bytes):
            show("Writing objects: \(percent(objects, total)) (\(objects)/\(total)), \(Self.size(bytes))", done: objects == total)
        case .remote(let text):
            remoteBuffer += text
            while let end = remoteBuffer.firstIndex(where: { $0 == "\n" || $0 == "\r" }) {
                let piece = String(remoteBuffer[..<end])
                let newline = remoteBuffer[end] == "\n"
                remoteBuffer = String(remoteBuffer[remoteBuffer.index(after: end)...])
                if !piece.isEmpty { show("remote: " + piece, done: newline) }
            }
        }
    }

    private func show(_ text: String, done: Bool) {
        // libgit2 reports a finished phase more than once; show it once.
        if done, text == lastDone { return }
        if done { lastDone = text }
        let padding = String(repeating: " ", count: max(0, line.count - text.count))
        Terminal.writeError("\r" + text + padding + (done ? "\n" : ""))
        line = done ? "" : text
    }

    /// Ends a line left open by an interrupted phase.
    func finish() {
        if !remoteBuffer.isEmpty {
            show("remote: " + remoteBuffer, done: true)
            remoteBuffer = ""
        }
        if !line.isEmpty {
            Terminal.writeError("\n")
            line = ""
        }
    }

    static func size(_ bytes: Int) -> String {
        bytes < 1024 ? "\(bytes) bytes" : bytes < 1024 * 1024 ? String(format: "%.2f KiB", Double(bytes) / 1024) : String(format: "%.2f MiB", Double(bytes) / 1_048_576)
    }
}
