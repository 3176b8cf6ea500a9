import Foundation
import GitKit
import Testing

@Suite("Diffing trees and the index")
struct DiffTests {
    static let firstPin = "0123456789abcdef0123456789abcdef01234567"
    static let secondPin = "89abcdef0123456789abcdef0123456789abcdef"

    /// The changes the git CLI prints with `--raw -z --no-abbrev --no-renames`, in its order.
    func cliChanges(_ scratch: Scratch, _ arguments: String...) throws -> [TreeChange] {
        let output = try scratch.gitData(["-C", "repo"] + arguments + ["--raw", "-z", "--no-abbrev", "--no-renames"])
        let fields = output.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        var changes: [TreeChange] = []
        var position = 0
        while position + 1 < fields.count {
            let header = fields[position].dropFirst().split(separator: " ").map(String.init)
            try #require(header.count == 5, "unexpected raw line '\(fields[position])'")
            func side(_ mode: String, _ hex: String) throws -> TreeEntryVersion? {
                let kinds: [String: TreeEntryKind] = [
                    "100644": .file, "100755": .executable, "120000": .symlink, "160000": .submodule,
                ]
                guard mode != "000000" else { return nil }
                return TreeEntryVersion(kind: try #require(kinds[mode]), blob: try #require(ObjectID(hex: hex)))
            }
            changes.append(
                TreeChange(
                    path: fields[position + 1],
                    old: try side(header[0], header[2]),
                    new: try side(header[1], header[3])
                )
            )
            position += 2
        }
        return changes
    }

    func blob(_ scratch: Scratch, _ revision: String, _ kind: TreeEntryKind = .file) throws -> TreeEntryVersion {
        TreeEntryVersion(kind: kind, blob: try scratch.objectID(revision))
    }

    /// Two commits where every kind of change happens between the first and the second.
    func makeTwoCommits(_ scratch: Scratch) throws -> (old: ObjectID, new: ObjectID) {
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.write("repo/removed.yaml", "gone soon\n")
        try scratch.write("repo/link.yaml", "teams/eng/members.yaml")
        try scratch.write("repo/teams/eng/members.yaml", "- ada\n")
        try scratch.write("repo/teams/ops/members.yaml", "- grace\n")
        try scratch.write("repo/teams-x.yaml", "unchanged\n")
        try scratch.write("repo/bin/tool.sh", "#!/bin/sh\n")
        try scratch.write("repo/config", "a file for now\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "update-index", "--add", "--cacheinfo", "160000,\(Self.firstPin),vendor/lib")
        try scratch.git("-C", "repo", "update-index", "--add", "--cacheinfo", "160000,\(Self.firstPin),vendor/same")
        try scratch.commit("old")

        try scratch.write("repo/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "repo", "rm", "--quiet", "removed.yaml")
        try FileManager.default.removeItem(atPath: scratch.path("repo/link.yaml"))
        // The link's target is the old file's exact bytes, so only the kind changes, not the blob.
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("repo/link.yaml"),
            withDestinationPath: "teams/eng/members.yaml"
        )
        try scratch.write("repo/teams/eng/members.yaml", "- ada\n- alan\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.path("repo/bin/tool.sh"))
        try scratch.git("-C", "repo", "rm", "--quiet", "config")
        try scratch.write("repo/config/settings.yaml", "a directory now\n")
        try scratch.write("repo/added.yaml", "new\n")
        try scratch.write("repo/équipe.yaml", "fr\n")
        // Not `git add .`, which would stage the submodules as deleted since they have no directory.
        try scratch.git("-C", "repo", "add", "org.yaml", "link.yaml", "teams", "bin", "config", "added.yaml", "équipe.yaml")
        try scratch.git("-C", "repo", "update-index", "--cacheinfo", "160000,\(Self.secondPin),vendor/lib")
        try scratch.commit("new")
        return (try scratch.objectID("HEAD~1^{tree}"), try scratch.objectID("HEAD^{tree}"))
    }

    @Test(.scratchDirectory)
    func treeToTreeReportsEveryKindOfChangeSortedByPath() throws {
        let scratch = try Scratch.current()
        let trees = try makeTwoCommits(scratch)
        let repository = try Repository.open(scratch.path("repo"))

        let expected = [
            TreeChange(path: "added.yaml", old: nil, new: try blob(scratch, "HEAD:added.yaml")),
            TreeChange(
                path: "bin/tool.sh",
                old: try blob(scratch, "HEAD~1:bin/tool.sh"),
                new: try blob(scratch, "HEAD:bin/tool.sh", .executable)
            ),
            TreeChange(path: "config", old: try blob(scratch, "HEAD~1:config"), new: nil),
            TreeChange(path: "config/settings.yaml", old: nil, new: try blob(scratch, "HEAD:config/settings.yaml")),
            TreeChange(
                path: "link.yaml",
                old: try blob(scratch, "HEAD~1:link.yaml"),
                new: try blob(scratch, "HEAD:link.yaml", .symlink)
            ),
            TreeChange(
                path: "org.yaml", old: try blob(scratch, "HEAD~1:org.yaml"), new: try blob(scratch, "HEAD:org.yaml")),
            TreeChange(path: "removed.yaml", old: try blob(scratch, "HEAD~1:removed.yaml"), new: nil),
            TreeChange(
                path: "teams/eng/members.yaml",
                old: try blob(scratch, "HEAD~1:teams/eng/members.yaml"),
                new: try blob(scratch, "HEAD:teams/eng/members.yaml")
            ),
            TreeChange(
                path: "vendor/lib",
                old: TreeEntryVersion(kind: .submodule, blob: try #require(ObjectID(hex: Self.firstPin))),
                new: TreeEntryVersion(kind: .submodule, blob: try #require(ObjectID(hex: Self.secondPin)))
            ),
            TreeChange(path: "équipe.yaml", old: nil, new: try blob(scratch, "HEAD:équipe.yaml")),
        ]
        let changes = try repository.diff(from: trees.old, to: trees.new)
        #expect(changes == expected)
        #expect(changes == (try cliChanges(scratch, "diff-tree", "-r", "HEAD~1", "HEAD")))
        // The type change kept its blob; only the kind tells it apart.
        #expect(expected[4].old?.blob == expected[4].new?.blob)

        let reversed = expected.map { TreeChange(path: $0.path, old: $0.new, new: $0.old) }
        #expect(try repository.diff(from: trees.new, to: trees.old) == reversed)
        #expect(try repository.diff(from: trees.new, to: trees.new) == [])
    }

    @Test(.scratchDirectory)
    func nilIsTheEmptyTree() throws {
        let scratch = try Scratch.current()
        let trees = try makeTwoCommits(scratch)
        let repository = try Repository.open(scratch.path("repo"))

        let files = try repository.treeFiles(tree: trees.new)
        let added = files.map {
            TreeChange(path: $0.path, old: nil, new: TreeEntryVersion(kind: $0.kind, blob: $0.blob))
        }
        #expect(added.count == 11)
        #expect(try repository.diff(from: nil, to: trees.new) == added)
        let deleted = added.map { TreeChange(path: $0.path, old: $0.new, new: nil) }
        #expect(try repository.diff(from: trees.new, to: nil) == deleted)
        #expect(try repository.diff(from: nil, to: nil) == [])
    }

    @Test(.scratchDirectory)
    func onlyTreesCanBeDiffed() throws {
        let scratch = try Scratch.current()
        let trees = try makeTwoCommits(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let commit = try scratch.objectID("HEAD")
        let missing = try #require(ObjectID(hex: Self.firstPin))

        let error = try #require(throws: GitError.self) { try repository.diff(from: commit, to: trees.new) }
        #expect(error.function == "git_tree_lookup")
        #expect(throws: GitError.self) { try repository.diff(from: trees.old, to: try scratch.objectID("HEAD:org.yaml")) }
        let notFound = try #require(throws: GitError.self) { try repository.diff(from: nil, to: missing) }
        #expect(notFound.isNotFound)
        #expect(throws: GitError.self) { try repository.diffToIndex(from: commit, index: try repository.index()) }
    }

    @Test(.scratchDirectory)
    func treeToIndexShowsWhatIsStaged() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.write("repo/old.yaml", "old\n")
        try scratch.write("repo/keep.yaml", "keep\n")
        try scratch.write("repo/link.yaml", "org.yaml")
        try scratch.write("repo/teams/eng/members.yaml", "- ada\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.commit("first")

        try scratch.write("repo/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "repo", "add", "org.yaml")
        try scratch.git("-C", "repo", "rm", "--quiet", "--cached", "old.yaml")
        try scratch.write("repo/new.yaml", "new\n")
        try scratch.git("-C", "repo", "add", "new.yaml")
        try FileManager.default.removeItem(atPath: scratch.path("repo/link.yaml"))
        try FileManager.default.createSymbolicLink(atPath: scratch.path("repo/link.yaml"), withDestinationPath: "org.yaml")
        try scratch.git("-C", "repo", "add", "link.yaml")
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: scratch.path("repo/teams/eng/members.yaml"))
        try scratch.git("-C", "repo", "add", "teams/eng/members.yaml")
        // Neither unstaged edits nor untracked files are part of the index.
        try scratch.write("repo/keep.yaml", "edited, not staged\n")
        try scratch.write("repo/untracked.yaml", "untracked\n")

        let repository = try Repository.open(scratch.path("repo"))
        let head = try scratch.objectID("HEAD^{tree}")
        let index = try repository.index()
        let expected = [
            TreeChange(
                path: "link.yaml",
                old: try blob(scratch, "HEAD:link.yaml"),
                new: try blob(scratch, ":link.yaml", .symlink)
            ),
            TreeChange(path: "new.yaml", old: nil, new: try blob(scratch, ":new.yaml")),
            TreeChange(path: "old.yaml", old: try blob(scratch, "HEAD:old.yaml"), new: nil),
            TreeChange(path: "org.yaml", old: try blob(scratch, "HEAD:org.yaml"), new: try blob(scratch, ":org.yaml")),
            TreeChange(
                path: "teams/eng/members.yaml",
                old: try blob(scratch, "HEAD:teams/eng/members.yaml"),
                new: try blob(scratch, ":teams/eng/members.yaml", .executable)
            ),
        ]
        #expect(try repository.diffToIndex(from: head, index: index) == expected)
        #expect(expected == (try cliChanges(scratch, "diff-index", "--cached", "HEAD")))

        // Everything in the index is new against the empty tree.
        let added = index.entries().map {
            TreeChange(path: $0.path, old: nil, new: TreeEntryVersion(kind: $0.kind, blob: $0.blob))
        }
        #expect(added.map(\.path) == ["keep.yaml", "link.yaml", "new.yaml", "org.yaml", "teams/eng/members.yaml"])
        #expect(try repository.diffToIndex(from: nil, index: index) == added)

        // The index is compared as it is in memory, not as saved.
        try index.add(path: "keep.yaml")
        let edited = try scratch.git("-C", "repo", "hash-object", "keep.yaml").trimmingCharacters(in: .newlines)
        let keep = TreeChange(
            path: "keep.yaml",
            old: try blob(scratch, "HEAD:keep.yaml"),
            new: TreeEntryVersion(kind: .file, blob: try #require(ObjectID(hex: edited)))
        )
        #expect(keep.old != keep.new)
        #expect(try repository.diffToIndex(from: head, index: index) == [keep] + expected)
        try index.read(force: true)
        #expect(try repository.diffToIndex(from: head, index: index) == expected)
    }

    @Test(.scratchDirectory)
    func additionsMarkedAssumeUnchangedAreStillReported() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.write("repo/config/settings.yaml", "a directory for now\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.commit("first")
        // libgit2 alone skips added entries with the assume-unchanged bit; git does not.
        try scratch.write("repo/new.yaml", "new\n")
        try scratch.write("repo/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "repo", "rm", "--quiet", "-r", "--cached", "config")
        try FileManager.default.removeItem(atPath: scratch.path("repo/config"))
        try scratch.write("repo/config", "a file now\n")
        try scratch.git("-C", "repo", "add", "new.yaml", "org.yaml", "config")
        try scratch.git("-C", "repo", "update-index", "--assume-unchanged", "new.yaml", "org.yaml", "config")
        #expect(try scratch.git("-C", "repo", "ls-files", "-v") == "h config\nh new.yaml\nh org.yaml\n")

        let repository = try Repository.open(scratch.path("repo"))
        let expected = [
            TreeChange(path: "config", old: nil, new: try blob(scratch, ":config")),
            TreeChange(path: "config/settings.yaml", old: try blob(scratch, "HEAD:config/settings.yaml"), new: nil),
            TreeChange(path: "new.yaml", old: nil, new: try blob(scratch, ":new.yaml")),
            TreeChange(path: "org.yaml", old: try blob(scratch, "HEAD:org.yaml"), new: try blob(scratch, ":org.yaml")),
        ]
        let changes = try repository.diffToIndex(from: try scratch.objectID("HEAD^{tree}"), index: try repository.index())
        #expect(changes == expected)
        #expect(changes == (try cliChanges(scratch, "diff-index", "--cached", "HEAD")))
        let everything = try repository.diffToIndex(from: nil, index: try repository.index())
        #expect(everything.map(\.path) == ["config", "new.yaml", "org.yaml"])
    }

    @Test(.scratchDirectory)
    func aConflictIsReportedOnceWithOurSide() throws {
        let scratch = try Scratch.current()
        try makeConflict(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let index = try repository.index()
        #expect(index.hasConflicts)
        let head = try scratch.objectID("HEAD^{tree}")

        let ours = try blob(scratch, "HEAD:org.yaml")
        let expected = [
            // Added on both sides: stages 2 and 3, ours is what HEAD has.
            TreeChange(path: "both.yaml", old: try blob(scratch, "HEAD:both.yaml"), new: try blob(scratch, ":2:both.yaml")),
            // Merged cleanly from their side.
            TreeChange(path: "clean.yaml", old: try blob(scratch, "HEAD:clean.yaml"), new: try blob(scratch, ":clean.yaml")),
            // Deleted by us, modified by them: stages 1 and 3, nothing on our side.
            TreeChange(path: "gone.yaml", old: nil, new: nil),
            TreeChange(path: "org.yaml", old: ours, new: ours),
        ]
        #expect(try repository.diffToIndex(from: head, index: index) == expected)
        #expect(expected[0].old == expected[0].new)
        #expect(expected[1].old != expected[1].new)
        #expect(
            try scratch.git("-C", "repo", "diff", "--cached", "--name-status")
                == "U\tboth.yaml\nM\tclean.yaml\nU\tgone.yaml\nU\torg.yaml\n"
        )

        // Against the empty tree, our side is all there is; gone.yaml has none.
        #expect(
            try repository.diffToIndex(from: nil, index: index)
                == [
                    TreeChange(path: "both.yaml", old: nil, new: try blob(scratch, ":2:both.yaml")),
                    TreeChange(path: "clean.yaml", old: nil, new: try blob(scratch, ":clean.yaml")),
                    TreeChange(path: "gone.yaml", old: nil, new: nil),
                    TreeChange(path: "org.yaml", old: nil, new: ours),
                    TreeChange(path: "same.yaml", old: nil, new: try blob(scratch, ":same.yaml")),
                ]
        )
    }
}

/// Merges the branch `theirs` into `main` with the CLI, leaving conflicts of three shapes:
/// `org.yaml` changed on both sides, `both.yaml` added on both sides and `gone.yaml` deleted by us but changed by
/// them; `clean.yaml` merges cleanly from their side and `same.yaml` is untouched.
func makeConflict(_ scratch: Scratch) throws {
    try scratch.makeRepository()
    try scratch.write("repo/org.yaml", "name: acme\n")
    try scratch.write("repo/gone.yaml", "going\n")
    try scratch.write("repo/clean.yaml", "clean\n")
    try scratch.write("repo/same.yaml", "same\n")
    try scratch.git("-C", "repo", "add", ".")
    try scratch.commit("base")
    try scratch.git("-C", "repo", "checkout", "--quiet", "-b", "theirs")
    try scratch.write("repo/org.yaml", "name: acme corp\n")
    try scratch.write("repo/gone.yaml", "still here\n")
    try scratch.write("repo/clean.yaml", "cleaner\n")
    try scratch.write("repo/both.yaml", "theirs\n")
    try scratch.git("-C", "repo", "add", ".")
    try scratch.commit("theirs")
    try scratch.git("-C", "repo", "checkout", "--quiet", "main")
    try scratch.write("repo/org.yaml", "name: acme inc\n")
    try scratch.git("-C", "repo", "rm", "--quiet", "gone.yaml")
    try scratch.write("repo/both.yaml", "ours\n")
    try scratch.git("-C", "repo", "add", ".")
    try scratch.commit("ours")
    try scratch.git("-C", "repo", "merge", "--quiet", "--no-edit", "theirs", allowFailure: true)
}
