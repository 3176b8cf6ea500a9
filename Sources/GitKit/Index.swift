import CLibGit2

/// A repository's index (staging area), loaded in memory.
///
/// Changes stay in memory until `write()`. Not thread-safe; use it where its `Repository` is used.
public final class Index {
    let pointer: OpaquePointer
    // libgit2 detaches an index from a freed repository, so keep the repository alive.
    private let repository: Repository

    init(pointer: OpaquePointer, repository: Repository) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit {
        git_index_free(pointer)
    }

    /// Stages the file at `path`, relative to the working directory, as it is on disk now.
    ///
    /// Throws for bare repositories, missing files and paths outside the working directory; resolves conflicts on `path`.
    public func add(path: String) throws {
        try withCheckedCString(path, "path", function: "git_index_add_bypath") { path in
            try check(git_index_add_bypath(pointer, path), function: "git_index_add_bypath")
        }
    }

    /// Unstages `path`, relative to the working directory, including any conflict on it; the file on disk is left alone.
    public func remove(path: String) throws {
        try withCheckedCString(path, "path", function: "git_index_remove_bypath") { path in
            try check(git_index_remove_bypath(pointer, path), function: "git_index_remove_bypath")
        }
    }

    /// Writes the index's contents as tree objects and returns the root tree's id.
    ///
    /// Throws while the index has conflicts.
    public func writeTree() throws -> ObjectID {
        var oid = git_oid()
        try check(git_index_write_tree(&oid, pointer), function: "git_index_write_tree")
        return ObjectID(oid)
    }

    /// Saves the in-memory index to disk.
    public func write() throws {
        try check(git_index_write(pointer), function: "git_index_write")
    }

    /// Reloads the index from disk, dropping unsaved changes.
    ///
    /// Without `force`, it only rereads when the file changed since it was last read or written.
    public func read(force: Bool) throws {
        try check(git_index_read(pointer, force ? 1 : 0), function: "git_index_read")
    }

    /// The number of entries, counting each conflict stage separately.
    public var entryCount: Int {
        git_index_entrycount(pointer)
    }

    /// Whether any path has conflict entries (stages 1–3).
    public var hasConflicts: Bool {
        git_index_has_conflicts(pointer) != 0
    }
}
