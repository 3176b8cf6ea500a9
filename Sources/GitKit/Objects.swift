import CLibGit2

/// Who made a commit, and when.
public struct Signature: Sendable, Equatable {
    /// The person's name; libgit2 trims surrounding whitespace and refuses it empty or with `<` or `>`.
    public var name: String
    /// The e-mail address, under the same rules as `name`.
    public var email: String
    /// Seconds since 1970-01-01 00:00:00 UTC.
    public var time: Int64
    /// The author's time-zone offset from UTC in minutes, such as 60 for +0100.
    public var offsetMinutes: Int32

    /// Makes a signature from its parts.
    public init(name: String, email: String, time: Int64, offsetMinutes: Int32) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    init(_ signature: git_signature) {
        self.init(
            name: string(signature.name) ?? "",
            email: string(signature.email) ?? "",
            time: signature.when.time,
            offsetMinutes: signature.when.offset
        )
    }

    /// Calls `body` with a libgit2 copy of this signature, freed afterwards.
    @discardableResult
    func withGitSignature<R>(function: String, _ body: (UnsafePointer<git_signature>) throws -> R) throws -> R {
        var signature: UnsafeMutablePointer<git_signature>?
        try withCheckedCString(name, "signature name", function: function) { name in
            try withCheckedCString(email, "signature email", function: function) { email in
                try check(git_signature_new(&signature, name, email, time, offsetMinutes), function: "git_signature_new")
            }
        }
        guard let signature else { throw GitError.missingResult(function: "git_signature_new") }
        defer { git_signature_free(signature) }
        return try body(signature)
    }
}

/// A commit object, copied out of the repository.
public struct Commit: Sendable, Equatable {
    /// The commit's own id.
    public var id: ObjectID
    /// The root tree.
    public var tree: ObjectID
    /// The parents in order; empty for a root commit, first parent first.
    public var parents: [ObjectID]
    /// Who wrote the change.
    public var author: Signature
    /// Who made the commit.
    public var committer: Signature
    /// The full message without leading blank lines, otherwise as stored (usually ending in a newline).
    public var message: String
    /// The first paragraph of the message on one line, as `git log --format=%s` shows it.
    public var summary: String

    /// Makes a commit value from its parts, as `Repository.commit(_:)` does.
    public init(
        id: ObjectID,
        tree: ObjectID,
        parents: [ObjectID],
        author: Signature,
        committer: Signature,
        message: String,
        summary: String
    ) {
        self.id = id
        self.tree = tree
        self.parents = parents
        self.author = author
        self.committer = committer
        self.message = message
        self.summary = summary
    }
}

/// What a non-tree entry of a tree is.
public enum TreeEntryKind: Sendable, Hashable {
    /// A regular file (mode 100644).
    case file
    /// An executable file (mode 100755).
    case executable
    /// A symbolic link (mode 120000), whose blob is the link target.
    case symlink
    /// A submodule (mode 160000), whose id is a commit in another repository.
    case submodule
}

/// A file (or link, or submodule) found in a tree, with its contents.
public struct TreeFile: Sendable, Equatable {
    /// The path from the root of the tree, `/`-separated, with no leading slash.
    ///
    /// Bytes that are not UTF-8 are replaced by U+FFFD.
    public var path: String
    /// What the entry is.
    public var kind: TreeEntryKind
    /// The entry's object id: a blob, or for a submodule the commit it pins.
    public var blob: ObjectID
    /// The blob's bytes; the link target for a symlink, never followed; empty for a submodule.
    public var contents: [UInt8]

    /// Makes a tree entry value from its parts, as `Repository.treeFiles(tree:)` does.
    public init(path: String, kind: TreeEntryKind, blob: ObjectID, contents: [UInt8]) {
        self.path = path
        self.kind = kind
        self.blob = blob
        self.contents = contents
    }
}

extension TreeEntryKind {
    /// The kind of a tree or index entry with the git file mode `mode`, or nil for a tree or an absent entry.
    ///
    /// Modes git no longer writes, such as 100664, count as a regular file, as in `Repository.treeFiles(tree:)`.
    init?(mode: UInt32) {
        switch mode {
        case GIT_FILEMODE_TREE.rawValue, GIT_FILEMODE_UNREADABLE.rawValue: return nil
        case GIT_FILEMODE_COMMIT.rawValue: self = .submodule
        case GIT_FILEMODE_LINK.rawValue: self = .symlink
        case GIT_FILEMODE_BLOB_EXECUTABLE.rawValue: self = .executable
        default: self = .file
        }
    }
}

/// One side of a changed path: what kind of entry it was and which blob it held.
public struct TreeEntryVersion: Sendable, Hashable {
    /// What the entry is.
    public var kind: TreeEntryKind
    /// The entry's object id: a blob, or for a submodule the commit it pins.
    public var blob: ObjectID

    /// Makes a side of a change from its parts.
    public init(kind: TreeEntryKind, blob: ObjectID) {
        self.kind = kind
        self.blob = blob
    }
}

/// A path that differs between two trees (or a tree and the index).
///
/// Renames are not detected: a rename is a deletion plus an addition.
public struct TreeChange: Sendable, Hashable {
    /// The path from the root of the tree, `/`-separated, with no leading slash.
    ///
    /// Bytes that are not UTF-8 are replaced by U+FFFD.
    public var path: String
    /// The entry before the change; nil when the path was added.
    public var old: TreeEntryVersion?
    /// The entry after the change; nil when the path was deleted.
    public var new: TreeEntryVersion?

    /// Makes a change from its parts.
    public init(path: String, old: TreeEntryVersion?, new: TreeEntryVersion?) {
        self.path = path
        self.old = old
        self.new = new
    }
}

/// An entry of the index.
public struct IndexEntry: Sendable, Hashable {
    /// The path from the root of the working directory, `/`-separated, with no leading slash.
    ///
    /// Bytes that are not UTF-8 are replaced by U+FFFD.
    public var path: String
    /// What the entry is.
    public var kind: TreeEntryKind
    /// The entry's object id: a blob, or for a submodule the commit it pins.
    public var blob: ObjectID
    /// 0 for a normal entry; for a conflict 1 (the common ancestor), 2 (ours) or 3 (theirs).
    public var stage: Int

    /// Makes an index entry value from its parts.
    public init(path: String, kind: TreeEntryKind, blob: ObjectID, stage: Int) {
        self.path = path
        self.kind = kind
        self.blob = blob
        self.stage = stage
    }
}

/// A reference and the commit it leads to.
public struct ReferenceTarget: Sendable, Hashable {
    /// The full reference name, such as `refs/heads/main` or `refs/tags/v1`.
    public var name: String
    /// The commit the reference leads to, after following symbolic references and peeling tags.
    public var commit: ObjectID

    /// Makes a reference target from its parts.
    public init(name: String, commit: ObjectID) {
        self.name = name
        self.commit = commit
    }
}
