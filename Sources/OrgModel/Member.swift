/// A member's role in the organization (R11).
public enum OrgRole: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Everything.
    case owner
    /// Everything except the owner role and the org policy.
    case admin
    /// Credit events.
    case billing
    /// Appends usage records only.
    case service
    /// No changes.
    case member

    public static func < (lhs: OrgRole, rhs: OrgRole) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// A member's role in one workspace (R11).
public enum WorkspaceRole: String, Hashable, Sendable, CaseIterable {
    /// May manage that workspace's members, keys, provider settings and name.
    case admin
    case member
    case viewer
}

/// `members/<id>.yaml`: a person or service account of the organization (R11).
///
/// A removed member keeps its file, marked `removed`, so that history which names it (ledger events,
/// usage records, API keys) still resolves; a removed member has no rights and its email is free again.
public struct Member: Hashable, Sendable {
    public struct Removal: Hashable, Sendable {
        public var at: Timestamp
        public var by: String
        public init(at: Timestamp, by: String) {
            self.at = at
            self.by = by
        }
    }

    public var id: String
    public var email: String
    public var name: String?
    public var role: OrgRole
    public var github: String?
    /// OpenSSH public keys (`ssh-ed25519 AAAA… comment`) that may sign this member's commits (T5).
    public var signingKeys: [String]
    public var removed: Removal?
    public var source: SourceMap

    public init(id: String, email: String, name: String? = nil, role: OrgRole, github: String? = nil,
                signingKeys: [String] = [], removed: Removal? = nil) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.github = github
        self.signingKeys = signingKeys
        self.removed = removed
        self.source = SourceMap(path: Member.path(for: id))
    }

    public var isActive: Bool { removed == nil }

    /// The canonical path of a member's file.
    public static func path(for id: String) -> String { "members/\(id).yaml" }
}

extension Member {
    static let keys = ["id", "email", "name", "role", "github", "signingKeys", "removed"]

    static func decode(_ root: SourceNode, _ d: FileDecoder) -> Member? {
        guard let fields = d.mapping(root, field: "", what: "a member", allowed: keys, required: ["id", "email", "role"]) else { return nil }
        let id = d.identifier(fields["id"], field: "id", what: "member id", kind: .slug)
        let email = d.string(fields["email"], field: "email", what: "email")
        if let email, let node = fields["email"], !Member.isPlausibleEmail(email) {
            d.error(.schema, "'\(email)' is not an email address; write it like name@example.com", at: node)
        }
        let name = d.optionalString(fields["name"], field: "name", what: "name")
        let role = d.choice(fields["role"], field: "role", what: "role", as: OrgRole.self)
        let github = d.optionalString(fields["github"], field: "github", what: "github handle")
        if let github, let node = fields["github"], !Member.isGitHubHandle(github) {
            d.error(.schema, "'\(github)' is not a GitHub handle: 1 to 39 letters, digits or '-', not starting with '-'", at: node)
        }
        var keys: [String] = []
        for (index, item) in d.list(fields["signingKeys"], field: "signingKeys", what: "signingKeys").enumerated() {
            guard let key = d.string(item, field: "signingKeys[\(index)]", what: "a signing key") else { continue }
            if let problem = SSHPublicKey.problem(with: key) {
                d.error(.schema, "signing key \(index + 1) \(problem); paste the line of your ~/.ssh/id_ed25519.pub", at: item)
            } else {
                keys.append(key)
            }
        }
        var removal: Removal?
        if let node = fields["removed"],
           let removed = d.mapping(node, field: "removed", what: "removed", allowed: ["at", "by"], required: ["at", "by"]) {
            let at = d.timestamp(removed["at"], field: "removed.at", what: "removed.at")
            let by = d.identifier(removed["by"], field: "removed.by", what: "removed.by", kind: .slug)
            if let at, let by { removal = Removal(at: at, by: by) }
        }
        guard let id, let email, let role else { return nil }
        var member = Member(id: id, email: email, name: name, role: role, github: github, signingKeys: keys, removed: removal)
        member.source = d.source
        return member
    }

    /// The canonical YAML of the member's file.
    public var yaml: YAMLNode {
        var map = YAMLMap()
        map.add("id", id)
        map.add("email", email)
        map.add("name", name)
        map.add("role", role.rawValue)
        map.add("github", github)
        map.add("signingKeys", list: signingKeys.map { .string($0) })
        if let removed {
            var removal = YAMLMap()
            removal.add("at", removed.at)
            removal.add("by", removed.by)
            map.add("removed", removal.node)
        }
        return map.node
    }

    static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else {
            return false
        }
        return !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }

    static func isGitHubHandle(_ text: String) -> Bool {
        guard (1...39).contains(text.count), !text.hasPrefix("-") else { return false }
        return text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "-" }
    }
}
