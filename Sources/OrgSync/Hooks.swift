import Foundation
import GitKit
import OrgModel

/// Installs the git hooks that enforce the rules at every entry point (SPEC §4, "Where it runs").
///
/// Client: `pre-commit` and `pre-merge-commit` check the staged state and its transition as the committing
/// identity, and the merge driver is registered in `.git/config` and `.gitattributes`. Server: `pre-receive`
/// on a bare repository checks every new commit of every updated ref. Installing twice changes nothing; a
/// hook that is already there and is not orgsync's is kept and run first (chained).
public enum HookInstaller {
    /// What an installation did.
    public struct Result: Sendable {
        /// The hook files written for the first time, absolute.
        public var hooks: [String] = []
        /// orgsync's hook files that were there already and were rewritten.
        public var refreshed: [String] = []
        /// Hooks found in place and kept as `<hook>.orgsync-chained`, run before orgsync's check.
        public var chained: [String] = []
        /// Whether `.gitattributes` gained the merge driver's lines (false when they were there already).
        public var attributesAdded = false
        /// The `.gitattributes` file, for client installs.
        public var attributesPath: String?
        /// Things the installer noticed, such as a repository with no organization at its root yet.
        public var notes: [String] = []
    }

    /// The line that marks a hook as orgsync's own.
    static let marker = "# orgsync-hook: installed by 'orgsync hooks install'"
    /// The suffix of a kept hook that orgsync's hook runs first.
    public static let chainedSuffix = ".orgsync-chained"
    /// The organization's paths, merged by the orgsync driver.
    static let attributeLines = ["/org.yaml", "/org.json", "/providers.yaml", "/providers.json",
                                 "/members/**", "/workspaces/**", "/ledger/**", "/usage/**"].map { "\($0) merge=orgsync" }
    static let attributesHeader = "# orgsync: organization files merge with 'orgsync merge-driver' (orgsync hooks install)"

    /// Installs the client hooks and the merge driver in the repository containing `directory`.
    /// `executable` is the orgsync binary the hooks call (absolute). The driver's attribute lines go into
    /// `.gitattributes`, to be committed, or with `localAttributes` (a fresh clone, which should stay clean)
    /// into `.git/info/attributes` when the committed `.gitattributes` lacks them.
    public static func installClient(in directory: String, executable: String, localAttributes: Bool = false) throws(OrgSyncError) -> Result {
        let repository = try StateReader(directory: directory).repository()
        guard !repository.isBare, let workTree = repository.workingDirectory else {
            throw OrgSyncError(.environment, "\(repository.gitDirectory) is a bare repository; use 'orgsync hooks install --server --repo \(repository.gitDirectory)'")
        }
        var result = Result()
        if !["org.yaml", "org.json"].contains(where: { FileManager.default.fileExists(atPath: workTree + "/" + $0) }) {
            result.notes.append("\(workTree) has no org.yaml at its root yet; the hooks check the organization that is the whole repository, from the commit that adds it on")
        }
        let hooks = try hooksDirectory(repository, workTree: workTree)
        for hook in ["pre-commit", "pre-merge-commit"] {
            try install(hook, in: hooks, script: clientScript(hook: hook, executable: executable), into: &result)
        }
        do {
            try repository.setConfig("merge.orgsync.name", "orgsync merge driver for organization files")
            try repository.setConfig("merge.orgsync.driver", "\(shellQuoted(executable)) merge-driver %O %A %B %P")
        } catch {
            throw OrgSyncError.git("cannot register the merge driver in \(repository.gitDirectory)/config", error)
        }
        let shared = workTree + "/.gitattributes"
        let committed = FileManager.default.contents(atPath: shared).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let attributes = localAttributes && attributeLines.contains(where: { !committed.contains($0) }) ? repository.gitDirectory + "/info/attributes" : shared
        result.attributesPath = attributes
        let existing = FileManager.default.contents(atPath: attributes).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let present = Set(existing.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
            .union(committed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
        let missing = attributeLines.filter { !present.contains($0) }
        if !missing.isEmpty {
            var text = existing
            if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
            if !present.contains(attributesHeader) { text += (text.isEmpty ? "" : "\n") + attributesHeader + "\n" }
            text += missing.joined(separator: "\n") + "\n"
            try write(text, to: attributes, executable: false)
            result.attributesAdded = true
        }
        return result
    }

    /// Installs the `pre-receive` hook in the bare repository at `path`.
    public static func installServer(at path: String, executable: String) throws(OrgSyncError) -> Result {
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.open(path)
        } catch {
            throw OrgSyncError.git("'\(path)' is not a git repository", error)
        }
        guard repository.isBare else {
            throw OrgSyncError(.environment, "'\(path)' is not a bare repository; the server hook goes on the repository people push to (git init --bare), and 'orgsync hooks install' without --server sets up a clone")
        }
        var result = Result()
        let hooks = try hooksDirectory(repository, workTree: nil)
        try install("pre-receive", in: hooks, script: serverScript(executable: executable), into: &result)
        // The hook refuses to delete the branch HEAD names: that branch must be the organization's.
        if let branch = try? repository.headReferenceName(), (try? repository.resolveReference(branch)) == nil {
            let names = ((try? repository.references()) ?? []).map(\.name).filter { $0.hasPrefix("refs/heads/") }
            let suggestion = names.count == 1 ? names[0] : "refs/heads/main"
            result.notes.append("HEAD names \(branch), which does not exist\(names.isEmpty ? " yet" : ""); the hook protects the branch HEAD names from deletion and rewrites (until then, every branch holding organization files), so point it at the organization's branch: git --git-dir \(repository.gitDirectory) symbolic-ref HEAD \(suggestion)")
        }
        return result
    }

    // MARK: Scripts

    static func clientScript(hook: String, executable: String) -> String {
        """
        #!/bin/sh
        \(marker)
        # Checks the staged organization and its transition as the committing identity; refuses the commit
        # when a rule is broken. Bypass once with 'git commit --no-verify' (the server hook still checks).
        if [ -z "${ORGSYNC:-}" ]; then ORGSYNC=\(shellQuoted(executable)); fi
        chained="$(dirname "$0")/\(hook)\(chainedSuffix)"
        if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi
        if ! command -v "$ORGSYNC" >/dev/null 2>&1; then
          echo "orgsync: cannot run $ORGSYNC; reinstall with 'orgsync hooks install' or set ORGSYNC" >&2
          exit 1
        fi
        exec "$ORGSYNC" hooks run \(hook)

        """
    }

    static func serverScript(executable: String) -> String {
        """
        #!/bin/sh
        \(marker)
        # Checks every commit a push adds, on every updated ref, and rejects the push when a rule is broken.
        # The binary is fixed here: pushers must not choose the program that checks their push.
        ORGSYNC=\(shellQuoted(executable))
        chained="$(dirname "$0")/pre-receive\(chainedSuffix)"
        input="$(cat)"
        if [ -x "$chained" ]; then printf '%s\\n' "$input" | "$chained" "$@" || exit $?; fi
        if ! command -v "$ORGSYNC" >/dev/null 2>&1; then
          echo "orgsync: cannot run $ORGSYNC; the server cannot check this push, so it is rejected" >&2
          exit 1
        fi
        printf '%s\\n' "$input" | "$ORGSYNC" hooks run pre-receive

        """
    }

    // MARK: Files

    private static func install(_ hook: String, in directory: String, script: String, into result: inout Result) throws(OrgSyncError) {
        let path = directory + "/" + hook
        let chained = path + chainedSuffix
        let fileManager = FileManager.default
        let current = fileManager.contents(atPath: path)
        if let current, String(decoding: current, as: UTF8.self).contains(marker) {
            try write(script, to: path, executable: true)
            result.refreshed.append(path)
            return
        }
        if let current {
            // A chained copy identical to the hook is what an interrupted install left: carry on from there.
            if fileManager.contents(atPath: chained) != current {
                guard (try? fileManager.attributesOfItem(atPath: chained)) == nil else {
                    throw OrgSyncError(.refused, "both \(path) and \(chained) exist, and the first is not orgsync's; merge them into \(chained) by hand and run 'orgsync hooks install' again")
                }
                // A hard link keeps the existing hook under its new name before orgsync's replaces the old name,
                // so no failure leaves the repository without it.
                guard link(path, chained) == 0 else {
                    throw OrgSyncError(.environment, "cannot keep the existing hook \(path) as \(chained): \(String(cString: strerror(errno)))")
                }
            }
            result.chained.append(chained)
        }
        do {
            try write(script, to: path, executable: true)
        } catch {
            if current != nil { unlink(chained) }
            throw error
        }
        result.hooks.append(path)
    }

    private static func write(_ text: String, to path: String, executable: Bool) throws(OrgSyncError) {
        try AtomicFile.write(Array(text.utf8), to: path, permissions: executable ? 0o755 : 0o644)
    }

    /// The hooks folder git uses: `core.hooksPath` when set (relative to the work tree), else `hooks` in the git directory.
    private static func hooksDirectory(_ repository: GitKit.Repository, workTree: String?) throws(OrgSyncError) -> String {
        var directory = repository.gitDirectory + "/hooks"
        if let configured = try? repository.config("core.hooksPath"), !configured.isEmpty {
            let expanded = configured.hasPrefix("~/") ? NSHomeDirectory() + configured.dropFirst(1) : configured
            directory = expanded.hasPrefix("/") ? expanded : (workTree ?? repository.gitDirectory) + "/" + expanded
            directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OrgSyncError(.environment, "cannot create the hooks folder \(directory): \(error.localizedDescription)")
        }
        return directory
    }

    /// `text` in single quotes for sh, with embedded single quotes escaped.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
