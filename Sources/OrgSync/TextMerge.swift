import Foundation

/// The line-by-line three-way merge git itself uses, through `git merge-file`.
///
/// `orgsync merge-driver` uses it until the semantic merge (SPEC §5) replaces it behind the same command.
public enum TextMerge {
    /// Merges `base` → `theirs` into the file `ours`, in place, leaving conflict markers where both sides
    /// changed the same lines. Returns git's status: 0 for a clean merge, else the number of conflicts.
    public static func mergeFile(ours: String, base: String, theirs: String, path: String) throws(OrgSyncError) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "merge-file", "-L", "ours: \(path)", "-L", "base", "-L", "theirs", ours, base, theirs]
        do {
            try process.run()
        } catch {
            throw OrgSyncError(.environment, "cannot run git merge-file: \(error.localizedDescription); is git on PATH?")
        }
        process.waitUntilExit()
        let status = process.terminationStatus
        guard status >= 0, status < 128 else {
            throw OrgSyncError(.environment, "git merge-file failed on \(path) (exit \(status))")
        }
        return status
    }
}
