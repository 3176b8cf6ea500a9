import Foundation
import GitKit
import Testing

/// Clone, fetch and push through libgit2 against a bare repository on this machine, which is reached through
/// git's own upload-pack and receive-pack so that its hooks run.
@Suite("Remotes: clone, fetch and push")
struct RemoteTests {
    let ada = Signature(name: "Ada Lovelace", email: "ada@example.com", time: 1_700_000_000, offsetMinutes: 0)

    /// A bare `remote.git` holding one commit on `main`, made with the CLI in `seed`.
    func makeRemote(_ scratch: Scratch) throws {
        try scratch.makeRepository("seed")
        try scratch.write("seed/org.yaml", "name: acme\n")
        try scratch.git("-C", "seed", "add", "org.yaml")
        try scratch.commit("First", in: "seed")
        try scratch.git("clone", "--quiet", "--bare", "seed", "remote.git")
    }

    /// Commits `contents` as `org.yaml` on top of HEAD with libgit2 and moves the branch.
    @discardableResult
    func commit(_ contents: String, in repository: Repository) throws -> ObjectID {
        let head = try repository.headCommit()
        let index = try repository.index()
        try index.add(path: "org.yaml", blob: try repository.writeBlob(Array(contents.utf8)))
        let tree = try index.writeTree()
        let commit = try repository.createCommit(tree: tree, parents: head.map { [$0] } ?? [], author: ada, committer: ada, message: contents)
        try repository.updateReference("refs/heads/main", to: commit, expecting: head, message: "test")
        return commit
    }

    @Test(.scratchDirectory)
    func cloneChecksOutAndTracksTheRemote() throws {
        let scratch = try Scratch.current()
        try makeRemote(scratch)
        var events: [TransferProgress] = []
        let clone = try Repository.clone(url: scratch.path("remote.git"), to: scratch.path("clone")) { events.append($0) }
        #expect(try clone.headCommit() == scratch.objectID("HEAD", in: "remote.git"))
        #expect(try clone.resolveReference("refs/remotes/origin/main") == scratch.objectID("HEAD", in: "remote.git"))
        #expect(try clone.remoteNames() == ["origin"])
        #expect(try clone.remoteURL("origin") == scratch.path("remote.git"))
        #expect(FileManager.default.contents(atPath: scratch.path("clone/org.yaml")) == Data("name: acme\n".utf8))
        // The objects came through the transfer callbacks: 3 objects (commit, tree, blob).
        #expect(events.contains(.receiving(objects: 3, total: 3, bytes: events.compactMap { if case .receiving(3, 3, let b) = $0 { b } else { nil } }.last ?? -1)))
        #expect(try scratch.git("-C", "clone", "fsck", "--strict").isEmpty)
    }

    @Test(.scratchDirectory)
    func pushRunsTheServersHooksAndReportsTheirRefusal() throws {
        let scratch = try Scratch.current()
        try makeRemote(scratch)
        try scratch.write("remote.git/hooks/pre-receive", "#!/bin/sh\nwhile read old new ref; do\n  if git cat-file -p \"$new:org.yaml\" | grep -q forbidden; then echo \"refusing $ref\" >&2; exit 1; fi\ndone\n")
        try scratch.git("-C", "remote.git", "config", "receive.denyNonFastForwards", "true")
        chmod(scratch.path("remote.git/hooks/pre-receive"), 0o755)
        let clone = try Repository.clone(url: "file://" + scratch.path("remote.git"), to: scratch.path("clone"))

        let refused = try commit("name: forbidden\n", in: clone)
        let rejection = try clone.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"])
        #expect(rejection.rejected == ["refs/heads/main": "pre-receive hook declined"])
        #expect(rejection.remoteLines.contains("refusing refs/heads/main"))
        #expect(try clone.resolveReference("refs/remotes/origin/main") != refused)

        let accepted = try commit("name: fine\n", in: clone)
        var sent = false
        let result = try clone.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"]) {
            if case .sending = $0 { sent = true }
        }
        #expect(result.rejected.isEmpty)
        #expect(sent)
        #expect(try scratch.objectID("main", in: "remote.git") == accepted)
        #expect(try clone.resolveReference("refs/remotes/origin/main") == accepted)
    }

    @Test(.scratchDirectory)
    func aPushThatIsNotAFastForwardThrowsAndAFetchCatchesUp() throws {
        let scratch = try Scratch.current()
        try makeRemote(scratch)
        let first = try Repository.clone(url: scratch.path("remote.git"), to: scratch.path("first"))
        let second = try Repository.clone(url: scratch.path("remote.git"), to: scratch.path("second"))
        let published = try commit("name: one\n", in: first)
        #expect(try first.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"]).rejected.isEmpty)
        try commit("name: two\n", in: second)
        let error = #expect(throws: GitError.self) { try second.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"]) }
        #expect(error?.isNonFastForward == true)
        try second.fetch(remote: "origin")
        #expect(try second.resolveReference("refs/remotes/origin/main") == published)
        #expect(throws: GitError.self) { try second.fetch(remote: "nowhere") }
    }

    @Test(.scratchDirectory)
    func aMissingRepositoryIsAClearError() throws {
        let scratch = try Scratch.current()
        let error = #expect(throws: GitError.self) { try Repository.clone(url: scratch.path("missing.git"), to: scratch.path("clone")) }
        #expect(error != nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("clone/.git")))
    }
}
