import Testing
@testable import OrgModel

/// What the merge driver adds to `OrgMerge.mergeFile`: a side that does not read is named with its problem,
/// and a merged file that breaks a rule on its own is a conflict, never written silently.
@Suite("Merge of one file, checked")
struct MergeCheckTests {
    static let path = "members/ana.yaml"
    static let base = "id: ana\nemail: ana@acme.example\nname: Ana\nrole: owner\n"
    static let ours = "id: ana\nemail: ana@acme.example\nname: Ana Lopez\nrole: owner\n"

    static func merge(_ theirs: String, checked: Bool = true) -> FileMerge {
        let bytes = (Array(base.utf8), Array(ours.utf8), Array(theirs.utf8))
        return checked ? OrgMerge.mergeFileChecked(path: path, base: bytes.0, ours: bytes.1, theirs: bytes.2)
                       : OrgMerge.mergeFile(path: path, base: bytes.0, ours: bytes.1, theirs: bytes.2)
    }

    @Test("a version that does not read: the conflict keeps ours and names the problem, with its line")
    func unreadableSide() {
        let theirs = "id: ana\nemail: ana@acme.example\nemail: eve@acme.example\nrole: owner\n"
        for checked in [true, false] {
            let result = Self.merge(theirs, checked: checked)
            #expect(result.bytes == Array(Self.ours.utf8))
            #expect(result.conflicts.map(\.kind) == [.file])
            #expect(result.conflicts.first?.message == "changed on both sides, and cannot be merged field by field: their version breaks a rule on its own: members/ana.yaml:3:1: [SYNTAX] duplicate key 'email' in one mapping; keep one of them")
        }
    }

    @Test("a merge that takes a rule-breaking value from a side: checked, it is an 'invalid' conflict holding the merge")
    func invalidMerge() {
        let theirs = "id: ana\nemail: ana@acme.example\nname: Ana\nrole: owner\nemial: x\n"
        let checked = Self.merge(theirs)
        let merged = "id: ana\nemail: ana@acme.example\nname: Ana Lopez\nrole: owner\nemial: x\n"
        #expect(checked.bytes.map { String(decoding: $0, as: UTF8.self) } == merged)
        #expect(checked.conflicts == [
            MergeConflict(kind: .invalid, path: Self.path, field: FieldPath(), base: Self.base, ours: Self.ours, theirs: theirs, kept: .ours,
                          message: "the merged file breaks a rule on its own: members/ana.yaml:5:1: [F4] unknown key 'emial' in a member; the keys allowed here are 'id', 'email', 'name', 'role', 'github', 'signingKeys', 'removed'"),
        ])
        #expect(checked.conflicts.first?.takeable == [.ours, .theirs])
        // `orgsync merge` validates the whole merged state afterwards, so its file merge is unchanged.
        #expect(Self.merge(theirs, checked: false) == FileMerge(bytes: Array(merged.utf8), conflicts: []))
    }

    @Test("what one file breaks alone counts, what needs other files does not")
    func fileLevelOnly() {
        let twice = "providers:\n  - id: k\n    provider: openai\n    secretRef: env:A\n  - id: k\n    provider: openai\n    secretRef: env:B\n"
        #expect(Validator.fileDiagnostics(Array(twice.utf8), path: "providers.yaml").map(\.rule) == [.duplicate])
        // A member nobody else mentions, assigned nowhere: fine on its own.
        let workspace = "id: a\nname: A\nmembers:\n  - member: nobody\n    role: admin\n"
        #expect(Validator.fileDiagnostics(Array(workspace.utf8), path: "workspaces/a.yaml") == [])
        let clean = Self.merge("id: ana\nemail: ana@acme.example\nname: Ana\nrole: admin\n")
        #expect(clean.conflicts.isEmpty)
        #expect(clean.bytes.map { String(decoding: $0, as: UTF8.self) } == "id: ana\nemail: ana@acme.example\nname: Ana Lopez\nrole: admin\n")
    }
}
