import Foundation
import GitKit
import Testing

@Suite("Reading objects from an alternate directory")
struct AlternateObjectsTests {
    @Test(.scratchDirectory)
    func readsAnotherRepositorysObjects() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository("a")
        try scratch.write("a/org.yaml", "name: acme\n")
        try scratch.git("-C", "a", "add", ".")
        try scratch.commit("a", in: "a")
        try scratch.makeRepository("b")
        try scratch.write("b/org.yaml", "name: bravo\n")
        try scratch.write("b/teams/eng.yaml", "- ada\n")
        try scratch.git("-C", "b", "add", ".")
        let packed = try scratch.commit("packed", in: "b")
        // The first commit goes into a pack, the second stays loose.
        try scratch.git("-C", "b", "repack", "--quiet", "-a", "-d")
        #expect(try scratch.git("-C", "b", "count-objects", "-v").hasPrefix("count: 0\n"))
        try scratch.write("b/teams/ops.yaml", "- grace\n")
        try scratch.git("-C", "b", "add", ".")
        let loose = try scratch.commit("loose", in: "b")
        let blob = try scratch.objectID("\(loose.hex):teams/ops.yaml", in: "b")

        let repository = try Repository.open(scratch.path("a"))
        let before = try #require(throws: GitError.self) { try repository.commit(loose) }
        #expect(before.isNotFound)
        #expect(throws: GitError.self) { try repository.commit(packed) }
        #expect(throws: GitError.self) { try repository.blob(blob) }

        try repository.addAlternateObjectDirectory(scratch.path("b/.git/objects"))
        #expect(try repository.commit(loose).parents == [packed])
        #expect(try repository.commit(packed).summary == "packed")
        #expect(try repository.blob(blob) == Array("- grace\n".utf8))
        #expect(try repository.treeFiles(of: loose).map(\.path) == ["org.yaml", "teams/eng.yaml", "teams/ops.yaml"])
        #expect(try repository.walk(including: [loose], excluding: []) == [packed, loose])
        // Adding it again changes nothing.
        try repository.addAlternateObjectDirectory(scratch.path("b/.git/objects"))
        #expect(try repository.commit(loose).id == loose)

        // Nothing was written: the repository opened again does not see them.
        #expect(!FileManager.default.fileExists(atPath: scratch.path("a/.git/objects/info/alternates")))
        #expect(throws: GitError.self) { try Repository.open(scratch.path("a")).commit(loose) }
        // Objects written go to the repository's own directory, never the alternate.
        let written = try repository.writeBlob(Array("written in a\n".utf8))
        #expect(try scratch.git("-C", "a", "cat-file", "-t", written.hex) == "blob\n")
        #expect(try scratch.git("-C", "b", "cat-file", "-t", written.hex, allowFailure: true) == "")
    }

    /// Pushes a new commit to a bare repository whose pre-receive hook copies git's quarantine directory to
    /// `quarantine` and refuses the push, so the pushed objects exist only in the copy.
    @Test(.scratchDirectory)
    func readsAPushQuarantine() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository("work")
        try scratch.write("work/org.yaml", "name: acme\n")
        try scratch.git("-C", "work", "add", ".")
        let base = try scratch.commit("base", in: "work")
        try scratch.git("init", "--quiet", "--bare", "-b", "main", "server.git")
        try scratch.git("-C", "work", "push", "--quiet", "../server.git", "main")
        try scratch.write(
            "server.git/hooks/pre-receive",
            """
            #!/bin/sh
            test -n "$GIT_QUARANTINE_PATH" && test "$GIT_OBJECT_DIRECTORY" = "$GIT_QUARANTINE_PATH" || exit 2
            cp -R "$GIT_QUARANTINE_PATH" "\(scratch.path("quarantine"))"
            echo refused >&2
            exit 1

            """
        )
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: scratch.path("server.git/hooks/pre-receive"))
        try scratch.write("work/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "work", "add", ".")
        let pushed = try scratch.commit("pushed", in: "work")
        try scratch.git("-C", "work", "push", "--quiet", "../server.git", "main", allowFailure: true)
        #expect(FileManager.default.fileExists(atPath: scratch.path("quarantine")))

        let server = try Repository.open(scratch.path("server.git"))
        #expect(try server.resolveReference("refs/heads/main") == base)
        #expect(throws: GitError.self) { try server.commit(pushed) }

        try server.addAlternateObjectDirectory(scratch.path("quarantine"))
        let known = try server.references().map(\.commit)
        #expect(try server.walk(including: [pushed], excluding: known) == [pushed])
        let tree = try server.commit(pushed).tree
        let changes = try server.diff(from: try server.commit(base).tree, to: tree)
        #expect(changes.map(\.path) == ["org.yaml"])
        #expect(try server.blob(try #require(changes.first?.new?.blob)) == Array("name: acme corp\n".utf8))
    }

    @Test(.scratchDirectory)
    func onlyADirectoryCanBeAdded() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        try scratch.write("file", "not a directory\n")

        let missing = try #require(throws: GitError.self) {
            try repository.addAlternateObjectDirectory(scratch.path("missing"))
        }
        #expect(missing.isNotFound)
        #expect(missing.message == "'\(scratch.path("missing"))' is not a directory")
        #expect(missing.function == "git_odb_add_disk_alternate")
        #expect(throws: GitError.self) { try repository.addAlternateObjectDirectory(scratch.path("file")) }
        #expect(throws: GitError.self) { try repository.addAlternateObjectDirectory("") }
        #expect(throws: GitError.self) { try repository.addAlternateObjectDirectory(scratch.path("repo\0/x")) }
    }
}
