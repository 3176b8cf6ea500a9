import CLibGit2

/// An open git repository.
///
/// Use one instance per thread or actor: libgit2 objects are not thread-safe, so neither is this class,
/// nor the `Index` it hands out. Everything it returns besides `Index` is a copied value.
public final class Repository {
    let pointer: OpaquePointer
    private let runtime: GitRuntime

    init(pointer: OpaquePointer, runtime: GitRuntime) {
        self.pointer = pointer
        self.runtime = runtime
    }

    deinit {
        git_repository_free(pointer)
    }

    // MARK: Opening

    /// Opens the repository at exactly `path`: a working directory, its `.git` directory, or a bare repository.
    ///
    /// Does not search parent directories; use `discover(from:)` for that.
    public static func open(_ path: String) throws -> Repository {
        let runtime = try GitRuntime.acquire()
        return try withExtendedLifetime(runtime) {
            try open(path, runtime: runtime)
        }
    }

    /// Opens the repository that contains `path`, searching upwards like `git` does but not across file systems.
    public static func discover(from path: String) throws -> Repository {
        let runtime = try GitRuntime.acquire()
        return try withExtendedLifetime(runtime) {
            var found = git_buf()
            defer { git_buf_dispose(&found) }
            try withCheckedCString(path, "path", function: "git_repository_discover") { start in
                try check(git_repository_discover(&found, start, 0, nil), function: "git_repository_discover")
            }
            guard let gitDirectory = string(found.ptr) else {
                throw GitError.missingResult(function: "git_repository_discover")
            }
            return try open(gitDirectory, runtime: runtime)
        }
    }

    /// Creates a repository at `path`, making missing directories, with HEAD on the unborn branch `initialBranch`.
    ///
    /// `initialBranch` is a branch name such as `main` (or `refs/heads/main`). Run on an existing repository,
    /// it reinitializes it like `git init` and leaves HEAD alone.
    public static func create(at path: String, bare: Bool = false, initialBranch: String = "main") throws -> Repository {
        let runtime = try GitRuntime.acquire()
        return try withExtendedLifetime(runtime) {
            let head = initialBranch.hasPrefix("refs/heads/") ? initialBranch : "refs/heads/" + initialBranch
            // libgit2 writes initial_head into HEAD without validating it.
            guard try isValidReferenceName(head) else {
                throw GitError.invalidInput(
                    "'\(initialBranch)' is not a valid branch name",
                    function: "git_repository_init_ext"
                )
            }
            var options = git_repository_init_options()
            try check(
                git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                function: "git_repository_init_options_init"
            )
            options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | (bare ? GIT_REPOSITORY_INIT_BARE.rawValue : 0)
            let repository = try withCheckedCString(head, "initial branch", function: "git_repository_init_ext") {
                head in
                options.initial_head = head
                return try withCheckedCString(path, "path", function: "git_repository_init_ext") { path in
                    try make("git_repository_init_ext") { git_repository_init_ext(&$0, path, &options) }
                }
            }
            return Repository(pointer: repository, runtime: runtime)
        }
    }

    private static func open(_ path: String, runtime: GitRuntime) throws -> Repository {
        let repository = try withCheckedCString(path, "path", function: "git_repository_open") { path in
            try make("git_repository_open") { git_repository_open(&$0, path) }
        }
        return Repository(pointer: repository, runtime: runtime)
    }

    private static func isValidReferenceName(_ name: String) throws -> Bool {
        guard !name.utf8.contains(0) else { return false }
        var valid: Int32 = 0
        try withCheckedCString(name, "reference name", function: "git_reference_name_is_valid") { name in
            try check(git_reference_name_is_valid(&valid, name), function: "git_reference_name_is_valid")
        }
        return valid != 0
    }

    // MARK: Layout and HEAD

    /// The path of the git directory (`.git`, or the repository itself when bare), without a trailing slash.
    public var gitDirectory: String {
        trimmingTrailingSlash(string(git_repository_path(pointer)) ?? "")
    }

    /// The path of the working directory without a trailing slash, or nil for a bare repository.
    public var workingDirectory: String? {
        string(git_repository_workdir(pointer)).map(trimmingTrailingSlash)
    }

    /// Whether the repository has no working directory.
    public var isBare: Bool {
        git_repository_is_bare(pointer) == 1
    }

    /// Whether HEAD names a branch that has no commits yet.
    ///
    /// False when HEAD cannot be read at all; `headCommit()` reports that error.
    public var isHeadUnborn: Bool {
        let result = git_repository_head_unborn(pointer)
        if result < 0 { git_error_clear() }
        return result == 1
    }

    /// The reference HEAD points to, such as `refs/heads/main`, even when that branch is unborn.
    ///
    /// Returns `HEAD` itself when HEAD is detached, so the result is always the reference a new commit should move.
    public func headReferenceName() throws -> String {
        let head = try make("git_reference_lookup") { git_reference_lookup(&$0, pointer, "HEAD") }
        defer { git_reference_free(head) }
        guard git_reference_type(head) == GIT_REFERENCE_SYMBOLIC else { return "HEAD" }
        guard let target = string(git_reference_symbolic_target(head)) else {
            throw GitError.missingResult(function: "git_reference_symbolic_target")
        }
        return target
    }

    /// The commit HEAD points to, or nil when HEAD's branch is unborn.
    public func headCommit() throws -> ObjectID? {
        var head: OpaquePointer?
        let result = git_repository_head(&head, pointer)
        if result == GIT_EUNBORNBRANCH.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_repository_head")
        guard let head else { throw GitError.missingResult(function: "git_repository_head") }
        defer { git_reference_free(head) }
        let commit = try make("git_reference_peel") { git_reference_peel(&$0, head, GIT_OBJECT_COMMIT) }
        defer { git_object_free(commit) }
        guard let id = ObjectID(git_object_id(commit)) else { throw GitError.missingResult(function: "git_object_id") }
        return id
    }

    // MARK: Reading objects

    /// Resolves a revision such as `HEAD~1`, `main`, `v1.0` or a full or abbreviated id to a commit.
    ///
    /// Annotated tags are peeled to their commit; a revision naming a tree or blob throws.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        let object = try withCheckedCString(revision, "revision", function: "git_revparse_single") { spec in
            try make("git_revparse_single") { git_revparse_single(&$0, pointer, spec) }
        }
        defer { git_object_free(object) }
        return try commitID(peeling: object, "revision '\(revision)'")
    }

    /// Peels `object`, which stays the caller's to free, to a commit and returns the commit's id.
    ///
    /// When `object` is no commit and no tag of one, the error says that `what` names it.
    func commitID(peeling object: OpaquePointer, _ what: String) throws -> ObjectID {
        var commit: OpaquePointer?
        let result = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        guard result == 0, let commit else {
            let cause = GitError.last(code: result, function: "git_object_peel")
            let type = string(git_object_type2string(git_object_type(object))) ?? "object"
            let id = ObjectID(git_object_id(object))?.hex ?? "?"
            throw GitError(
                code: result < 0 ? result : GIT_EPEEL.rawValue,
                klass: cause.klass,
                message: "\(what) names \(type) \(id), not a commit",
                function: "git_object_peel"
            )
        }
        defer { git_object_free(commit) }
        guard let id = ObjectID(git_object_id(commit)) else { throw GitError.missingResult(function: "git_object_id") }
        return id
    }

    /// Reads the commit `id`.
    public func commit(_ id: ObjectID) throws -> Commit {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        guard let tree = ObjectID(git_commit_tree_id(commit)),
            let author = git_commit_author(commit),
            let committer = git_commit_committer(commit)
        else { throw GitError.missingResult(function: "git_commit_lookup") }
        var parents: [ObjectID] = []
        for index in 0..<git_commit_parentcount(commit) {
            guard let parent = ObjectID(git_commit_parent_id(commit, index)) else {
                throw GitError.missingResult(function: "git_commit_parent_id")
            }
            parents.append(parent)
        }
        return Commit(
            id: id,
            tree: tree,
            parents: parents,
            author: Signature(author.pointee),
            committer: Signature(committer.pointee),
            message: string(git_commit_message(commit)) ?? "",
            summary: string(git_commit_summary(commit)) ?? ""
        )
    }

    /// Lists every file, symlink and submodule under the root tree of `commit`, sorted by path.
    public func treeFiles(of commit: ObjectID) throws -> [TreeFile] {
        let object = try lookupCommit(commit)
        defer { git_commit_free(object) }
        guard let tree = ObjectID(git_commit_tree_id(object)) else {
            throw GitError.missingResult(function: "git_commit_tree_id")
        }
        return try treeFiles(tree: tree)
    }

    /// Lists every file, symlink and submodule under `tree`, recursively, sorted by the bytes of their paths.
    public func treeFiles(tree: ObjectID) throws -> [TreeFile] {
        var files: [TreeFile] = []
        var pending: [(prefix: String, tree: ObjectID)] = [("", tree)]
        while let directory = pending.popLast() {
            var oid = directory.tree.oid
            let tree = try make("git_tree_lookup") { git_tree_lookup(&$0, pointer, &oid) }
            defer { git_tree_free(tree) }
            for index in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, index),
                    let name = string(git_tree_entry_name(entry)),
                    let id = ObjectID(git_tree_entry_id(entry))
                else { throw GitError.missingResult(function: "git_tree_entry_byindex") }
                let path = directory.prefix + name
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE:
                    pending.append((path + "/", id))
                case GIT_FILEMODE_COMMIT:
                    files.append(TreeFile(path: path, kind: .submodule, blob: id, contents: []))
                case GIT_FILEMODE_LINK:
                    files.append(TreeFile(path: path, kind: .symlink, blob: id, contents: try blob(id)))
                case GIT_FILEMODE_BLOB_EXECUTABLE:
                    files.append(TreeFile(path: path, kind: .executable, blob: id, contents: try blob(id)))
                default:
                    files.append(TreeFile(path: path, kind: .file, blob: id, contents: try blob(id)))
                }
            }
        }
        files.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return files
    }

    /// Reads the bytes of the blob `id`.
    public func blob(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.oid
        let blob = try make("git_blob_lookup") { git_blob_lookup(&$0, pointer, &oid) }
        defer { git_blob_free(blob) }
        guard let size = Int(exactly: git_blob_rawsize(blob)) else {
            throw GitError.invalidInput("blob \(id) is too large to read", function: "git_blob_rawsize")
        }
        guard size > 0 else { return [] }
        guard let bytes = git_blob_rawcontent(blob) else {
            throw GitError.missingResult(function: "git_blob_rawcontent")
        }
        return Array(UnsafeRawBufferPointer(start: bytes, count: size))
    }

    /// Looks up the commit `id`; the caller frees it.
    func lookupCommit(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.oid
        return try make("git_commit_lookup") { git_commit_lookup(&$0, pointer, &oid) }
    }

    // MARK: Object database

    /// Lets the repository read objects from the directory `path` as well, after its own, for as long as this
    /// instance lives; nothing is written there or to the repository's configuration.
    ///
    /// `path` is an objects directory holding loose objects and `pack/`, such as another repository's
    /// `.git/objects` or the quarantine directory git names in `$GIT_QUARANTINE_PATH` while a pre-receive hook
    /// runs. A relative path is taken from the current directory. Throws when `path` is not a directory, which
    /// libgit2 would silently accept; adding the same directory again does nothing.
    public func addAlternateObjectDirectory(_ path: String) throws {
        try withCheckedCString(path, "object directory", function: "git_odb_add_disk_alternate") { directory in
            guard isDirectory(directory) else {
                throw GitError(
                    code: GIT_ENOTFOUND.rawValue,
                    klass: Int32(bitPattern: GIT_ERROR_ODB.rawValue),
                    message: "'\(path)' is not a directory",
                    function: "git_odb_add_disk_alternate"
                )
            }
            let odb = try make("git_repository_odb") { git_repository_odb(&$0, pointer) }
            defer { git_odb_free(odb) }
            try check(git_odb_add_disk_alternate(odb, directory), function: "git_odb_add_disk_alternate")
        }
    }

    // MARK: Configuration

    /// The value of the config variable `key` (such as `user.email`) as git would resolve it, or nil when unset.
    ///
    /// Reads a snapshot of the repository, global, XDG and system configuration taken at the call; for a
    /// multi-valued variable, the last value wins.
    public func config(_ key: String) throws -> String? {
        let config = try make("git_repository_config_snapshot") { git_repository_config_snapshot(&$0, pointer) }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        let result = try withCheckedCString(key, "config key", function: "git_config_get_string") { key in
            git_config_get_string(&value, config, key)
        }
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_config_get_string")
        return string(value)
    }

    /// Sets the config variable `key` to `value` in the repository's own configuration (`.git/config`).
    public func setConfig(_ key: String, _ value: String) throws {
        let config = try make("git_repository_config") { git_repository_config(&$0, pointer) }
        defer { git_config_free(config) }
        let local = try make("git_config_open_level") { git_config_open_level(&$0, config, GIT_CONFIG_LEVEL_LOCAL) }
        defer { git_config_free(local) }
        try withCheckedCString(key, "config key", function: "git_config_set_string") { key in
            try withCheckedCString(value, "config value", function: "git_config_set_string") { value in
                try check(git_config_set_string(local, key, value), function: "git_config_set_string")
            }
        }
    }

    /// The signature `git commit` would use now, from `user.name` and `user.email`, or nil when either is unset.
    public func defaultSignature() throws -> Signature? {
        var signature: UnsafeMutablePointer<git_signature>?
        let result = git_signature_default(&signature, pointer)
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_signature_default")
        guard let signature else { throw GitError.missingResult(function: "git_signature_default") }
        defer { git_signature_free(signature) }
        return Signature(signature.pointee)
    }

    // MARK: Writing

    /// Opens the repository's index (staging area), as stored on disk.
    ///
    /// Every call hands out the same in-memory index, reread first when the file changed on disk since it was
    /// last read or written (by the git CLI, say); that drops changes not yet saved through an earlier `Index`.
    public func index() throws -> Index {
        let index = try make("git_repository_index") { git_repository_index(&$0, pointer) }
        let opened = Index(pointer: index, repository: self)
        // libgit2 keeps the index it loaded first and would hand it out unchanged.
        try opened.read(force: false)
        return opened
    }

    /// Opens the index file at `path` on its own, such as the temporary index `git commit -a` names in
    /// `GIT_INDEX_FILE` while its hooks run. It is read as it is on disk and used with this repository's objects.
    public func index(atPath path: String) throws -> Index {
        let index = try withCheckedCString(path, "index path", function: "git_index_open") { path in
            try make("git_index_open") { git_index_open(&$0, path) }
        }
        return Index(pointer: index, repository: self)
    }

    /// Whether `path` (relative to the working directory) differs in the index or the working directory from
    /// HEAD, as `git status` sees it: through the checkout filters (`core.autocrlf`, `.gitattributes`), with
    /// untracked and deleted files counting as changes. A path that exists nowhere has no changes.
    public func hasLocalChanges(_ path: String) throws -> Bool {
        try withCheckedCString(path, "path", function: "git_status_file") { path in
            var flags: UInt32 = 0
            let result = git_status_file(&flags, pointer, path)
            if result == GIT_ENOTFOUND.rawValue {
                git_error_clear()
                return false
            }
            try check(result, function: "git_status_file")
            return flags & ~GIT_STATUS_IGNORED.rawValue != GIT_STATUS_CURRENT.rawValue
        }
    }

    /// Stores `bytes` as a blob and returns its id.
    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        var empty: UInt8 = 0
        try bytes.withUnsafeBytes { buffer in
            try withUnsafePointer(to: &empty) { empty in
                let start = buffer.baseAddress ?? UnsafeRawPointer(empty)
                try check(
                    git_blob_create_from_buffer(&oid, pointer, start, buffer.count),
                    function: "git_blob_create_from_buffer"
                )
            }
        }
        return ObjectID(oid)
    }

    /// Writes a commit object and returns its id, without moving any reference.
    ///
    /// The tree and every parent must already be in the repository. The message is stored verbatim,
    /// so end it with a newline as `git commit` does. Move a branch to it with `updateReference`.
    public func createCommit(
        tree: ObjectID,
        parents: [ObjectID],
        author: Signature,
        committer: Signature,
        message: String,
        sign: ((String) throws -> String)? = nil
    ) throws -> ObjectID {
        var treeID = tree.oid
        let tree = try make("git_tree_lookup") { git_tree_lookup(&$0, pointer, &treeID) }
        defer { git_tree_free(tree) }
        var parentCommits: [OpaquePointer?] = []
        defer {
            for case let parent? in parentCommits { git_commit_free(parent) }
        }
        for parent in parents {
            parentCommits.append(try lookupCommit(parent))
        }
        var oid = git_oid()
        try author.withGitSignature(function: "git_commit_create") { author in
            try committer.withGitSignature(function: "git_commit_create") { committer in
                try withCheckedCString(message, "commit message", function: "git_commit_create") { message in
                    try parentCommits.withUnsafeMutableBufferPointer { parents in
                        guard let sign else {
                            try check(
                                git_commit_create(
                                    &oid, pointer, nil, author, committer, nil, message, tree,
                                    parents.count, parents.baseAddress
                                ),
                                function: "git_commit_create"
                            )
                            return
                        }
                        // A signed commit: the object's text, its signature, then the object with a gpgsig header.
                        var buffer = git_buf()
                        defer { git_buf_dispose(&buffer) }
                        try check(
                            git_commit_create_buffer(&buffer, pointer, author, committer, nil, message, tree,
                                                     parents.count, parents.baseAddress),
                            function: "git_commit_create_buffer"
                        )
                        let content = buffer.ptr.map { String(cString: $0) } ?? ""
                        let signature = try sign(content)
                        try check(git_commit_create_with_signature(&oid, pointer, content, signature, "gpgsig"),
                                  function: "git_commit_create_with_signature")
                    }
                }
            }
        }
        return ObjectID(oid)
    }

    /// The raw bytes of the commit object `commit`, as `git cat-file commit` prints them. Signatures are read
    /// from these bytes (`CommitObject` in OrgModel), as git reads them, not through libgit2's C-string parser.
    public func commitObject(_ commit: ObjectID) throws -> [UInt8] {
        var oid = commit.oid
        let odb = try make("git_repository_odb") { git_repository_odb(&$0, pointer) }
        defer { git_odb_free(odb) }
        let object = try make("git_odb_read") { git_odb_read(&$0, odb, &oid) }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_COMMIT else {
            throw GitError.invalidInput("\(commit) is not a commit", function: "git_odb_read")
        }
        let size = git_odb_object_size(object)
        guard size > 0, let data = git_odb_object_data(object) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: size))
    }

    /// Points the reference `name` (such as `refs/heads/main`) at `new`, only if it currently points at `old`.
    ///
    /// With `old` nil the reference must not exist yet. When the reference is elsewhere (or missing, or already
    /// there) the update is refused with an error whose `isReferenceMismatch` is true, and nothing changes.
    /// `message` goes into the reflog.
    public func updateReference(_ name: String, to new: ObjectID, expecting old: ObjectID?, message: String) throws {
        var target = new.oid
        try withCheckedCString(name, "reference name", function: "git_reference_create") { refName in
            try withCheckedCString(message, "reflog message", function: "git_reference_create") { logMessage in
                var reference: OpaquePointer?
                defer { if let reference { git_reference_free(reference) } }
                guard let old else {
                    try check(
                        git_reference_create(&reference, pointer, refName, &target, 0, logMessage),
                        function: "git_reference_create"
                    )
                    return
                }
                var expected = old.oid
                let result = git_reference_create_matching(
                    &reference, pointer, refName, &target, 1, &expected, logMessage
                )
                if result == GIT_ENOTFOUND.rawValue {
                    // libgit2 reports a missing reference as not found; to the caller that is a lost race like any other.
                    git_error_clear()
                    throw GitError(
                        code: GIT_EMODIFIED.rawValue,
                        klass: Int32(bitPattern: GIT_ERROR_REFERENCE.rawValue),
                        message: "reference '\(name)' does not exist, expected it at \(old)",
                        function: "git_reference_create_matching"
                    )
                }
                try check(result, function: "git_reference_create_matching")
            }
        }
    }
}
