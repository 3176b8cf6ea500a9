import CGitExec
import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// A path that both sides of a tree merge changed, with each side's entry (nil where the side has none).
public struct MergeConflictEntry: Sendable, Hashable {
    public var path: String
    public var ancestor: TreeEntryVersion?
    public var ours: TreeEntryVersion?
    public var theirs: TreeEntryVersion?

    public init(path: String, ancestor: TreeEntryVersion?, ours: TreeEntryVersion?, theirs: TreeEntryVersion?) {
        self.path = path
        self.ancestor = ancestor
        self.ours = ours
        self.theirs = theirs
    }
}

extension TreeEntryKind {
    /// The git file mode of an entry of this kind.
    var fileMode: UInt32 {
        switch self {
        case .file: return GIT_FILEMODE_BLOB.rawValue
        case .executable: return GIT_FILEMODE_BLOB_EXECUTABLE.rawValue
        case .symlink: return GIT_FILEMODE_LINK.rawValue
        case .submodule: return GIT_FILEMODE_COMMIT.rawValue
        }
    }
}

extension Repository {
    /// Merges the trees `ours` and `theirs` from their common ancestor `ancestor` (nil: no common history),
    /// with libgit2's `git_merge_trees`, into an in-memory index.
    ///
    /// Paths changed on one side only, or identically on both, are merged; every path both sides changed
    /// differently is left as a conflict, never merged line by line: the caller merges those with the file's
    /// own rules (`binary` is the default driver, and renames are not detected).
    public func mergeTrees(ancestor: ObjectID?, ours: ObjectID, theirs: ObjectID) throws -> Index {
        let ancestorTree = try ancestor.map(lookupTree)
        defer { if let ancestorTree { git_tree_free(ancestorTree) } }
        let oursTree = try lookupTree(ours)
        defer { git_tree_free(oursTree) }
        let theirsTree = try lookupTree(theirs)
        defer { git_tree_free(theirsTree) }
        var options = git_merge_options()
        try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)), function: "git_merge_options_init")
        options.flags = 0 // no rename detection: a file's path is its identity
        // Files with the `merge=orgsync` attribute (orgsync hooks install) stay conflicted, like the rest.
        try check(orgsync_register_conflict_driver("orgsync"), function: "git_merge_driver_register")
        return try "binary".withCString { driver in
            options.default_driver = driver
            let index = try make("git_merge_trees") { git_merge_trees(&$0, pointer, ancestorTree, oursTree, theirsTree, &options) }
            return Index(pointer: index, repository: self)
        }
    }

    /// Git's line-by-line merge of one file's three versions (`git merge-file`), for files outside the
    /// organization. Returns the merged bytes, and whether the merge was clean (no conflict markers).
    public func mergeText(base: [UInt8], ours: [UInt8], theirs: [UInt8], path: String) throws -> (bytes: [UInt8], clean: Bool) {
        func input(_ bytes: [UInt8], _ body: (inout git_merge_file_input) throws -> (bytes: [UInt8], clean: Bool)) throws -> (bytes: [UInt8], clean: Bool) {
            try bytes.withUnsafeBufferPointer { buffer in
                var value = git_merge_file_input()
                try check(git_merge_file_input_init(&value, UInt32(GIT_MERGE_FILE_INPUT_VERSION)), function: "git_merge_file_input_init")
                value.ptr = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                value.size = buffer.count
                return try body(&value)
            }
        }
        return try withCheckedCString(path, "path", function: "git_merge_file") { cPath in
            try input(base) { baseInput in
                try input(ours) { oursInput in
                    try input(theirs) { theirsInput in
                        baseInput.path = cPath
                        oursInput.path = cPath
                        theirsInput.path = cPath
                        var result = git_merge_file_result()
                        try check(git_merge_file(&result, &baseInput, &oursInput, &theirsInput, nil), function: "git_merge_file")
                        defer { git_merge_file_result_free(&result) }
                        var merged: [UInt8] = []
                        if let start = result.ptr, result.len > 0 {
                            merged = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: result.len))
                        }
                        return (merged, result.automergeable != 0)
                    }
                }
            }
        }
    }

    /// Puts `paths` back as they are in HEAD, in the index and the working directory, removing those HEAD
    /// does not have: what `git merge --abort` does for the paths a merge touched. Paths are taken as they
    /// are, never as patterns.
    public func restoreFromHead(paths: [String]) throws {
        guard !paths.isEmpty, let head = try headCommit() else { return }
        let tree = try lookupTree(try commit(head).tree)
        defer { git_tree_free(tree) }
        let index = try self.index()
        for path in paths {
            let headEntry: TreeEntryVersion? = try withCheckedCString(path, "path", function: "git_tree_entry_bypath") { cPath in
                try treeEntry(cPath, in: tree).flatMap { entry in TreeEntryKind(mode: entry.mode.rawValue).map { TreeEntryVersion(kind: $0, blob: entry.id) } }
            }
            try index.remove(path: path) // the entry and any conflict on it
            if let headEntry { try index.add(path: path, version: headEntry) }
        }
        try index.write()
        try withStringArray(paths) { array in
            var options = git_checkout_options()
            try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), function: "git_checkout_options_init")
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
            options.paths = array
            try check(git_checkout_head(pointer, &options), function: "git_checkout_head")
        }
    }

    /// The entry at `path` in `commit`'s tree, or nil when it has none.
    public func entry(at path: String, in commit: ObjectID) throws -> TreeEntryVersion? {
        let tree = try lookupTree(try self.commit(commit).tree)
        defer { git_tree_free(tree) }
        return try withCheckedCString(path, "path", function: "git_tree_entry_bypath") { cPath in
            try treeEntry(cPath, in: tree).flatMap { entry in TreeEntryKind(mode: entry.mode.rawValue).map { TreeEntryVersion(kind: $0, blob: entry.id) } }
        }
    }

    /// Points HEAD at the branch `name` (such as `refs/heads/main`), without touching the index or the work
    /// tree, like `git symbolic-ref HEAD`.
    public func setHead(_ name: String) throws {
        try withCheckedCString(name, "reference name", function: "git_repository_set_head") { name in
            try check(git_repository_set_head(pointer, name), function: "git_repository_set_head")
        }
    }

    /// Removes the files git keeps while a merge, cherry-pick or revert is in progress (`MERGE_HEAD`,
    /// `MERGE_MSG`, …), as `git merge --abort` and a finished commit do.
    public func cleanUpMergeState() throws {
        try check(git_repository_state_cleanup(pointer), function: "git_repository_state_cleanup")
    }

    private func withStringArray<R>(_ strings: [String], _ body: (inout git_strarray) throws -> R) throws -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = []
        for string in strings {
            guard !string.utf8.contains(0) else { throw GitError.invalidInput("path contains a NUL byte", function: "git_strarray") }
            pointers.append(strdup(string))
        }
        defer { for pointer in pointers { free(pointer) } }
        return try pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return try body(&array)
        }
    }
}

extension Index {
    /// Records a conflict on `path`: the ancestor's, our and their entries (stages 1, 2 and 3), replacing
    /// any entry the path has. At least one side must be set.
    public func addConflict(path: String, ancestor: TreeEntryVersion?, ours: TreeEntryVersion?, theirs: TreeEntryVersion?) throws {
        try withCheckedCString(path, "path", function: "git_index_conflict_add") { cPath in
            func entry(_ version: TreeEntryVersion?) -> git_index_entry? {
                guard let version else { return nil }
                var entry = git_index_entry()
                entry.mode = version.kind.fileMode
                entry.id = version.blob.oid
                entry.path = cPath
                return entry
            }
            var a = entry(ancestor), o = entry(ours), t = entry(theirs)
            try withOptionalPointer(&a) { a in
                try withOptionalPointer(&o) { o in
                    try withOptionalPointer(&t) { t in
                        try check(git_index_conflict_add(pointer, a, o, t), function: "git_index_conflict_add")
                    }
                }
            }
        }
    }

    /// Stages `blob` at `path` with the mode of `kind`, like `add(path:blob:)` for any kind of entry.
    public func add(path: String, version: TreeEntryVersion) throws {
        try withCheckedCString(path, "path", function: "git_index_add") { cPath in
            var entry = git_index_entry()
            entry.mode = version.kind.fileMode
            entry.id = version.blob.oid
            entry.path = cPath
            try check(git_index_add(pointer, &entry), function: "git_index_add")
        }
    }

    /// Stages the file at `path` from the working directory, as `add(path:)` does (which records the file's
    /// stat data, so git sees it as up to date), provided its content is still `expected`; otherwise stages
    /// `expected` itself. For files just written from `expected`'s blob.
    public func refresh(path: String, expected: TreeEntryVersion) throws {
        try add(path: path)
        let current = try withCheckedCString(path, "path", function: "git_index_get_bypath") { cPath in
            git_index_get_bypath(pointer, cPath, 0).map { ObjectID($0.pointee.id) }
        }
        if current != expected.blob { try add(path: path, version: expected) }
    }

    /// The conflicts, one per path, with each stage's entry.
    public func conflicts() -> [MergeConflictEntry] {
        var byPath: [String: MergeConflictEntry] = [:]
        for entry in entries() where entry.stage > 0 {
            var conflict = byPath[entry.path] ?? MergeConflictEntry(path: entry.path, ancestor: nil, ours: nil, theirs: nil)
            let version = TreeEntryVersion(kind: entry.kind, blob: entry.blob)
            switch entry.stage {
            case 1: conflict.ancestor = version
            case 2: conflict.ours = version
            default: conflict.theirs = version
            }
            byPath[entry.path] = conflict
        }
        return byPath.values.sorted { $0.path < $1.path }
    }

    /// Removes every stage of the conflict on `path`.
    public func removeConflict(path: String) throws {
        try withCheckedCString(path, "path", function: "git_index_conflict_remove") { cPath in
            try check(git_index_conflict_remove(pointer, cPath), function: "git_index_conflict_remove")
        }
    }

    /// Writes the index's contents as trees into `repository`, for an index that is not the repository's
    /// own (such as one `mergeTrees` returned).
    public func writeTree(in repository: Repository) throws -> ObjectID {
        var oid = git_oid()
        try check(git_index_write_tree_to(&oid, pointer, repository.pointer), function: "git_index_write_tree_to")
        return ObjectID(oid)
    }
}

private func withOptionalPointer<T, R>(_ value: inout T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard var present = value else { return try body(nil) }
    return try withUnsafePointer(to: &present) { try body($0) }
}
