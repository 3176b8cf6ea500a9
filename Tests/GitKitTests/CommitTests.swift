import Foundation
import GitKit
import Testing

@Suite("Writing commits and moving references")
struct CommitTests {
    let ada = Signature(name: "Ada Lovelace", email: "ada@example.com", time: 1_700_000_000, offsetMinutes: 60)
    let bot = Signature(name: "orgsync", email: "bot@example.com", time: 1_700_000_100, offsetMinutes: -300)

    /// Writes `files` into the working tree of `repository`, stages them and returns the tree.
    func stage(_ files: [String: String], in repository: Repository, scratch: Scratch) throws -> ObjectID {
        let index = try repository.index()
        for (path, contents) in files {
            try scratch.write("repo/" + path, contents)
            try index.add(path: path)
        }
        try index.write()
        return try index.writeTree()
    }

    @Test(.scratchDirectory)
    func firstCommitThroughTheIndexMatchesTheCLI() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let tree = try stage(
            ["org.yaml": "name: acme\n", "teams/eng/members.yaml": "- ada\n"],
            in: repository,
            scratch: scratch
        )

        let id = try repository.createCommit(
            tree: tree, parents: [], author: ada, committer: bot,
            message: "Add the organization\n\nWith one team.\n"
        )
        // Writing the commit moves nothing.
        #expect(repository.isHeadUnborn)

        try repository.updateReference("refs/heads/main", to: id, expecting: nil, message: "orgsync: initial")

        #expect(!repository.isHeadUnborn)
        #expect(try repository.headCommit() == id)
        #expect(try scratch.git("-C", "repo", "rev-parse", "HEAD") == id.hex + "\n")
        #expect(
            try scratch.git("-C", "repo", "log", "--format=%an%x00%ae%x00%s")
                == "Ada Lovelace\0ada@example.com\0Add the organization\n"
        )
        #expect(
            try scratch.git("-C", "repo", "log", "--format=%at %ai|%cn <%ce> %ct %ci")
                == "1700000000 2023-11-14 23:13:20 +0100|orgsync <bot@example.com> 1700000100 2023-11-14 17:15:00 -0500\n"
        )
        #expect(try scratch.git("-C", "repo", "status", "--porcelain") == "")
        #expect(try scratch.git("-C", "repo", "reflog", "--format=%gs", "refs/heads/main") == "orgsync: initial\n")

        let commit = try repository.commit(id)
        #expect(
            commit
                == Commit(
                    id: id, tree: tree, parents: [], author: ada, committer: bot,
                    message: "Add the organization\n\nWith one team.\n", summary: "Add the organization"
                )
        )
    }

    @Test(.scratchDirectory)
    func aStaleExpectationIsRefusedAndLeavesTheReference() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let firstTree = try stage(["org.yaml": "name: acme\n"], in: repository, scratch: scratch)
        let first = try repository.createCommit(
            tree: firstTree, parents: [], author: ada, committer: ada, message: "first\n")
        try repository.updateReference("refs/heads/main", to: first, expecting: nil, message: "first")

        let secondTree = try stage(["org.yaml": "name: acme corp\n"], in: repository, scratch: scratch)
        let second = try repository.createCommit(
            tree: secondTree, parents: [first], author: ada, committer: ada, message: "second\n")
        let third = try repository.createCommit(
            tree: secondTree, parents: [second], author: ada, committer: ada, message: "third\n")

        // Someone else moved main to `second` in the meantime.
        try repository.updateReference("refs/heads/main", to: second, expecting: first, message: "second")

        let stale = try #require(throws: GitError.self) {
            try repository.updateReference("refs/heads/main", to: third, expecting: first, message: "third")
        }
        #expect(stale.isReferenceMismatch)
        #expect(stale.function == "git_reference_create_matching")

        let exists = try #require(throws: GitError.self) {
            try repository.updateReference("refs/heads/main", to: third, expecting: nil, message: "third")
        }
        #expect(exists.isReferenceMismatch)
        #expect(exists.function == "git_reference_create")

        let missing = try #require(throws: GitError.self) {
            try repository.updateReference("refs/heads/other", to: third, expecting: first, message: "third")
        }
        #expect(missing.isReferenceMismatch)
        #expect(missing.message == "reference 'refs/heads/other' does not exist, expected it at \(first)")

        #expect(try scratch.git("-C", "repo", "rev-parse", "refs/heads/main") == second.hex + "\n")
        #expect(try scratch.git("-C", "repo", "for-each-ref", "--format=%(refname)") == "refs/heads/main\n")
        #expect(try repository.commit(second).parents == [first])
    }

    @Test(.scratchDirectory)
    func invalidReferenceNamesAndTargetsAreErrorsNotMismatches() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let tree = try stage(["org.yaml": "name: acme\n"], in: repository, scratch: scratch)
        let id = try repository.createCommit(tree: tree, parents: [], author: ada, committer: ada, message: "first\n")

        for name in ["refs/heads/bad..name", "refs/heads/x\0y", ""] {
            let error = try #require(throws: GitError.self) {
                try repository.updateReference(name, to: id, expecting: nil, message: "bad")
            }
            #expect(!error.isReferenceMismatch)
        }
        let unknown = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))
        let error = try #require(throws: GitError.self) {
            try repository.updateReference("refs/heads/main", to: unknown, expecting: nil, message: "bad")
        }
        #expect(!error.isReferenceMismatch)
        #expect(repository.isHeadUnborn)
    }

    @Test(.scratchDirectory)
    func createCommitRefusesBadInput() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let tree = try stage(["org.yaml": "name: acme\n"], in: repository, scratch: scratch)
        let blob = try repository.writeBlob(Array("name: acme\n".utf8))
        let unknown = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))

        let missingParent = try #require(throws: GitError.self) {
            try repository.createCommit(tree: tree, parents: [unknown], author: ada, committer: ada, message: "x\n")
        }
        #expect(missingParent.isNotFound)
        #expect(missingParent.function == "git_commit_lookup")

        let blobAsTree = try #require(throws: GitError.self) {
            try repository.createCommit(tree: blob, parents: [], author: ada, committer: ada, message: "x\n")
        }
        #expect(blobAsTree.function == "git_tree_lookup")

        var angled = ada
        angled.name = "Ada <Lovelace>"
        let badSignature = try #require(throws: GitError.self) {
            try repository.createCommit(tree: tree, parents: [], author: angled, committer: ada, message: "x\n")
        }
        #expect(badSignature.function == "git_signature_new")

        let nul = try #require(throws: GitError.self) {
            try repository.createCommit(tree: tree, parents: [], author: ada, committer: ada, message: "x\0y\n")
        }
        #expect(nul.message == "commit message contains a NUL byte")
    }

    @Test(.scratchDirectory)
    func commitReadsAMergeMadeByTheCLI() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "name: acme\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "first")
        try scratch.git("-C", "repo", "checkout", "--quiet", "-b", "feature")
        try scratch.write("repo/teams.yaml", "[]\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "teams")
        try scratch.git("-C", "repo", "checkout", "--quiet", "main")
        try scratch.write("repo/people.yaml", "[]\n")
        try scratch.git("-C", "repo", "add", ".")
        try scratch.git("-C", "repo", "commit", "--quiet", "-m", "people")
        try scratch.git("-C", "repo", "merge", "--quiet", "--no-ff", "-m", "Merge feature\n\ninto main", "feature")
        let revisions = try scratch.git("-C", "repo", "rev-parse", "HEAD", "HEAD^1", "HEAD^2", "HEAD^{tree}")
            .split(separator: "\n").map(String.init)

        let repository = try Repository.open(scratch.path("repo"))
        let head = try #require(try repository.headCommit())
        let commit = try repository.commit(head)
        let tester = Signature(name: "CLI Tester", email: "cli@example.com", time: 1_700_000_000, offsetMinutes: 120)

        #expect([commit.id, commit.parents[0], commit.parents[1], commit.tree].map(\.hex) == revisions)
        #expect(commit.parents.count == 2)
        #expect(commit.author == tester)
        #expect(commit.committer == tester)
        #expect(commit.message == "Merge feature\n\ninto main\n")
        #expect(commit.summary == "Merge feature")
    }

    @Test(.scratchDirectory)
    func blobsRoundTripArbitraryBytes() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        let bytes: [UInt8] = [0, 255, 10, 65, 0xc3, 0x28]
        try scratch.write("raw.bin", bytes)

        let id = try repository.writeBlob(bytes)
        #expect(try scratch.git("hash-object", "raw.bin") == id.hex + "\n")
        #expect(try repository.blob(id) == bytes)

        let empty = try repository.writeBlob([])
        #expect(empty.hex == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(try repository.blob(empty) == [])

        let unknown = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))
        let error = try #require(throws: GitError.self) { try repository.blob(unknown) }
        #expect(error.isNotFound)
        #expect(error.function == "git_blob_lookup")
    }
}
