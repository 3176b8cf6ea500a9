/// The files of an organization at one point — a commit, the index or the work tree — as plain bytes.
///
/// Everything in OrgModel works on snapshots, so rules and merges need no repository to run.
public struct Snapshot: Sendable {
    /// What a path in the tree is. Only regular files are read; the others are reported.
    public enum EntryKind: Sendable, Equatable {
        case file
        case symlink
        case submodule
    }

    public struct Entry: Sendable {
        public var kind: EntryKind
        public var bytes: [UInt8]
        public init(kind: EntryKind = .file, bytes: [UInt8]) {
            self.kind = kind
            self.bytes = bytes
        }
    }

    /// Path relative to the repository root, with `/` separators → entry.
    public var entries: [String: Entry]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    /// A snapshot of regular files from path → text.
    public init(files: [String: String]) {
        self.entries = files.mapValues { Entry(bytes: Array($0.utf8)) }
    }

    public subscript(path: String) -> [UInt8]? {
        get { entries[path].flatMap { $0.kind == .file ? $0.bytes : nil } }
        set { entries[path] = newValue.map { Entry(bytes: $0) } }
    }

    /// The part of the snapshot below the folder `prefix` (such as `orgs/acme/`), with paths relative to it.
    /// An empty prefix keeps everything.
    public func scoped(to prefix: String) -> Snapshot {
        guard !prefix.isEmpty else { return self }
        let folder = prefix.hasSuffix("/") ? prefix : prefix + "/"
        var scoped = Snapshot()
        for (path, entry) in entries where path.hasPrefix(folder) {
            scoped.entries[String(path.dropFirst(folder.count))] = entry
        }
        return scoped
    }

    /// Whether any path belongs to the organization: false for a repository (or a branch) that holds none yet.
    public var hasOrganizationFiles: Bool {
        entries.keys.contains(where: Snapshot.isOrganizationPath)
    }

    /// The folders and files orgsync owns; everything else in a repository (README, CI files) is left alone.
    public static func isOrganizationPath(_ path: String) -> Bool {
        let first = path.prefix { $0 != "/" }
        switch first {
        case "org.yaml", "org.json", "providers.yaml", "providers.json": return !path.contains("/")
        case "members", "workspaces", "ledger", "usage": return path.contains("/")
        default: return false
        }
    }
}
