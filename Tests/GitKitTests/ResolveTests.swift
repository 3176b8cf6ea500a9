import Foundation
import GitKit
import Testing

@Suite("Resolving revisions")
struct ResolveTests {
    /// A CLI repository with two commits, an annotated tag `v1` on the first and the file `org.yaml`.
    func makeHistory(_ scratch: Scratch) throws -> Repository {
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "first")
        try scratch.git("-C", "repo", "tag", "-a", "-m", "version 1", "v1")
        try scratch.git("-C", "repo", "commit", "--quiet", "--allow-empty", "-m", "second")
        return try Repository.open(scratch.path("repo"))
    }

    func revParse(_ scratch: Scratch, _ revision: String) throws -> String {
        try scratch.git("-C", "repo", "rev-parse", revision).trimmingCharacters(in: .newlines)
    }

    @Test(.scratchDirectory)
    func resolvesLikeTheCLI() throws {
        let scratch = try Scratch.current()
        let repository = try makeHistory(scratch)
        let first = try revParse(scratch, "HEAD~1")

        #expect(try repository.resolveCommit("HEAD").hex == revParse(scratch, "HEAD"))
        #expect(try repository.resolveCommit("HEAD~1").hex == first)
        #expect(try repository.resolveCommit("main^").hex == first)
        #expect(try repository.resolveCommit("v1").hex == first)
        #expect(try repository.resolveCommit(String(first.prefix(10))).hex == first)
        #expect(try revParse(scratch, "v1") != first)  // the tag object itself was peeled
    }

    @Test(.scratchDirectory)
    func anUnknownRevisionIsNotFoundAndNamed() throws {
        let scratch = try Scratch.current()
        let repository = try makeHistory(scratch)

        let error = try #require(throws: GitError.self) { try repository.resolveCommit("nope") }
        #expect(error.isNotFound)
        #expect(error.function == "git_revparse_single")
        #expect(error.message == "revspec 'nope' not found")
        #expect(error.description == "git_revparse_single failed: revspec 'nope' not found")
    }

    @Test(.scratchDirectory)
    func aTreeOrBlobIsNotACommit() throws {
        let scratch = try Scratch.current()
        let repository = try makeHistory(scratch)
        let tree = try revParse(scratch, "HEAD^{tree}")
        let blob = try revParse(scratch, "HEAD:org.yaml")

        let treeError = try #require(throws: GitError.self) { try repository.resolveCommit("HEAD^{tree}") }
        #expect(treeError.message == "revision 'HEAD^{tree}' names tree \(tree), not a commit")
        #expect(treeError.function == "git_object_peel")
        #expect(!treeError.isNotFound)

        let blobError = try #require(throws: GitError.self) { try repository.resolveCommit("HEAD:org.yaml") }
        #expect(blobError.message == "revision 'HEAD:org.yaml' names blob \(blob), not a commit")
    }

    @Test(.scratchDirectory, arguments: ["", "HEAD~5", "HEAD..main", "main@{yesterday", "HEAD^{nope}", "refs/heads/../x", "with\u{0}nul"])
    func badRevisionsThrow(_ revision: String) throws {
        let scratch = try Scratch.current()
        let repository = try makeHistory(scratch)
        #expect(throws: GitError.self) { try repository.resolveCommit(revision) }
    }

    @Test(.scratchDirectory)
    func nothingResolvesInAnUnbornRepository() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        #expect(try repository.headCommit() == nil)
        let error = try #require(throws: GitError.self) { try repository.resolveCommit("HEAD") }
        #expect(error.isNotFound)
    }
}
