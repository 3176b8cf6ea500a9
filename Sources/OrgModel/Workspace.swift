/// `workspaces/<id>.yaml`: a project-level container (R2), or the tombstone of a deleted one (R10).
public struct Workspace: Hashable, Sendable {
    /// A member's assignment to the workspace, with an optional cap on that member's spending there (U4).
    public struct Assignment: Hashable, Sendable {
        public var member: String
        public var role: WorkspaceRole
        public var limits: Limits?
        public init(member: String, role: WorkspaceRole, limits: Limits? = nil) {
            self.member = member
            self.role = role
            self.limits = limits
        }
    }

    /// Which organization provider keys the workspace uses (R14).
    public struct ProviderSettings: Hashable, Sendable {
        /// Provider name → the provider key id pinned for it.
        public var pin: [String: String] = [:]
        /// Provider key ids the workspace may not use.
        public var disabled: [String] = []
        public init(pin: [String: String] = [:], disabled: [String] = []) {
            self.pin = pin
            self.disabled = disabled
        }
    }

    /// What remains of a deleted workspace (R10): the id stays reserved forever.
    public struct Tombstone: Hashable, Sendable {
        public var at: Timestamp
        public var by: String
        /// All credits the workspace's usage consumed, since its usage files are removed with it.
        public var consumed: Credits
        /// The part of `consumed` that was charged to the Primary's balance while the org was in shared mode.
        public var chargedToPrimary: Credits
        public init(at: Timestamp, by: String, consumed: Credits, chargedToPrimary: Credits = .zero) {
            self.at = at
            self.by = by
            self.consumed = consumed
            self.chargedToPrimary = chargedToPrimary
        }
    }

    public var id: String
    public var name: String
    public var isPrimary: Bool
    public var members: [Assignment]
    public var providers: ProviderSettings
    public var keys: [APIKey]
    public var limits: Limits?
    /// Routing rules, MCP server settings and other runtime behaviour: free-form, merged key by key (R16).
    public var settings: [String: DataValue]
    /// Set when the workspace is deleted; the file is then a tombstone.
    public var deleted: Tombstone?
    public var source: SourceMap

    public init(id: String, name: String, isPrimary: Bool = false, members: [Assignment] = [],
                providers: ProviderSettings = ProviderSettings(), keys: [APIKey] = [], limits: Limits? = nil,
                settings: [String: DataValue] = [:], deleted: Tombstone? = nil) {
        self.id = id
        self.name = name
        self.isPrimary = isPrimary
        self.members = members
        self.providers = providers
        self.keys = keys
        self.limits = limits
        self.settings = settings
        self.deleted = deleted
        self.source = SourceMap(path: Workspace.path(for: id))
    }

    public var isDeleted: Bool { deleted != nil }

    /// The canonical path of a workspace's file.
    public static func path(for id: String) -> String { "workspaces/\(id).yaml" }
}

/// Optional periodic spending caps in UTC periods, with a soft alert threshold (U4).
public struct Limits: Hashable, Sendable {
    public var daily: Credits?
    public var weekly: Credits?
    public var monthly: Credits?
    /// The percentage of a cap at which an alert is raised, 1–100.
    public var alertAt: Int?
    public init(daily: Credits? = nil, weekly: Credits? = nil, monthly: Credits? = nil, alertAt: Int? = nil) {
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.alertAt = alertAt
    }
}

/// A workspace API key (R15). The secret itself is never stored: only its prefix and SHA-256 hash.
public struct APIKey: Hashable, Sendable {
    /// Every secret starts with this.
    public static let secretPrefix = "osk_"

    public var id: String
    public var name: String
    /// The first characters of the secret, such as `osk_7fQ2`, so people can tell keys apart.
    public var prefix: String
    /// `sha256:` followed by 64 lower-case hex digits.
    public var hash: String
    public var createdBy: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(id: String, name: String, prefix: String, hash: String, createdBy: String, createdAt: Timestamp,
                expiresAt: Timestamp? = nil, revokedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.hash = hash
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    static func isValidPrefix(_ text: String) -> Bool {
        guard text.hasPrefix(secretPrefix) else { return false }
        let rest = text.utf8.dropFirst(secretPrefix.utf8.count)
        return (4...8).contains(rest.count) && rest.allSatisfy { Base62.contains($0) }
    }

    static func isValidHash(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

enum Base62 {
    static func contains(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}

extension Workspace {
    static let keys = ["id", "name", "primary", "members", "providers", "keys", "limits", "settings", "deleted"]
    static let tombstoneKeys = ["id", "name", "deleted"]

    static func decode(_ root: SourceNode, _ d: FileDecoder) -> Workspace? {
        guard let fields = d.mapping(root, field: "", what: "a workspace", allowed: keys, required: ["id", "name"]) else { return nil }
        let id = d.identifier(fields["id"], field: "id", what: "workspace id", kind: .slug)
        let name = d.string(fields["name"], field: "name", what: "workspace name")
        let isPrimary = fields["primary"].flatMap { d.bool($0, field: "primary", what: "primary") } ?? false

        var members: [Assignment] = []
        for (index, item) in d.list(fields["members"], field: "members", what: "members").enumerated() {
            let field = "members[\(index)]"
            guard let entry = d.mapping(item, field: field, what: "a workspace member", allowed: ["member", "role", "limits"],
                                        required: ["member", "role"]) else { continue }
            let member = d.identifier(entry["member"], field: entry.path("member"), what: "member", kind: .slug)
            let role = d.choice(entry["role"], field: entry.path("role"), what: "workspace role", as: WorkspaceRole.self)
            let limits = entry["limits"].flatMap { Limits.decode($0, field: entry.path("limits"), d) }
            if let member, let role { members.append(Assignment(member: member, role: role, limits: limits)) }
        }

        var providers = ProviderSettings()
        if let node = fields["providers"],
           let settings = d.mapping(node, field: "providers", what: "providers", allowed: ["pin", "disabled"]) {
            if let pinNode = settings["pin"], !pinNode.isNull {
                d.record("providers.pin", pinNode)
                if case .mapping(let entries) = pinNode.kind {
                    for entry in entries {
                        let field = "providers.pin.\(entry.key)"
                        let keyNode = SourceNode(.null, line: entry.keyLine, column: entry.keyColumn)
                        guard IdentifierKind.slug.matches(entry.key) else {
                            d.error(.f(1), "provider name '\(entry.key.excerpt.visible)' is not valid: \(IdentifierKind.slug.whyNot(entry.key) ?? "it does not match"); use \(IdentifierKind.slug.pattern)", at: keyNode)
                            continue
                        }
                        if let key = d.identifier(entry.value, field: field, what: "pinned provider key", kind: .slug) {
                            providers.pin[entry.key] = key
                        }
                    }
                } else {
                    d.error(.schema, "providers.pin must map a provider name to a provider key id, such as 'openai: openai-main'", at: pinNode)
                }
            }
            for (index, item) in d.list(settings["disabled"], field: "providers.disabled", what: "providers.disabled").enumerated() {
                if let key = d.identifier(item, field: "providers.disabled[\(index)]", what: "disabled provider key", kind: .slug) {
                    providers.disabled.append(key)
                }
            }
        }

        var apiKeys: [APIKey] = []
        for (index, item) in d.list(fields["keys"], field: "keys", what: "keys").enumerated() {
            if let key = APIKey.decode(item, field: "keys[\(index)]", d) { apiKeys.append(key) }
        }
        let limits = fields["limits"].flatMap { Limits.decode($0, field: "limits", d) }
        var settings: [String: DataValue] = [:]
        if let node = fields["settings"], !node.isNull {
            d.record("settings", node)
            if case .mapping(let entries) = node.kind {
                for entry in entries {
                    d.record("settings.\(entry.key)", entry.value)
                    settings[entry.key] = DataValue(entry.value)
                }
            } else {
                d.error(.schema, "settings must be a mapping of names to values", at: node)
            }
        }

        var tombstone: Tombstone?
        if let node = fields["deleted"] {
            tombstone = Tombstone.decode(node, d)
            let extra = fields.values.keys.filter { !tombstoneKeys.contains($0) }.sorted()
            if !extra.isEmpty {
                d.error(.r(10), "a deleted workspace keeps only id, name and deleted; remove \(extra.map { "'\($0)'" }.joined(separator: ", "))",
                        at: node)
            }
        }
        guard let id, let name else { return nil }
        var workspace = Workspace(id: id, name: name, isPrimary: isPrimary, members: members, providers: providers,
                                  keys: apiKeys, limits: limits, settings: settings, deleted: tombstone)
        workspace.source = d.source
        return workspace
    }

    /// The canonical YAML of the workspace's file.
    public var yaml: YAMLNode {
        var map = YAMLMap()
        map.add("id", id)
        map.add("name", name)
        if let deleted {
            var tombstone = YAMLMap()
            tombstone.add("at", deleted.at)
            tombstone.add("by", deleted.by)
            tombstone.add("consumed", deleted.consumed)
            if !deleted.chargedToPrimary.isZero { tombstone.add("chargedToPrimary", deleted.chargedToPrimary) }
            map.add("deleted", tombstone.node)
            return map.node
        }
        if isPrimary { map.add("primary", .plain("true")) }
        map.add("members", list: members.map { assignment in
            var entry = YAMLMap()
            entry.add("member", assignment.member)
            entry.add("role", assignment.role.rawValue)
            if let limits = assignment.limits { entry.add("limits", map: limits.yamlMap) }
            return entry.node
        })
        var providerMap = YAMLMap()
        var pins = YAMLMap()
        for provider in providers.pin.keys.sorted() { pins.add(provider, providers.pin[provider]) }
        providerMap.add("pin", map: pins)
        providerMap.add("disabled", list: providers.disabled.map { .string($0) })
        map.add("providers", map: providerMap)
        map.add("keys", list: keys.map(\.yaml))
        if let limits { map.add("limits", map: limits.yamlMap) }
        if !settings.isEmpty { map.add("settings", DataValue.map(settings).yaml) }
        return map.node
    }
}

extension Workspace.Tombstone {
    static func decode(_ node: SourceNode, _ d: FileDecoder) -> Workspace.Tombstone? {
        guard let fields = d.mapping(node, field: "deleted", what: "deleted", allowed: ["at", "by", "consumed", "chargedToPrimary"],
                                     required: ["at", "by", "consumed"]) else { return nil }
        let at = d.timestamp(fields["at"], field: "deleted.at", what: "deleted.at")
        let by = d.identifier(fields["by"], field: "deleted.by", what: "deleted.by", kind: .slug)
        let consumed = d.credits(fields["consumed"], field: "deleted.consumed", what: "deleted.consumed", allowZero: true)
        let charged = fields["chargedToPrimary"].map {
            d.credits($0, field: "deleted.chargedToPrimary", what: "deleted.chargedToPrimary", allowZero: true)
        } ?? .zero
        guard let at, let by, let consumed, let charged else { return nil }
        if charged > consumed, let chargedNode = fields["chargedToPrimary"] {
            d.error(.r(10), "deleted.chargedToPrimary (\(charged)) cannot exceed deleted.consumed (\(consumed))", at: chargedNode)
        }
        return Workspace.Tombstone(at: at, by: by, consumed: consumed, chargedToPrimary: charged)
    }
}

extension Limits {
    static func decode(_ node: SourceNode, field: String, _ d: FileDecoder) -> Limits? {
        guard let fields = d.mapping(node, field: field, what: "limits", allowed: ["daily", "weekly", "monthly", "alertAt"]) else { return nil }
        var limits = Limits()
        limits.daily = d.credits(fields["daily"], field: fields.path("daily"), what: "the daily cap", allowZero: false)
        limits.weekly = d.credits(fields["weekly"], field: fields.path("weekly"), what: "the weekly cap", allowZero: false)
        limits.monthly = d.credits(fields["monthly"], field: fields.path("monthly"), what: "the monthly cap", allowZero: false)
        limits.alertAt = d.integer(fields["alertAt"], field: fields.path("alertAt"), what: "alertAt (a percentage)", range: 1...100)
        if fields["daily"] == nil, fields["weekly"] == nil, fields["monthly"] == nil {
            d.error(.schema, "limits needs at least one cap: daily, weekly or monthly", at: node)
        }
        return limits
    }

    var yamlMap: YAMLMap {
        var map = YAMLMap()
        map.add("daily", daily)
        map.add("weekly", weekly)
        map.add("monthly", monthly)
        map.add("alertAt", alertAt)
        return map
    }
}

extension APIKey {
    static func decode(_ node: SourceNode, field: String, _ d: FileDecoder) -> APIKey? {
        guard let fields = d.mapping(node, field: field, what: "an API key",
                                     allowed: ["id", "name", "prefix", "hash", "createdBy", "createdAt", "expiresAt", "revokedAt"],
                                     required: ["id", "name", "prefix", "hash", "createdBy", "createdAt"]) else { return nil }
        let id = d.identifier(fields["id"], field: fields.path("id"), what: "API key id", kind: .slug)
        let name = d.string(fields["name"], field: fields.path("name"), what: "API key name")
        let prefix = d.string(fields["prefix"], field: fields.path("prefix"), what: "API key prefix")
        if let prefix, let node = fields["prefix"], !isValidPrefix(prefix) {
            d.error(.r(15), "API key prefix '\(prefix)' must be 'osk_' and 4 to 8 letters or digits: only the start of the secret is kept", at: node)
        }
        let hash = d.string(fields["hash"], field: fields.path("hash"), what: "API key hash")
        if let hash, let node = fields["hash"], !isValidHash(hash) {
            d.error(.r(15), "API key hash must be 'sha256:' and 64 lower-case hex digits; the repository keeps the hash, never the secret", at: node)
        }
        let createdBy = d.identifier(fields["createdBy"], field: fields.path("createdBy"), what: "createdBy", kind: .slug)
        let createdAt = d.timestamp(fields["createdAt"], field: fields.path("createdAt"), what: "createdAt")
        let expiresAt = d.optionalTimestamp(fields["expiresAt"], field: fields.path("expiresAt"), what: "expiresAt")
        let revokedAt = d.optionalTimestamp(fields["revokedAt"], field: fields.path("revokedAt"), what: "revokedAt")
        if let createdAt, let expiresAt, expiresAt <= createdAt, let node = fields["expiresAt"] {
            d.error(.r(15), "expiresAt (\(expiresAt)) must be after createdAt (\(createdAt))", at: node)
        }
        if let createdAt, let revokedAt, revokedAt < createdAt, let node = fields["revokedAt"] {
            d.error(.r(15), "revokedAt (\(revokedAt)) must not be before createdAt (\(createdAt))", at: node)
        }
        guard let id, let name, let prefix, let hash, let createdBy, let createdAt else { return nil }
        return APIKey(id: id, name: name, prefix: prefix, hash: hash, createdBy: createdBy, createdAt: createdAt,
                      expiresAt: expiresAt, revokedAt: revokedAt)
    }

    var yaml: YAMLNode {
        var map = YAMLMap()
        map.add("id", id)
        map.add("name", name)
        map.add("prefix", prefix)
        map.add("hash", hash)
        map.add("createdBy", createdBy)
        map.add("createdAt", createdAt)
        map.add("expiresAt", expiresAt)
        map.add("revokedAt", revokedAt)
        return map.node
    }
}
