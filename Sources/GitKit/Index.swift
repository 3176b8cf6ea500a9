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

    /// Stages the blob `blob`, already in the object database, as a regular file at `path`, without reading
    /// the working directory: what is committed is exactly those bytes, whatever filters the checkout uses.
    ///
    /// The entry carries no file-system stat data, so git compares the file's content the next time it looks.
    public func add(path: String, blob: ObjectID) throws {
        try withCheckedCString(path, "path", function: "git_index_add") { path in
            var entry = git_index_entry()
            entry.mode = 0o100644
            entry.id = blob.oid
            entry.path = path
            try check(git_index_add(pointer, &entry), function: "git_index_add")
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

    /// Lists every entry as it is in memory, conflict stages included, sorted by the bytes of their paths, then by stage.
    public func entries() -> [IndexEntry] {
        var entries: [(path: [UInt8], entry: IndexEntry)] = []
        for position in 0..<git_index_entrycount(pointer) {
            // An index holds no trees, and every entry has a path.
            guard let entry = git_index_get_byindex(pointer, position),
                let path = entry.pointee.path.map(bytes),
                let kind = TreeEntryKind(mode: entry.pointee.mode)
            else { continue }
            let value = IndexEntry(
                path: String(decoding: path, as: UTF8.self),
                kind: kind,
                blob: ObjectID(entry.pointee.id),
                stage: Int(git_index_entry_stage(entry))
            )
            entries.append((path, value))
        }
        entries.sort {
            $0.path == $1.path ? $0.entry.stage < $1.entry.stage : $0.path.lexicographicallyPrecedes($1.path)
        }
        return entries.map(\.entry)
    }
}
