import Foundation
import GitKit

/// Opening the repository a server hook runs in.
public enum ServerRepository {
    /// Opens the repository a git hook runs in (`GIT_DIR`, else the current folder) so that it sees the
    /// objects of the push being checked: during pre-receive, git keeps them in a quarantine folder
    /// (`GIT_QUARANTINE_PATH`, also `GIT_OBJECT_DIRECTORY`) until the hook accepts them.
    public static func open(environment: [String: String]) throws(OrgSyncError) -> GitKit.Repository {
        let path = environment["GIT_DIR"] ?? FileManager.default.currentDirectoryPath
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.open(path)
        } catch {
            throw OrgSyncError.git("'\(path)' is not a git repository; run this from a git hook", error)
        }
        let objects = URL(fileURLWithPath: repository.gitDirectory + "/objects").standardizedFileURL.path
        var added = Set([objects])
        for key in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
            guard let value = environment[key], !value.isEmpty else { continue }
            let folder = URL(fileURLWithPath: value, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
            guard added.insert(folder).inserted else { continue }
            do {
                try repository.addAlternateObjectDirectory(folder)
            } catch {
                throw OrgSyncError.git("cannot read the pushed objects in \(folder)", error)
            }
        }
        return repository
    }
}
