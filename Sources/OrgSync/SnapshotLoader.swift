import Foundation
import GitKit
import OrgModel

/// Reads snapshots of an organization from a folder on disk or from a git revision.
public enum SnapshotLoader {
    /// Every file below `directory`, except the `.git` folder. Symbolic links are recorded as links and never
    /// followed. The walk stops once it holds more than `ParseLimits.maxFiles` entries.
    public static func workTree(at directory: String) throws(OrgSyncError) -> Snapshot {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OrgSyncError(.environment, "'\(directory)' is not a folder; pass the organization's folder with --repo")
        }
        var snapshot = Snapshot()
        do {
            try walk(directory: directory, prefix: "", into: &snapshot)
        } catch let error as OrgSyncError {
            throw error
        } catch {
            throw OrgSyncError(.environment, "cannot read '\(directory)': \(error.localizedDescription)")
        }
        return snapshot
    }

    private static func walk(directory: String, prefix: String, into snapshot: inout Snapshot) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in names where !(prefix.isEmpty && name == ".git") {
            // Past the limit the tree is refused as it is (Validator): reading on would only fill memory.
            guard snapshot.entries.count <= ParseLimits.maxFiles else { return }
            let fullPath = directory + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var info = stat()
            guard lstat(fullPath, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                // A nested repository is a submodule in git's eyes.
                if FileManager.default.fileExists(atPath: fullPath + "/.git") {
                    snapshot.entries[relative] = Snapshot.Entry(kind: .submodule, bytes: [])
                } else {
                    try walk(directory: fullPath, prefix: relative, into: &snapshot)
                }
            case S_IFLNK:
                snapshot.entries[relative] = Snapshot.Entry(kind: .symlink, bytes: [])
            case S_IFREG:
                guard Int(info.st_size) <= ParseLimits.maxFileBytes * 4 || Snapshot.isOrganizationPath(relative) else {
                    continue // A large unrelated file: neither organization data nor a likely place for a pasted key.
                }
                guard let data = FileManager.default.contents(atPath: fullPath) else {
                    throw OrgSyncError(.environment, "cannot read '\(fullPath)'; check its permissions")
                }
                snapshot.entries[relative] = Snapshot.Entry(kind: .file, bytes: [UInt8](data))
            default:
                continue
            }
        }
    }

    /// The tree of the commit `revision` names, read from git objects without touching the work tree.
    public static func revision(_ revision: String, in repository: GitKit.Repository) throws(OrgSyncError) -> Snapshot {
        let commit: ObjectID
        do {
            commit = try repository.resolveCommit(revision)
        } catch {
            throw OrgSyncError.git("unknown revision '\(revision)'", error)
        }
        return try self.commit(commit, in: repository)
    }

    /// The tree of `commit`.
    public static func commit(_ commit: ObjectID, in repository: GitKit.Repository) throws(OrgSyncError) -> Snapshot {
        let files: [TreeFile]
        do {
            files = try repository.treeFiles(of: commit)
        } catch {
            throw OrgSyncError.git("cannot read the tree of \(commit)", error)
        }
        var snapshot = Snapshot()
        for file in files {
            let kind: Snapshot.EntryKind
            switch file.kind {
            case .file, .executable: kind = .file
            case .symlink: kind = .symlink
            case .submodule: kind = .submodule
            }
            snapshot.entries[file.path] = Snapshot.Entry(kind: kind, bytes: file.contents)
        }
        return snapshot
    }
}
