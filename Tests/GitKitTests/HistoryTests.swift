import Foundation
import GitKit
import Testing

@Suite("Walking history")
struct HistoryTests {
    /// The commits of a small history with a merge, plus an unrelated root:
    ///
    ///     a - b - c - f - m    main
    ///          \         /
    ///           d ---- e       topic
    ///     x                    orphan
    struct History {
        var a, b, c, d, e, f, m, x: ObjectID
    }

    func makeHistory(_ scratch: Scratch) throws -> History {
        try scratch.makeRepository()
        try scratch.write("repo/org.yaml", "a\n")
        try scratch.git("-C", "repo", "add", ".")
        let a = try scratch.commit("a")
        try scratch.write("repo/org.yaml", "b\n")
        try scratch.git("-C", "repo", "add", ".")
        let b = try scratch.commit("b")
        try scratch.git("-C", "repo", "checkout", "--quiet", "-b", "topic")
        try scratch.write("repo/topic.yaml", "d\n")
        try scratch.git("-C", "repo", "add", ".")
        let d = try scratch.commit("d")
        try scratch.write("repo/topic.yaml", "e\n")
        try scratch.git("-C", "repo", "add", ".")
        let e = try scratch.commit("e")
        try scratch.git("-C", "repo", "checkout", "--quiet", "main")
        try scratch.write("repo/org.yaml", "c\n")
        try scratch.git("-C", "repo", "add", ".")
        let c = try scratch.commit("c")
        try scratch.write("repo/main.yaml", "f\n")
        try scratch.git("-C", "repo", "add", ".")
        let f = try scratch.commit("f")
        try scratch.git("-C", "repo", "merge", "--quiet", "--no-ff", "-m", "m", "topic")
        let m = try scratch.objectID("HEAD")
        try scratch.git("-C", "repo", "checkout", "--quiet", "--orphan", "orphan")
        let x = try scratch.commit("x")
        try scratch.git("-C", "repo", "checkout", "--quiet", "main")
        return History(a: a, b: b, c: c, d: d, e: e, f: f, m: m, x: x)
    }

    /// What `git rev-list --topo-order --reverse` lists for `revisions`.
    func revList(_ scratch: Scratch, _ revisions: String...) throws -> [ObjectID] {
        let output = try scratch.gitData(["-C", "repo", "rev-list", "--topo-order", "--reverse"] + revisions)
        return try String(decoding: output, as: UTF8.self).split(separator: "\n").map {
            try #require(ObjectID(hex: String($0)))
        }
    }

    /// Whether every listed commit comes after all of its listed parents.
    func parentsComeFirst(_ commits: [ObjectID], in repository: Repository) throws -> Bool {
        for (position, id) in commits.enumerated() {
            for parent in try repository.commit(id).parents {
                if let parentPosition = commits.firstIndex(of: parent), parentPosition > position { return false }
            }
        }
        return true
    }

    @Test(.scratchDirectory)
    func walksLikeRevList() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        let repository = try Repository.open(scratch.path("repo"))

        let sinceA = try repository.walk(including: [h.m], excluding: [h.a])
        #expect(Set(sinceA) == [h.b, h.c, h.d, h.e, h.f, h.m])
        #expect(sinceA.count == 6)
        #expect(sinceA.first == h.b)
        #expect(sinceA.last == h.m)
        #expect(try parentsComeFirst(sinceA, in: repository))
        #expect(sinceA == (try revList(scratch, h.m.hex, "^" + h.a.hex)))

        let everything = try repository.walk(including: [h.m], excluding: [])
        #expect(everything == (try revList(scratch, h.m.hex)))
        #expect(everything.count == 7)
        #expect(try parentsComeFirst(everything, in: repository))

        let twoTips = try repository.walk(including: [h.e, h.f], excluding: [h.c])
        #expect(Set(twoTips) == [h.d, h.e, h.f])
        #expect(try parentsComeFirst(twoTips, in: repository))
        #expect(twoTips == (try revList(scratch, h.e.hex, h.f.hex, "^" + h.c.hex)))
        #expect(
            try repository.walk(including: [h.m, h.x], excluding: [h.f, h.d])
                == (try revList(scratch, h.m.hex, h.x.hex, "^" + h.f.hex, "^" + h.d.hex))
        )
        #expect(try repository.walk(including: [h.m], excluding: [h.e, h.f]) == [h.m])
        #expect(try repository.walk(including: [h.m], excluding: [h.m]) == [])
        #expect(try repository.walk(including: [h.b], excluding: [h.m]) == [])
        #expect(try repository.walk(including: [], excluding: [h.m]) == [])
    }

    @Test(.scratchDirectory)
    func tagsArePeeledAndOtherObjectsThrow() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        try scratch.git("-C", "repo", "tag", "-a", "-m", "version 1", "v1", h.c.hex)
        let repository = try Repository.open(scratch.path("repo"))
        let tag = try scratch.objectID("v1")
        let tree = try scratch.objectID("HEAD^{tree}")
        let missing = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))
        #expect(tag != h.c)

        #expect(try repository.walk(including: [tag], excluding: [h.a]) == [h.b, h.c])
        #expect(try repository.walk(including: [h.f], excluding: [tag]) == [h.f])

        let excludedTree = try #require(throws: GitError.self) { try repository.walk(including: [h.m], excluding: [tree]) }
        #expect(excludedTree.function == "git_revwalk_hide")
        let excludedMissing = try #require(throws: GitError.self) {
            try repository.walk(including: [h.m], excluding: [missing])
        }
        #expect(excludedMissing.isNotFound)
        #expect(excludedMissing.function == "git_revwalk_hide")
        let includedBlob = try #require(throws: GitError.self) {
            try repository.walk(including: [try scratch.objectID("HEAD:org.yaml")], excluding: [])
        }
        #expect(includedBlob.function == "git_revwalk_push")
        #expect(throws: GitError.self) { try repository.walk(including: [missing], excluding: []) }
        // Nothing to walk, so nothing is checked.
        #expect(try repository.walk(including: [], excluding: [missing, tree]) == [])
    }

    @Test(.scratchDirectory)
    func mergeBaseMatchesTheCLI() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        func cli(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID {
            let hex = try scratch.git("-C", "repo", "merge-base", a.hex, b.hex).trimmingCharacters(in: .newlines)
            return try #require(ObjectID(hex: hex))
        }

        #expect(try repository.mergeBase(h.c, h.e) == h.b)
        #expect(try repository.mergeBase(h.c, h.e) == (try cli(h.c, h.e)))
        #expect(try repository.mergeBase(h.e, h.c) == h.b)
        #expect(try repository.mergeBase(h.m, h.e) == h.e)
        #expect(try repository.mergeBase(h.f, h.d) == (try cli(h.f, h.d)))
        #expect(try repository.mergeBase(h.m, h.m) == h.m)
        #expect(try repository.mergeBase(h.a, h.m) == h.a)
    }

    @Test(.scratchDirectory)
    func unrelatedHistoriesHaveNoMergeBase() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        let repository = try Repository.open(scratch.path("repo"))

        #expect(try repository.mergeBase(h.m, h.x) == nil)
        #expect(try repository.mergeBase(h.x, h.a) == nil)
        #expect(try scratch.git("-C", "repo", "merge-base", h.m.hex, h.x.hex, allowFailure: true) == "")
        // libgit2's own error does not linger.
        #expect(try repository.mergeBase(h.c, h.e) == h.b)
    }

    @Test(.scratchDirectory)
    func mergeBaseNeedsCommits() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let missing = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))

        let error = try #require(throws: GitError.self) { try repository.mergeBase(missing, h.m) }
        #expect(error.isNotFound)
        #expect(throws: GitError.self) { try repository.mergeBase(h.m, missing) }
        #expect(throws: GitError.self) { try repository.mergeBase(h.m, try scratch.objectID("HEAD^{tree}")) }
    }

    @Test(.scratchDirectory)
    func descendants() throws {
        let scratch = try Scratch.current()
        let h = try makeHistory(scratch)
        let repository = try Repository.open(scratch.path("repo"))
        let missing = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))

        #expect(try repository.isDescendant(h.m, of: h.a))
        #expect(try repository.isDescendant(h.m, of: h.e))
        #expect(try repository.isDescendant(h.c, of: h.b))
        #expect(try !repository.isDescendant(h.a, of: h.m))
        #expect(try !repository.isDescendant(h.c, of: h.e))
        #expect(try !repository.isDescendant(h.e, of: h.c))
        #expect(try !repository.isDescendant(h.m, of: h.x))
        // Unlike `git merge-base --is-ancestor`, a commit is not its own descendant.
        #expect(try !repository.isDescendant(h.m, of: h.m))
        #expect(try scratch.git("-C", "repo", "merge-base", "--is-ancestor", h.m.hex, h.m.hex) == "")

        let error = try #require(throws: GitError.self) { try repository.isDescendant(missing, of: h.a) }
        #expect(error.isNotFound)
        #expect(throws: GitError.self) { try repository.isDescendant(h.m, of: missing) }
        #expect(throws: GitError.self) { try repository.isDescendant(missing, of: missing) }
    }
}
