import Foundation
import GitKit
import Testing

@Suite("The index")
struct IndexTests {
    @Test(.scratchDirectory)
    func addRemoveWriteAndRead() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        try scratch.write("repo/a.yaml", "a\n")
        try scratch.write("repo/teams/b.yaml", "b\n")

        let index = try repository.index()
        #expect(index.entryCount == 0)
        try index.add(path: "a.yaml")
        try index.add(path: "teams/b.yaml")
        #expect(index.entryCount == 2)
        try index.write()
        #expect(try scratch.git("-C", "repo", "ls-files") == "a.yaml\nteams/b.yaml\n")

        try index.remove(path: "a.yaml")
        #expect(index.entryCount == 1)
        try index.write()
        #expect(try scratch.git("-C", "repo", "ls-files") == "teams/b.yaml\n")
        #expect(FileManager.default.fileExists(atPath: scratch.path("repo/a.yaml")))

        // Unsaved changes are dropped by a forced read.
        try index.add(path: "a.yaml")
        try index.read(force: true)
        #expect(index.entryCount == 1)

        let tree = try index.writeTree()
        #expect(try scratch.git("-C", "repo", "write-tree") == tree.hex + "\n")
        #expect(!index.hasConflicts)
    }

    @Test(.scratchDirectory)
    func badPathsThrow() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let index = try repository.index()

        let missing = try #require(throws: GitError.self) { try index.add(path: "missing.yaml") }
        #expect(missing.function == "git_index_add_bypath")
        #expect(throws: GitError.self) { try index.add(path: scratch.path("outside.yaml")) }
        #expect(throws: GitError.self) { try index.add(path: "../outside.yaml") }
        #expect(throws: GitError.self) { try index.add(path: "a\0b") }
        #expect(throws: GitError.self) { try index.add(path: ".git/config") }
        #expect(index.entryCount == 0)

        let bare = try Repository.create(at: scratch.path("bare.git"), bare: true)
        try scratch.write("bare.git/org.yaml", "name: acme\n")
        #expect(throws: GitError.self) { try bare.index().add(path: "org.yaml") }
    }

    @Test(.scratchDirectory)
    func aConflictedIndexCannotBecomeATreeUntilResolved() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "first")
        try scratch.git("-C", "repo", "checkout", "--quiet", "-b", "rename")
        try scratch.write("repo/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "repo", "commit", "--quiet", "-am", "rename")
        try scratch.git("-C", "repo", "checkout", "--quiet", "main")
        try scratch.write("repo/org.yaml", "name: acme inc\n")
        try scratch.git("-C", "repo", "commit", "--quiet", "-am", "rename differently")
        try scratch.git("-C", "repo", "merge", "--quiet", "rename", allowFailure: true)

        let repository = try Repository.open(scratch.path("repo"))
        let index = try repository.index()
        #expect(index.hasConflicts)
        #expect(index.entryCount == 3)
        let error = try #require(throws: GitError.self) { try index.writeTree() }
        #expect(error.function == "git_index_write_tree")

        try scratch.write("repo/org.yaml", "name: acme corp inc\n")
        try index.add(path: "org.yaml")
        #expect(!index.hasConflicts)
        #expect(index.entryCount == 1)
        try index.write()
        #expect(try scratch.git("-C", "repo", "diff", "--name-only", "--diff-filter=U") == "")
        #expect(try index.writeTree().hex == scratch.git("-C", "repo", "write-tree").trimmingCharacters(in: .newlines))
    }
}
