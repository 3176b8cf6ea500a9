import Foundation
import GitKit
import OrgModel

/// Finds the organization a command works on: a folder, and optionally a revision of the git repository around it.
public struct StateReader {
    /// The organization's folder, absolute.
    public let directory: String

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    /// The state of the work tree: the files in the folder as they are on disk.
    public func workTree() throws(OrgSyncError) -> Snapshot {
        try SnapshotLoader.workTree(at: directory)
    }

    /// The git repository that contains the folder.
    public func repository() throws(OrgSyncError) -> GitKit.Repository {
        do {
            return try GitKit.Repository.discover(from: directory)
        } catch {
            throw OrgSyncError.git("'\(directory)' is not inside a git repository", error)
        }
    }

    /// The state at `revision`, read from git objects. When the folder is a subfolder of the repository
    /// (a sample kept in another project), only that subfolder's part of the tree is taken.
    public func revision(_ revision: String) throws(OrgSyncError) -> Snapshot {
        let repository = try self.repository()
        return try SnapshotLoader.revision(revision, in: repository).scoped(to: prefix(in: repository))
    }

    /// The folder's path inside `repository`'s working directory, as `path/`; empty at the root.
    public func prefix(in repository: GitKit.Repository) -> String {
        guard let root = repository.workingDirectory else { return "" }
        // Compared with links resolved: the folder may be reached through one (macOS's /tmp is a link).
        let rootPath = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
        let directory = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        guard directory != rootPath, directory.hasPrefix(rootPath + "/") else { return "" }
        return String(directory.dropFirst(rootPath.count + 1)) + "/"
    }

    /// The work tree, or the revision when one is given.
    public func snapshot(revision: String?) throws(OrgSyncError) -> Snapshot {
        if let revision { return try self.revision(revision) }
        return try workTree()
    }
}
