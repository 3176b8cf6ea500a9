import Foundation
import GitKit
import Testing

@Suite("Listing trees")
struct TreeFilesTests {
    static let submodule = "0123456789abcdef0123456789abcdef01234567"

    @Test(.scratchDirectory)
    func listsEveryKindOfEntrySortedByPath() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.write("repo/teams-x.yaml", "x\n")
        try scratch.write("repo/teams/eng/members.yaml", "- ada\n")
        try scratch.write("repo/teams/eng/lead.yaml", "ada\n")
        try scratch.write("repo/teams/ops/members.yaml", "- grace\n")
        try scratch.write("repo/équipe.yaml", "fr\n")
        try scratch.write("repo/bin/tool.sh", "#!/bin/sh\necho hi\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.path("repo/bin/tool.sh"))
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("repo/link.yaml"),
            withDestinationPath: "teams/eng/lead.yaml"
        )
        // A symlink pointing outside the repository must be read as its target text, never followed.
        try FileManager.default.createSymbolicLink(atPath: scratch.path("repo/escape"), withDestinationPath: "/etc/passwd")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "update-index", "--add", "--cacheinfo", "160000,\(Self.submodule),vendor/lib")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "org")

        let repository = try Repository.open(scratch.path("repo"))
        let head = try #require(try repository.headCommit())
        let files = try repository.treeFiles(of: head)

        func file(_ path: String, _ kind: TreeEntryKind, _ contents: String) throws -> TreeFile {
            let blob = kind == .submodule
                ? Self.submodule
                : try scratch.git("-C", "repo", "rev-parse", "HEAD:" + path).trimmingCharacters(in: .newlines)
            return TreeFile(
                path: path, kind: kind, blob: try #require(ObjectID(hex: blob)), contents: Array(contents.utf8))
        }
        let expected = [
            try file("bin/tool.sh", .executable, "#!/bin/sh\necho hi\n"),
            try file("escape", .symlink, "/etc/passwd"),
            try file("link.yaml", .symlink, "teams/eng/lead.yaml"),
            try file("org.yaml", .file, "name: acme\n"),
            try file("teams-x.yaml", .file, "x\n"),
            try file("teams/eng/lead.yaml", .file, "ada\n"),
            try file("teams/eng/members.yaml", .file, "- ada\n"),
            try file("teams/ops/members.yaml", .file, "- grace\n"),
            try file("vendor/lib", .submodule, ""),
            try file("équipe.yaml", .file, "fr\n"),
        ]
        #expect(files == expected)

        let tree = try repository.commit(head).tree
        #expect(try repository.treeFiles(tree: tree) == expected)
    }

    @Test(.scratchDirectory)
    func anEmptyTreeHasNoFiles() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.git("-C", "repo", "commit", "--quiet", "--allow-empty", "-m", "empty")
        let repository = try Repository.open(scratch.path("repo"))
        let head = try #require(try repository.headCommit())
        #expect(try repository.treeFiles(of: head) == [])
    }

    @Test(.scratchDirectory)
    func theWrongKindOfObjectThrows() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "org")
        let repository = try Repository.open(scratch.path("repo"))
        let head = try #require(try repository.headCommit())
        let tree = try repository.commit(head).tree
        let unknown = try #require(ObjectID(hex: Self.submodule))

        #expect(throws: GitError.self) { try repository.treeFiles(of: tree) }
        #expect(throws: GitError.self) { try repository.treeFiles(tree: head) }
        let error = try #require(throws: GitError.self) { try repository.treeFiles(tree: unknown) }
        #expect(error.isNotFound)
    }
}
