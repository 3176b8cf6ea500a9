import ArgumentParser
import Foundation
import OrgModel
import OrgSync

struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enforce the rules on every commit and push with git hooks.",
        subcommands: [HooksInstall.self, HooksRun.self]
    )
}

struct HooksInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the client hooks and merge driver, or with --server the pre-receive hook.",
        discussion: """
        In a clone (the default):
          - pre-commit and pre-merge-commit check the staged organization and its transition from HEAD as \
        the committing identity, and refuse a commit that breaks a rule;
          - the merge driver 'orgsync' is registered in .git/config, and .gitattributes routes the \
        organization's files to it (commit .gitattributes so everyone gets it).

        On a server, with --server --repo BARE.git:
          - pre-receive checks every commit a push adds to every ref, and that no ref update drops ledger \
        history, and rejects the push with the ref, the commit and each diagnostic.

        Installing again refreshes orgsync's hooks and changes nothing else. A hook that is already there \
        and is not orgsync's is kept as <hook>.orgsync-chained and runs first. The hooks call this orgsync \
        binary by its absolute path; set ORGSYNC in the environment to use another.

        Examples:
          orgsync hooks install
          orgsync hooks install --server --repo /srv/git/acme-org.git
        """
    )

    @Flag(help: "Install the pre-receive hook in the bare repository --repo names.")
    var server = false
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try Terminal.run(format: output.format) { () throws(OrgSyncError) in
            let executable = try Self.executablePath()
            let result = server
                ? try HookInstaller.installServer(at: repository.repo, executable: executable)
                : try HookInstaller.installClient(in: repository.repo, executable: executable)
            switch output.format {
            case .json:
                var fields: [String: JSONValue] = [
                    "hooks": .array(result.hooks.map { .string($0) }),
                    "refreshed": .array(result.refreshed.map { .string($0) }),
                    "chained": .array(result.chained.map { .string($0) }),
                    "executable": .string(executable),
                    "notes": .array(result.notes.map { .string($0) }),
                ]
                if let attributes = result.attributesPath {
                    fields["attributes"] = .string(attributes)
                    fields["attributesAdded"] = .bool(result.attributesAdded)
                }
                Terminal.write(JSONValue.object(fields).rendered() + "\n")
            case .text:
                for hook in result.hooks { Terminal.write("installed \(hook)\n") }
                for hook in result.refreshed { Terminal.write("refreshed \(hook) (already installed)\n") }
                for hook in result.chained { Terminal.write("kept the existing hook as \(hook); it runs first\n") }
                if let attributes = result.attributesPath {
                    Terminal.write("registered the merge driver 'orgsync' in .git/config\n")
                    Terminal.write(result.attributesAdded
                        ? "added the organization's paths to \(attributes); commit it so every clone uses the driver\n"
                        : "\(attributes) already routes the organization's paths to the driver\n")
                }
                Terminal.write("The hooks run \(executable).\n")
                for note in result.notes { Terminal.writeError("note: \(note)\n") }
            }
        }
    }

    /// The absolute path of the running orgsync binary, which the hooks call.
    static func executablePath() throws(OrgSyncError) -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), resolved.hasPrefix("/") {
            return resolved
        }
        let argument = CommandLine.arguments.first ?? "orgsync"
        if argument.contains("/") {
            return URL(fileURLWithPath: argument).standardizedFileURL.path
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(argument)") {
            return URL(fileURLWithPath: "\(folder)/\(argument)").standardizedFileURL.path
        }
        throw OrgSyncError(.environment, "cannot find the orgsync binary the hooks should call; run it by its path")
    }
}

struct HooksRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a hook's check (the installed hooks call this).",
        discussion: """
        pre-commit, pre-merge-commit: check the staged state and its transition from HEAD (and from the \
        commits being merged) as the committing identity. Exit 1 refuses the commit.
        pre-receive: read '<old> <new> <ref>' lines on standard input, as git's pre-receive hook does, and \
        check every new commit of every updated ref. Exit 1 rejects the push.
        """
    )

    enum Hook: String, ExpressibleByArgument, CaseIterable {
        case preCommit = "pre-commit"
        case preMergeCommit = "pre-merge-commit"
        case preReceive = "pre-receive"
    }

    @Argument(help: ArgumentHelp("The hook: pre-commit, pre-merge-commit or pre-receive.", valueName: "hook"))
    var hook: Hook

    func run() throws {
        var valid = true
        try Terminal.run(format: .text) { () throws(OrgSyncError) in
            switch hook {
            case .preCommit, .preMergeCommit:
                valid = try checkCommit()
            case .preReceive:
                valid = try checkPush()
            }
        }
        if !valid { throw ExitCode.failure }
    }

    private func checkCommit() throws(OrgSyncError) -> Bool {
        let (verdict, author) = try CommitChecker.checkStaged(in: StateReader(directory: FileManager.default.currentDirectoryPath),
                                                             actor: nil, environment: ProcessInfo.processInfo.environment)
        let color = Terminal.colorsErr
        let reader = StateReader(directory: FileManager.default.currentDirectoryPath)
        let blockers = try Merger.blockers(of: verdict, reader: reader)
        // A violation of the merge says more than its bare diagnostic: show it once, as the violation.
        let explained = Set((blockers?.violations ?? []).map { "\($0.rule)|\($0.location)" })
        Terminal.writeError(DiagnosticRenderer.text(verdict.diagnostics.filter { !explained.contains("\($0.rule)|\($0.location)") }, color: color))
        if let blockers {
            Terminal.writeError(RenderMerge.text(blockers))
            if !blockers.conflicts.isEmpty {
                Terminal.writeError("orgsync: \(Terminal.red("commit refused", color: color)): the merge has \(Render.plural(blockers.conflicts.count, "unsettled conflict")); settle each with 'orgsync resolve ID --take ours|theirs' and commit again.\n")
                return false
            }
        }
        // The commit and its signature do not exist yet: T5 is checked on the commit (server hook, validate
        // --range). Say so while it can still be signed.
        if verdict.state.requiresSignedCommits || verdict.parents.first?.requiresSignedCommits == true,
           let repository = try? reader.repository(),
           !["true", "yes", "on", "1"].contains(((try? repository.config("commit.gpgsign")) ?? nil)?.lowercased() ?? "") {
            Terminal.writeError("orgsync: note: policy.signedCommits is required; commit with -S (or 'git config commit.gpgsign true'), or the server will reject this commit\n")
        }
        guard verdict.isValid else {
            let errors = verdict.diagnostics.filter { $0.severity == .error }.count
            Terminal.writeError("orgsync: \(Terminal.red("commit refused", color: color)): \(Render.plural(errors, "error")) in the staged changes, committing as \(author). Fix them and commit again.\n")
            return false
        }
        return true
    }

    private func checkPush() throws(OrgSyncError) -> Bool {
        var updates: [RefUpdate] = []
        while let line = readLine() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let update = RefUpdate(line: line) else {
                throw OrgSyncError(.environment, "pre-receive input '\(line)' is not '<old> <new> <ref>'; this command is meant to be run by git's pre-receive hook")
            }
            updates.append(update)
        }
        let repository = try ServerRepository.open(environment: ProcessInfo.processInfo.environment)
        let verdicts = try CommitChecker(repository: repository).check(push: updates)
        let rejected = verdicts.filter { !$0.isValid }
        for verdict in rejected {
            var text = "orgsync: rejected \(verdict.update.name)\n"
            for line in DiagnosticRenderer.text(verdict.problems, color: false).split(separator: "\n") {
                text += "  \(line)\n"
            }
            for commit in verdict.commits where !commit.isValid {
                for line in Render.text(commit, color: false).split(separator: "\n") {
                    text += "  \(line)\n"
                }
            }
            Terminal.writeError(text)
        }
        if !rejected.isEmpty {
            Terminal.writeError("orgsync: push rejected: \(rejected.count) of \(Render.plural(verdicts.count, "ref update")) \(rejected.count == 1 ? "breaks" : "break") the organization's rules; fix the commits and push again\n")
        }
        return rejected.isEmpty
    }
}
