import Foundation
import GitKit
import Testing

@Suite("Merging trees")
struct MergeTreesTests {
    /// Two branches that change different lines of one file: git's line merge would take both. With the
    /// `merge=orgsync` attribute, as `orgsync hooks install` writes it, and without, the in-process merge must
    /// hand the file back as a conflict, for orgsync's own merge to settle.
    @Test(.scratchDirectory, arguments: [false, true])
    func everyFileBothSidesChangedStaysConflicted(withAttributes: Bool) throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        if withAttributes { try scratch.write("repo/.gitattributes", "/workspaces/** merge=orgsync\n") }
        try scratch.write("repo/workspaces/research.yaml", "id: research\nname: Research\nmembers:\n  - member: bo\n")
        try scratch.git("-C", "repo", "add", ".")
        let base = try scratch.commit("Base")
        try scratch.write("repo/workspaces/research.yaml", "id: research\nname: Research (EU)\nmembers:\n  - member: bo\n")
        try scratch.git("-C", "repo", "commit", "-q", "-am", "Rename")
        try scratch.git("-C", "repo", "checkout", "-q", "-b", "other", base.hex)
        try scratch.write("repo/workspaces/research.yaml", "id: research\nname: Research\nmembers:\n  - member: bo\n  - member: ana\n")
        try scratch.git("-C", "repo", "commit", "-q", "-am", "Add ana")
        let oursCommit = try scratch.objectID("main")
        let theirsCommit = try scratch.objectID("other")
        let repository = try Repository.open(scratch.path("repo"))
        let index = try repository.mergeTrees(ancestor: try repository.commit(base).tree, ours: try repository.commit(oursCommit).tree,
                                              theirs: try repository.commit(theirsCommit).tree)
        #expect(index.conflicts().map(\.path) == ["workspaces/research.yaml"])
    }
}
