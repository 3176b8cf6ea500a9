import Foundation
import GitKit
import OrgModel

/// The main job on the embedded sample organization: copy it into a new repository, commit it, validate the
/// commit from git objects and replay its ledger.
public enum Demo {
    public struct Result: Sendable {
        public var directory: String
        public var commit: ObjectID
        public var author: String
        public var fileCount: Int
        public var report: ValidationReport
        public var sheet: BalanceSheet?
    }

    /// Runs the demo in `directory`, which must not exist or be empty; a new temporary folder when nil.
    public static func run(in directory: String? = nil, now: Timestamp = .now()) throws(OrgSyncError) -> Result {
        let target = try prepare(directory)
        let (organization, _) = Organization.load(snapshot)
        guard let owner = organization.members.first(where: { $0.isActive && $0.role == .owner }) else {
            throw OrgSyncError(.environment, "the embedded sample has no owner; rebuild orgsync")
        }
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.create(at: target)
        } catch {
            throw OrgSyncError.git("cannot create a git repository in '\(target)'", error)
        }
        let author = Signature(name: owner.name ?? owner.id, email: owner.email, time: now.seconds, offsetMinutes: 0)
        let commit = try Committer(repository: repository, directory: target, prefix: "")
            .commit(writes: snapshot.entries.mapValues(\.bytes), removals: [], head: nil,
                    message: "Import the Acme sample organization\n\nOrgsync-Operation: demo\n", author: author, committer: author)
        let report = Validator.validate(try SnapshotLoader.commit(commit, in: repository))
        return Result(directory: target, commit: commit, author: owner.email, fileCount: SampleOrganization.files.count,
                      report: report, sheet: BalanceSheet(report))
    }

    /// The embedded sample as a snapshot.
    public static var snapshot: Snapshot {
        Snapshot(entries: Dictionary(uniqueKeysWithValues: SampleOrganization.files.map { ($0.path, Snapshot.Entry(bytes: Array($0.contents.utf8))) }))
    }

    private static func prepare(_ directory: String?) throws(OrgSyncError) -> String {
        let fileManager = FileManager.default
        guard let directory else {
            var template = Array((NSTemporaryDirectory() + "/orgsync-demo-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw OrgSyncError(.environment, "cannot create a temporary folder; set TMPDIR to a writable folder")
            }
            return URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path
        }
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        if fileManager.fileExists(atPath: path) {
            guard (try? fileManager.contentsOfDirectory(atPath: path))?.isEmpty == true else {
                throw OrgSyncError(.refused, "'\(path)' is not empty; the demo needs a new or empty folder")
            }
        }
        return path
    }
}
