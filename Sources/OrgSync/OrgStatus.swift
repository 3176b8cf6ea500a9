import GitKit
import OrgModel

/// Where a folder sits in git: its branch and commit, or the revision a command reads instead.
public struct GitLocation: Sendable, Equatable {
    public var branch: String
    public var head: String?
    /// The revision asked for with `--rev`, when the command does not read the work tree.
    public var revision: String?
}

extension StateReader {
    /// The branch and HEAD commit of the repository around the folder, or `revision` and the commit it names;
    /// nil when there is no repository.
    public func gitLocation(revision: String? = nil) -> GitLocation? {
        guard let repository = try? repository() else { return nil }
        if let revision {
            return GitLocation(branch: "", head: (try? repository.resolveCommit(revision))?.hex, revision: revision)
        }
        let branch = (try? repository.headReferenceName()) ?? "HEAD"
        let head = (try? repository.headCommit()) ?? nil
        return GitLocation(branch: branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch, head: head?.hex)
    }
}

/// A summary of an organization for `orgsync status`.
public struct OrgStatus: Sendable {
    public var id: String
    public var name: String
    public var schema: Int
    public var location: GitLocation?
    public var mode: CreditMode?
    public var primary: String?
    public var primaryBalance: Credits?
    public var liveWorkspaces: Int
    public var deletedWorkspaces: Int
    public var membersByRole: [OrgRole: Int]
    public var removedMembers: Int
    public var apiKeys: Int
    public var revokedKeys: Int
    public var expiredKeys: Int
    public var providerKeys: Int
    public var events: Int
    public var usageRecords: Int
    public var errors: Int
    public var warnings: Int
    /// Every spending cap in the periods containing `now` (U4).
    public var caps: [CapStatus]

    public init(report: ValidationReport, config: OrgConfig, location: GitLocation?, now: Timestamp) {
        let org = report.organization
        id = config.id
        name = config.name
        schema = config.schema
        self.location = location
        let replayed = report.replay.flatMap { $0.failure == nil ? $0 : nil }
        mode = replayed?.mode
        primary = org.primary?.id
        primaryBalance = replayed?.primaryBalance
        liveWorkspaces = org.workspaces.filter { !$0.isDeleted }.count
        deletedWorkspaces = org.workspaces.count - liveWorkspaces
        membersByRole = Dictionary(grouping: org.members.filter(\.isActive), by: \.role).mapValues(\.count)
        removedMembers = org.members.filter { !$0.isActive }.count
        let keys = org.workspaces.flatMap(\.keys)
        apiKeys = keys.count
        revokedKeys = keys.filter { $0.revokedAt.map { $0 <= now } ?? false }.count
        expiredKeys = keys.filter { key in key.revokedAt == nil && (key.expiresAt.map { $0 <= now } ?? false) }.count
        providerKeys = org.providerKeys.count
        events = org.events.count
        usageRecords = org.usage.count
        caps = SpendingMeter(org).statuses(at: now)
        errors = report.diagnostics.filter { $0.severity == .error }.count
        warnings = report.diagnostics.count - errors
    }
}
