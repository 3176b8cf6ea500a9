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
