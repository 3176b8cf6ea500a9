import Foundation
import GitKit
import Testing

@Suite("Listing index entries")
struct IndexEntriesTests {
    /// The entries `git ls-files --stage` prints, in its order.
    func cliEntries(_ scratch: Scratch) throws -> [IndexEntry] {
        let kinds: [String: TreeEntryKind] = [
            "100644": .file, "100755": .executable, "120000": .symlink, "160000": .submodule,
        ]
        let output = try scratch.gitData(["-C", "repo", "ls-files", "--stage", "-z"])
        return try output.split(separator: 0).map { record in
            let line = String(decoding: record, as: UTF8.self)
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            let fields = try #require(parts.first).split(separator: " ").map(String.init)
            try #require(parts.count == 2 && fields.count == 3, "unexpected ls-files line '\(line)'")
            return IndexEntry(
                path: parts[1],
                kind: try #require(kinds[fields[0]]),
                blob: try #require(ObjectID(hex: fields[1])),
                stage: try #require(Int(fields[2]))
            )
        }
    }

    @Test(.scratchDirectory)
    func listsEveryKindOfEntrySortedByPath() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.write("repo/teams-x.yaml", "x\n")
        try scratch.write("repo/teams/eng/members.yaml", "- ada\n")
        try scratch.write("repo/équipe.yaml", "fr\n")
        try scratch.write("repo/bin/tool.sh", "#!/bin/sh\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.path("repo/bin/tool.sh"))
        try FileManager.default.createSymbolicLink(atPath: scratch.path("repo/link.yaml"), withDestinationPath: "org.yaml")
        try scratch.git("-C", "repo", "add", ".")
        let pin = "0123456789abcdef0123456789abcdef01234567"
        try scratch.git("-C", "repo", "update-index", "--add", "--cacheinfo", "160000,\(pin),vendor/lib")

        let repository = try Repository.open(scratch.path("repo"))
        func entry(_ path: String, _ kind: TreeEntryKind) throws -> IndexEntry {
            let blob = kind == .submodule ? try #require(ObjectID(hex: pin)) : try scratch.objectID(":" + path)
            return IndexEntry(path: path, kind: kind, blob: blob, stage: 0)
        }
        let expected = [
            try entry("bin/tool.sh", .executable),
            try entry("link.yaml", .symlink),
            try entry("org.yaml", .file),
            try entry("teams-x.yaml", .file),
            try entry("teams/eng/members.yaml", .file),
            try entry("vendor/lib", .submodule),
            try entry("équipe.yaml", .file),
        ]
        #expect(try repository.index().entries() == expected)
        #expect(try cliEntries(scratch) == expected)
        #expect(try Repository.create(at: scratch.path("empty")).index().entries() == [])
    }

    @Test(.scratchDirectory)
    func aFreshIndexSeesWhatTheCLIStagedMeanwhile() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        let repository = try Repository.open(scratch.path("repo"))
        let first = try repository.index()
        #expect(first.entries().map(\.path) == ["org.yaml"])

        try scratch.write("repo/team.yaml", "- ada\n")
        try scratch.write("repo/org.yaml", "name: acme corp\n")
        try scratch.git("-C", "repo", "add", ".")
        let fresh = try repository.index()
        #expect(fresh.entries() == (try cliEntries(scratch)))
        #expect(fresh.entries().map(\.path) == ["org.yaml", "team.yaml"])
        #expect(fresh.entries().first?.blob == (try scratch.objectID(":org.yaml")))

        // Unsaved changes survive as long as the file on disk does not change.
        try scratch.write("repo/later.yaml", "later\n")
        try fresh.add(path: "later.yaml")
        #expect(try repository.index().entries().map(\.path) == ["later.yaml", "org.yaml", "team.yaml"])
        withExtendedLifetime(first) {}
    }

    @Test(.scratchDirectory)
    func conflictsListEveryStage() throws {
        let scratch = try Scratch.current()
        try makeConflict(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let entries = try repository.index().entries()

        func entry(_ path: String, _ stage: Int) throws -> IndexEntry {
            IndexEntry(path: path, kind: .file, blob: try scratch.objectID(":\(stage):\(path)"), stage: stage)
        }
        let expected = [
            try entry("both.yaml", 2),
            try entry("both.yaml", 3),
            try entry("clean.yaml", 0),
            try entry("gone.yaml", 1),
            try entry("gone.yaml", 3),
            try entry("org.yaml", 1),
            try entry("org.yaml", 2),
            try entry("org.yaml", 3),
            try entry("same.yaml", 0),
        ]
        #expect(entries == expected)
        #expect(entries == (try cliEntries(scratch)))
        #expect(try repository.blob(expected[7].blob) == Array("name: acme corp\n".utf8))
        #expect(try repository.blob(expected[6].blob) == Array("name: acme inc\n".utf8))
    }
}
