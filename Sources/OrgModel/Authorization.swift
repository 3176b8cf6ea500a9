/// T4: each changed field must be within the rights of the commit's author (R11).
///
/// The author is the active member whose email matches, ignoring case, in the first parent: rights come
/// from the state the commit starts from, so nobody can grant themselves a role in the same commit. The
/// commit that creates the organization (a root commit, or the first with organization files) must be
/// made by an owner it creates.
public enum Authorization {
    /// What an author may change, read from a state of the organization.
    public struct Rights: Sendable {
        public let member: Member
        /// Workspaces where the member has the workspace role `admin`.
        public let adminOf: Set<String>
        /// The members whose role is owner, removed ones included: only an owner may change them (revoke the
        /// role, remove or revive them, change their email).
        let owners: Set<String>

        public init(member: Member, in org: Organization) {
            self.member = member
            self.owners = Set(org.members.filter { $0.role == .owner }.map(\.id))
            self.adminOf = Set(org.workspaces.filter { workspace in
                !workspace.isDeleted && workspace.members.contains { $0.member == member.id && $0.role == .admin }
            }.map(\.id))
        }

        /// Whether the member may make `change` (R11).
        public func allows(_ change: FieldChange) -> Bool {
            if let decided = Self.decision(of: member.role, on: change, owners: owners) { return decided }
            guard case .workspace(let id, let field) = change.subject, adminOf.contains(id) else { return false }
            return field == "name" || field.hasPrefix("members[") || field.hasPrefix("keys[") || field.hasPrefix("providers.")
        }

        /// What the organization role alone decides about `change`; nil when only the rights of a workspace
        /// admin could allow it. `owners` are the members whose role is owner.
        static func decision(of role: OrgRole, on change: FieldChange, owners: Set<String>) -> Bool? {
            switch role {
            case .owner:
                return true
            case .admin:
                switch change.subject {
                case .policy: return false
                case .member(_, "role"): return change.oldValue != FactValue(OrgRole.owner.rawValue) && change.newValue != FactValue(OrgRole.owner.rawValue)
                case .member(let id, _): return !owners.contains(id)
                default: return true
                }
            case .billing:
                if case .event = change.subject, change.isAddition { return true }
            case .service:
                if case .usage = change.subject, change.isAddition { return true }
            case .member:
                break
            }
            return nil
        }

        /// The member's rights in words, for messages.
        public var summary: String {
            var text: String
            switch member.role {
            case .owner: text = "an owner may change everything"
            case .admin: text = "an admin may change everything except the owner role and the org policy; ask an owner"
            case .billing: text = "billing may only add ledger events (top-ups, transfers and mode changes)"
            case .service: text = "a service account may only append usage records"
            case .member: text = "a member may change nothing in the organization"
            }
            if !adminOf.isEmpty {
                text += ", and as admin of \(adminOf.sorted().map { "'\($0)'" }.joined(separator: ", ")) may change that workspace's name, members, keys and provider settings"
            }
            return text
        }
    }

    static func check(_ changes: [FieldChange], author: String, parents: [OrgState], result: OrgState) -> [Diagnostic] {
        guard !changes.isEmpty else { return [] }
        // The commit that creates the organization, as a root commit or on top of commits that held no
        // organization files yet, has no one to get rights from: its author must be an owner it creates.
        let rightsStates = parents.filter(\.snapshot.hasOrganizationFiles)
        guard !rightsStates.isEmpty else {
            guard let founder = result.activeMember(email: author), founder.role == .owner else {
                return [.error(.t(4), "the first commit creates the organization, so its author must be one of the owners it creates, but '\(author)' is not; commit as the owner (git config user.email) or run 'orgsync init --owner \(author)'",
                               at: SourceLocation(path: "members"))]
            }
            return []
        }
        // A merge's own changes need the author's rights on every side.
        var allRights: [Rights] = []
        for state in rightsStates {
            guard let member = state.activeMember(email: author) else {
                return byFile(changes).map { path, denied in
                    .error(.t(4), "'\(author)' is not a member of the organization, and a non-member may change nothing; commit as a member (git config user.email) or ask an owner to add you. This commit \(list(denied))",
                           at: denied[0].location)
                }
            }
            allRights.append(Rights(member: member, in: state.organization))
        }
        let rights = allRights[0]
        let denied = changes.filter { change in !allRights.allSatisfy { $0.allows(change) } }
        return byFile(denied).map { path, denied in
            .error(.t(4), "\(rights.member.role.rawValue) '\(rights.member.id)' (\(author)) may not make this change: \(list(denied)); \(rights.summary)",
                   at: denied[0].location)
        } + attribution(changes, member: rights.member, author: author)
    }

    /// What a commit adds in someone's name (an event's `by`, a tombstone's `deleted.by`, a removal's
    /// `removed.by`, a key's `createdBy`) must name the commit's author: the history says who did what.
    private static func attribution(_ changes: [FieldChange], member: Member, author: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for change in changes where change.isAddition {
            let claimed: (field: String, by: String, at: SourceLocation)?
            switch change.newValue?.base {
            case let event as LedgerEvent: claimed = ("by", event.by, event.source["by"])
            case let tombstone as Workspace.Tombstone: claimed = ("deleted.by", tombstone.by, change.location)
            case let removal as Member.Removal: claimed = ("removed.by", removal.by, change.location)
            case let key as APIKey: claimed = ("createdBy", key.createdBy, change.location)
            default: claimed = nil
            }
            guard let claimed, claimed.by != member.id else { continue }
            out.append(.error(.t(4), "\(change.subject.description) is recorded with \(claimed.field): \(claimed.by), but the commit is made by '\(member.id)' (\(author)); set \(claimed.field): \(member.id), or commit as \(claimed.by)",
                              at: claimed.at))
        }
        return out
    }

    /// Changes grouped by the file they are in, in path order.
    private static func byFile(_ changes: [FieldChange]) -> [(String, [FieldChange])] {
        Dictionary(grouping: changes, by: \.location.path).sorted { $0.key < $1.key }
    }

    /// "changed the name of workspace 'ops', added API key 'k1' of workspace 'ops' and 3 more".
    private static func list(_ changes: [FieldChange]) -> String {
        // A member or workspace added or removed as a whole is one change, not one per field.
        func entity(_ subject: Subject) -> (key: String, isFile: Bool)? {
            switch subject {
            case .member(let id, let field): return ("members/" + id, field == "file")
            case .workspace(let id, let field): return ("workspaces/" + id, field == "file")
            default: return nil
            }
        }
        let wholes = Set(changes.compactMap { change in entity(change.subject).flatMap { $0.isFile ? $0.key : nil } })
        let changes = changes.filter { change in
            guard let (key, isFile) = entity(change.subject) else { return true }
            return isFile || !wholes.contains(key)
        }
        let shown = changes.prefix(3).map(\.summary)
        let rest = changes.count - shown.count
        var text = shown.count > 1 ? shown.dropLast().joined(separator: ", ") + (rest > 0 ? ", " : " and ") + shown[shown.count - 1] : shown.joined()
        if rest > 0 { text += " and \(rest) more" }
        return text
    }
}
