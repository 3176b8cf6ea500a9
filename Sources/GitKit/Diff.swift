import CLibGit2

extension Repository {
    /// Lists the paths that differ between the trees `oldTree` and `newTree`, recursively, sorted by the bytes of
    /// their paths.
    ///
    /// Nil stands for the empty tree; an id that is not a tree (a commit, say) throws. A path whose kind changes,
    /// such as a file turned into a symlink, is one change with both sides set; a file replaced by a directory is
    /// a deletion plus additions under the directory. Submodules are compared by the commit they pin, never entered.
    ///
    /// Folders whose tree ids are equal are skipped without being read, as `git diff-tree` does, so the cost
    /// follows the size of the change rather than of the trees (libgit2's tree-to-tree diff reads both whole).
    public func diff(from oldTree: ObjectID?, to newTree: ObjectID?) throws -> [TreeChange] {
        var changes: [(path: [UInt8], change: TreeChange)] = []
        try compare(oldTree, newTree, prefix: [], into: &changes)
        return sorted(changes)
    }

    /// Adds the changes between the folders `old` and `new` (nil: absent) below `prefix` to `changes`.
    private func compare(_ old: ObjectID?, _ new: ObjectID?, prefix: [UInt8], into changes: inout [(path: [UInt8], change: TreeChange)]) throws {
        guard old != new else { return }
        let before = try entries(of: old)
        let after = try entries(of: new)
        for name in Set(before.keys).union(after.keys) {
            let (was, now) = (before[name], after[name])
            let path = prefix + name
            // A folder on either side is compared below it; the other side's file, if any, is a change here.
            if was?.isTree == true || now?.isTree == true {
                try compare(was?.isTree == true ? was?.id : nil, now?.isTree == true ? now?.id : nil, prefix: path + [UInt8(ascii: "/")], into: &changes)
            }
            let oldVersion = was?.version
            let newVersion = now?.version
            if oldVersion != newVersion {
                changes.append((path, TreeChange(path: String(decoding: path, as: UTF8.self), old: oldVersion, new: newVersion)))
            }
        }
    }

    /// One entry of a tree: a folder, or a file, link or submodule.
    private struct Entry {
        let id: ObjectID
        let isTree: Bool
        /// nil for a folder.
        let version: TreeEntryVersion?
    }

    /// The entries of the tree `id` by name; none for nil.
    private func entries(of id: ObjectID?) throws -> [[UInt8]: Entry] {
        guard let id else { return [:] }
        let tree = try lookupTree(id)
        defer { git_tree_free(tree) }
        var entries: [[UInt8]: Entry] = [:]
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry),
                  let entryID = ObjectID(git_tree_entry_id(entry)) else { throw GitError.missingResult(function: "git_tree_entry_byindex") }
            let mode = git_tree_entry_filemode(entry)
            let kind = TreeEntryKind(mode: mode.rawValue)
            entries[bytes(name)] = Entry(id: entryID, isTree: mode == GIT_FILEMODE_TREE, version: kind.map { TreeEntryVersion(kind: $0, blob: entryID) })
        }
        return entries
    }

    /// Lists the paths that differ between the tree `tree` and `index` as it is in memory, like
    /// `git diff --cached`, under the conventions of `diff(from:to:)`.
    ///
    /// Nil stands for the empty tree. A conflicted path is reported once, with `new` set to its stage-2 ("ours")
    /// entry, or nil when it has none (deleted on our side); unlike other changes, its two sides may therefore be
    /// equal, or both nil. `Index.hasConflicts` and `Index.entries()` tell conflicts apart.
    public func diffToIndex(from tree: ObjectID?, index: Index) throws -> [TreeChange] {
        let old = try tree.map(lookupTree)
        defer { if let old { git_tree_free(old) } }
        var options = try diffOptions()
        let diff = try make("git_diff_tree_to_index") {
            git_diff_tree_to_index(&$0, pointer, old, index.pointer, &options)
        }
        defer { git_diff_free(diff) }
        let found = try changes(in: diff, index: index.pointer)
        let hidden = try assumedUnchangedAdditions(to: old, in: index.pointer, reported: Set(found.map(\.path)))
        return sorted(found + hidden)
    }

    /// The additions libgit2 leaves out of a tree-to-index diff because their entries are marked "assume
    /// unchanged" (`git update-index --assume-unchanged`), which `git diff --cached` still shows.
    private func assumedUnchangedAdditions(
        to tree: OpaquePointer?,
        in index: OpaquePointer,
        reported: Set<[UInt8]>
    ) throws -> [(path: [UInt8], change: TreeChange)] {
        var additions: [(path: [UInt8], change: TreeChange)] = []
        var seen = reported
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position),
                entry.pointee.flags & UInt16(GIT_INDEX_ENTRY_VALID.rawValue) != 0,
                let pathPointer = entry.pointee.path
            else { continue }
            let path = bytes(pathPointer)
            guard seen.insert(path).inserted else { continue }
            // A path the tree has as a file or link was compared; one it has as a directory was not.
            if let tree, try isNonTreeEntry(pathPointer, in: tree) { continue }
            let new =
                git_index_entry_stage(entry) == 0
                ? try version(of: entry.pointee)
                : try git_index_get_bypath(index, pathPointer, 2).map { try version(of: $0.pointee) }
            additions.append((path, TreeChange(path: String(decoding: path, as: UTF8.self), old: nil, new: new)))
        }
        return additions
    }

    /// Whether `tree` has an entry other than a directory at `path`.
    private func isNonTreeEntry(_ path: UnsafePointer<CChar>, in tree: OpaquePointer) throws -> Bool {
        try treeEntry(path, in: tree).map { $0.mode != GIT_FILEMODE_TREE } ?? false
    }

    /// The id of the folder `path` (such as `orgs/acme`) in `tree`; nil when `tree` has no folder there.
    public func subtree(_ path: String, of tree: ObjectID) throws -> ObjectID? {
        let root = try lookupTree(tree)
        defer { git_tree_free(root) }
        let entry = try withCheckedCString(path, "the path", function: "git_tree_entry_bypath") { try treeEntry($0, in: root) }
        guard let entry, entry.mode == GIT_FILEMODE_TREE else { return nil }
        return entry.id
    }

    /// The mode and id of `tree`'s entry at `path`, or nil when it has none.
    func treeEntry(_ path: UnsafePointer<CChar>, in tree: OpaquePointer) throws -> (mode: git_filemode_t, id: ObjectID)? {
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, tree, path)
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_tree_entry_bypath")
        guard let entry, let id = git_tree_entry_id(entry) else { throw GitError.missingResult(function: "git_tree_entry_bypath") }
        defer { git_tree_entry_free(entry) }
        return (git_tree_entry_filemode(entry), ObjectID(id.pointee))
    }

    func lookupTree(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.oid
        return try make("git_tree_lookup") { git_tree_lookup(&$0, pointer, &oid) }
    }

    /// Options for a recursive diff that reports type changes, detects no renames and ignores no submodule.
    private func diffOptions() throws -> git_diff_options {
        var options = git_diff_options()
        try check(
            git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)),
            function: "git_diff_options_init"
        )
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        // Unspecified would let `diff.ignoreSubmodules` in the config decide.
        options.ignore_submodules = GIT_SUBMODULE_IGNORE_NONE
        return options
    }

    /// Copies the deltas of `diff` out, each with the bytes of its path; `index` supplies the stage-2 side of
    /// conflicted paths.
    private func changes(in diff: OpaquePointer, index: OpaquePointer?) throws -> [(path: [UInt8], change: TreeChange)] {
        var changes: [(path: [UInt8], change: TreeChange)] = []
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee,
                let pathPointer = delta.new_file.path ?? delta.old_file.path
            else { throw GitError.missingResult(function: "git_diff_get_delta") }
            let path = bytes(pathPointer)
            let old: TreeEntryVersion?
            let new: TreeEntryVersion?
            switch delta.status {
            case GIT_DELTA_ADDED:
                old = nil
                new = try version(of: delta.new_file)
            case GIT_DELTA_DELETED:
                old = try version(of: delta.old_file)
                new = nil
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE:
                old = try version(of: delta.old_file)
                new = try version(of: delta.new_file)
            case GIT_DELTA_CONFLICTED:
                // libgit2 leaves the index side of a conflict empty, or fills it with whichever stage comes first.
                old = delta.old_file.flags & GIT_DIFF_FLAG_EXISTS.rawValue != 0 ? try version(of: delta.old_file) : nil
                new = try index.flatMap { index in
                    try git_index_get_bypath(index, pathPointer, 2).map { try version(of: $0.pointee) }
                }
            default:
                throw GitError(
                    code: GIT_ERROR.rawValue,
                    klass: 0,
                    message: "libgit2 reported a change of status \(delta.status.rawValue), which GitKit never asks for",
                    function: "git_diff_get_delta"
                )
            }
            changes.append((path, TreeChange(path: String(decoding: path, as: UTF8.self), old: old, new: new)))
        }
        return changes
    }

    private func sorted(_ changes: [(path: [UInt8], change: TreeChange)]) -> [TreeChange] {
        changes.sorted { $0.path.lexicographicallyPrecedes($1.path) }.map(\.change)
    }

    private func version(of file: git_diff_file) throws -> TreeEntryVersion {
        guard let kind = TreeEntryKind(mode: UInt32(file.mode)) else {
            throw GitError.missingResult(function: "git_diff_get_delta")
        }
        return TreeEntryVersion(kind: kind, blob: ObjectID(file.id))
    }

    private func version(of entry: git_index_entry) throws -> TreeEntryVersion {
        guard let kind = TreeEntryKind(mode: entry.mode) else {
            throw GitError.missingResult(function: "git_index_get_bypath")
        }
        return TreeEntryVersion(kind: kind, blob: ObjectID(entry.id))
    }
}
