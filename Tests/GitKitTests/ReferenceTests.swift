import Foundation
import GitKit
import Testing

@Suite("Listing and resolving references")
struct ReferenceTests {
    /// Two commits and references of every shape: branches, a remote with a symbolic HEAD, lightweight and
    /// annotated tags, a tag of a tag, tags of a tree and of a blob, and a broken symbolic reference.
    func makeReferences(_ scratch: Scratch) throws -> (first: ObjectID, second: ObjectID) {
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        let first = try scratch.commit("first")
        try scratch.git("-C", "repo", "branch", "topic")
        try scratch.git("-C", "repo", "tag", "light")
        try scratch.git("-C", "repo", "update-ref", "refs/remotes/origin/main", first.hex)
        try scratch.git("-C", "repo", "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
        // Some references live in packed-refs, the rest as loose files.
        try scratch.git("-C", "repo", "pack-refs", "--all")
        let second = try scratch.commit("second")
        try scratch.git("-C", "repo", "tag", "-a", "-m", "version 1", "v1")
        try scratch.git("-C", "repo", "tag", "-a", "-m", "again", "v1-again", "v1")
        try scratch.git("-C", "repo", "tag", "-a", "-m", "a tree", "tree-tag", "HEAD^{tree}")
        try scratch.git("-C", "repo", "tag", "blob-tag", "HEAD:org.yaml")
        try scratch.git("-C", "repo", "symbolic-ref", "refs/heads/broken", "refs/heads/nowhere")
        try scratch.git("-C", "repo", "branch", "topic-2", first.hex)
        return (first, second)
    }

    @Test(.scratchDirectory)
    func listsReferencesThatLeadToCommits() throws {
        let scratch = try Scratch.current()
        let (first, second) = try makeReferences(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        // v1-again is a tag of the tag v1.
        #expect(try scratch.git("-C", "repo", "cat-file", "-p", "v1-again").contains("type tag\n"))

        let expected = [
            ReferenceTarget(name: "refs/heads/main", commit: second),
            ReferenceTarget(name: "refs/heads/topic", commit: first),
            ReferenceTarget(name: "refs/heads/topic-2", commit: first),
            ReferenceTarget(name: "refs/remotes/origin/HEAD", commit: first),
            ReferenceTarget(name: "refs/remotes/origin/main", commit: first),
            ReferenceTarget(name: "refs/tags/light", commit: first),
            ReferenceTarget(name: "refs/tags/v1", commit: second),
            ReferenceTarget(name: "refs/tags/v1-again", commit: second),
        ]
        #expect(try repository.references() == expected)
        // The CLI lists the same, in the same order, plus the tags of a tree and a blob; it skips the broken one too.
        let cli = try scratch.git("-C", "repo", "for-each-ref", "--format=%(refname)").split(separator: "\n")
        #expect(cli.filter { !$0.hasSuffix("tree-tag") && !$0.hasSuffix("blob-tag") } == expected.map { Substring($0.name) })
        #expect(cli.count == expected.count + 2)
    }

    @Test(.scratchDirectory)
    func aReferenceToAMissingObjectThrows() throws {
        let scratch = try Scratch.current()
        _ = try makeReferences(scratch)
        try scratch.write("repo/.git/refs/heads/corrupt", "0123456789abcdef0123456789abcdef01234567\n")
        let repository = try Repository.open(scratch.path("repo"))

        let listing = try #require(throws: GitError.self) { try repository.references() }
        #expect(listing.isNotFound)
        #expect(listing.function == "git_object_lookup")
        let resolving = try #require(throws: GitError.self) { try repository.resolveReference("refs/heads/corrupt") }
        #expect(resolving.isNotFound)
    }

    @Test(.scratchDirectory)
    func onlyReferencesUnderRefsAreListed() throws {
        let scratch = try Scratch.current()
        let (first, second) = try makeReferences(scratch)
        // Pseudo-references such as ORIG_HEAD, loose or hand-written into packed-refs, are not under refs/.
        try scratch.git("-C", "repo", "update-ref", "ORIG_HEAD", first.hex)
        let packed = try String(contentsOfFile: scratch.path("repo/.git/packed-refs"), encoding: .utf8)
        try scratch.write("repo/.git/packed-refs", packed + "\(first.hex) PACKED_HEAD\n")
        let repository = try Repository.open(scratch.path("repo"))
        #expect(try repository.resolveReference("ORIG_HEAD") == first)

        let names = try repository.references().map(\.name)
        #expect(names.count == 8)
        #expect(names.allSatisfy { $0.hasPrefix("refs/") })
        #expect(try repository.references().first == ReferenceTarget(name: "refs/heads/main", commit: second))
    }

    @Test(.scratchDirectory)
    func anEmptyRepositoryHasNoReferences() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        #expect(try repository.references() == [])
    }

    @Test(.scratchDirectory)
    func resolvesFullNamesToCommits() throws {
        let scratch = try Scratch.current()
        let (first, second) = try makeReferences(scratch)
        let repository = try Repository.open(scratch.path("repo"))

        #expect(try repository.resolveReference("refs/heads/main") == second)
        #expect(try repository.resolveReference("refs/heads/topic") == first)
        #expect(try repository.resolveReference("refs/tags/light") == first)
        #expect(try repository.resolveReference("refs/tags/v1") == second)
        #expect(try repository.resolveReference("refs/tags/v1-again") == second)
        #expect(try repository.resolveReference("refs/remotes/origin/HEAD") == first)
        #expect(try repository.resolveReference("HEAD") == second)

        #expect(try repository.resolveReference("refs/heads/missing") == nil)
        #expect(try repository.resolveReference("refs/heads/broken") == nil)
        // Short names are not expanded; libgit2 calls them invalid.
        let short = try #require(throws: GitError.self) { try repository.resolveReference("main") }
        #expect(short.code == -12)  // GIT_EINVALIDSPEC
    }

    @Test(.scratchDirectory)
    func aReferenceToATreeOrBlobThrows() throws {
        let scratch = try Scratch.current()
        _ = try makeReferences(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let tree = try scratch.objectID("HEAD^{tree}")
        let blob = try scratch.objectID("HEAD:org.yaml")

        let treeError = try #require(throws: GitError.self) { try repository.resolveReference("refs/tags/tree-tag") }
        #expect(treeError.message == "reference 'refs/tags/tree-tag' names tree \(tree), not a commit")
        #expect(!treeError.isNotFound)
        let blobError = try #require(throws: GitError.self) { try repository.resolveReference("refs/tags/blob-tag") }
        #expect(blobError.message == "reference 'refs/tags/blob-tag' names blob \(blob), not a commit")
    }

    @Test(.scratchDirectory, arguments: ["", "main", "refs/heads/../x", "refs/heads/a b", "with\u{0}nul", "refs/heads/"])
    func badNamesThrow(_ name: String) throws {
        let scratch = try Scratch.current()
        _ = try makeReferences(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        #expect(throws: GitError.self) { try repository.resolveReference(name) }
    }

    @Test(.scratchDirectory)
    func nothingResolvesInAnUnbornRepository() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        #expect(try repository.resolveReference("HEAD") == nil)
        #expect(try repository.resolveReference("refs/heads/main") == nil)
    }
}
