/// `org.yaml`: the organization itself (R1) and its policy.
public struct OrgConfig: Hashable, Sendable {
    /// The repository format version this orgsync reads and writes (F4).
    public static let currentSchema = 1

    public var schema: Int
    public var id: String
    public var name: String
    public var policy: Policy
    public var source: SourceMap

    public init(id: String, name: String, policy: Policy = Policy(), path: String = "org.yaml") {
        self.schema = OrgConfig.currentSchema
        self.id = id
        self.name = name
        self.policy = policy
        self.source = SourceMap(path: path)
    }
}

/// The organization's rules about commits and approvals.
public struct Policy: Hashable, Sendable {
    public enum SignedCommits: String, Hashable, Sendable, CaseIterable {
        case optional
        case required
    }

    public var signedCommits: SignedCommits = .optional
    public var approvals: [ApprovalRule] = []

    public init(signedCommits: SignedCommits = .optional, approvals: [ApprovalRule] = []) {
        self.signedCommits = signedCommits
        self.approvals = approvals
    }
}

/// One approval rule (G2): when a change meets `when`, it needs `require` approvals from members with a role in `from`.
public struct ApprovalRule: Hashable, Sendable {
    public struct Conditions: Hashable, Sendable {
        public var transferAtLeast: Credits?
        public var topup = false
        public var modeChange = false
        public var ownerChange = false
        public var paths: [String] = []

        public init() {}
    }

    public var name: String
    public var when: Conditions
    public var require: Int
    public var from: [OrgRole]

    public init(name: String, when: Conditions, require: Int, from: [OrgRole]) {
        self.name = name
        self.when = when
        self.require = require
        self.from = from
    }
}

extension OrgConfig {
    static let keys = ["schema", "id", "name", "policy"]

    /// The F4 diagnostic when `root` declares a schema newer than this orgsync reads. Nothing else in such a
    /// repository can be judged: it may use keys and files this orgsync does not know.
    static func newerSchema(_ root: SourceNode, path: String) -> Diagnostic? {
        guard case .mapping(let entries) = root.kind, let node = entries.first(where: { $0.key == "schema" })?.value,
              case .scalar(let text, _) = node.kind, let schema = Int(text), schema > currentSchema else { return nil }
        return .error(.f(4), "this repository needs a newer orgsync: it uses schema \(schema), and this orgsync reads schema \(currentSchema); upgrade orgsync",
                      at: SourceLocation(path: path, line: node.line, column: node.column))
    }

    static func decode(_ root: SourceNode, _ d: FileDecoder) -> OrgConfig? {
        guard let fields = d.mapping(root, field: "", what: "org.yaml", allowed: keys, required: ["schema", "id", "name"]) else {
            return nil
        }
        let schema = fields["schema"].flatMap { d.integer($0, field: "schema", what: "schema", range: 1...currentSchema) }
        let id = d.identifier(fields["id"], field: "id", what: "organization id", kind: .slug)
        let name = d.string(fields["name"], field: "name", what: "organization name")
        let policy = fields["policy"].map { Policy.decode($0, d) } ?? Policy()
        guard let schema, let id, let name else { return nil }
        var config = OrgConfig(id: id, name: name, policy: policy ?? Policy(), path: d.path)
        config.schema = schema
        config.source = d.source
        return config
    }

    /// The canonical YAML of `org.yaml`.
    public var yaml: YAMLNode {
        var map = YAMLMap()
        map.add("schema", schema)
        map.add("id", id)
        map.add("name", name)
        map.add("policy", map: policy.yamlMap)
        return map.node
    }
}

extension Policy {
    static func decode(_ node: SourceNode, _ d: FileDecoder) -> Policy? {
        guard let fields = d.mapping(node, field: "policy", what: "policy", allowed: ["signedCommits", "approvals"]) else { return nil }
        var policy = Policy()
        if let signed = d.choice(fields["signedCommits"], field: "policy.signedCommits", what: "policy.signedCommits", as: SignedCommits.self) {
            policy.signedCommits = signed
        }
        for (index, item) in d.list(fields["approvals"], field: "policy.approvals", what: "policy.approvals").enumerated() {
            if let rule = ApprovalRule.decode(item, field: "policy.approvals[\(index)]", d) { policy.approvals.append(rule) }
        }
        return policy
    }

    var yamlMap: YAMLMap {
        var map = YAMLMap()
        if signedCommits != .optional { map.add("signedCommits", signedCommits.rawValue) }
        map.add("approvals", list: approvals.map(\.yaml))
        return map
    }
}

extension ApprovalRule {
    static func decode(_ node: SourceNode, field: String, _ d: FileDecoder) -> ApprovalRule? {
        guard let fields = d.mapping(node, field: field, what: "an approval rule", allowed: ["name", "when", "require", "from"],
                                     required: ["name", "when", "require", "from"]) else { return nil }
        let name = d.string(fields["name"], field: fields.path("name"), what: "rule name")
        var conditions = Conditions()
        if let whenNode = fields["when"],
           let when = d.mapping(whenNode, field: fields.path("when"), what: "a rule's 'when'",
                                allowed: ["transferAtLeast", "topup", "modeChange", "ownerChange", "paths"]) {
            conditions.transferAtLeast = d.credits(when["transferAtLeast"], field: when.path("transferAtLeast"), what: "transferAtLeast", allowZero: false)
            conditions.topup = d.bool(when["topup"], field: when.path("topup"), what: "topup") ?? false
            conditions.modeChange = d.bool(when["modeChange"], field: when.path("modeChange"), what: "modeChange") ?? false
            conditions.ownerChange = d.bool(when["ownerChange"], field: when.path("ownerChange"), what: "ownerChange") ?? false
            for (index, item) in d.list(when["paths"], field: when.path("paths"), what: "paths").enumerated() {
                if let glob = d.string(item, field: "\(when.path("paths"))[\(index)]", what: "a path glob") { conditions.paths.append(glob) }
            }
            if conditions.transferAtLeast == nil, !conditions.topup, !conditions.modeChange, !conditions.ownerChange, conditions.paths.isEmpty {
                d.error(.schema, "this rule's 'when' has no condition, so it would never apply; add transferAtLeast, topup, modeChange, ownerChange or paths",
                        at: whenNode)
            }
        }
        let require = d.integer(fields["require"], field: fields.path("require"), what: "require", range: 1...100)
        var roles: [OrgRole] = []
        let fromItems = d.list(fields["from"], field: fields.path("from"), what: "from")
        for (index, item) in fromItems.enumerated() {
            if let role = d.choice(item, field: "\(fields.path("from"))[\(index)]", what: "role", as: OrgRole.self) { roles.append(role) }
        }
        if let fromNode = fields["from"], fromItems.isEmpty, case .sequence = fromNode.kind {
            d.error(.schema, "this rule's 'from' names no role, so no approval could ever count; list the org roles whose approvals count, such as owner",
                    at: fromNode)
        }
        guard let name, let require else { return nil }
        return ApprovalRule(name: name, when: conditions, require: require, from: roles)
    }

    var yaml: YAMLNode {
        var when = YAMLMap()
        when.add("transferAtLeast", self.when.transferAtLeast)
        if self.when.topup { when.add("topup", .plain("true")) }
        if self.when.modeChange { when.add("modeChange", .plain("true")) }
        if self.when.ownerChange { when.add("ownerChange", .plain("true")) }
        when.add("paths", list: self.when.paths.map { .string($0) })
        var map = YAMLMap()
        map.add("name", name)
        map.add("when", when.node)
        map.add("require", require)
        map.add("from", .list(from.map { .string($0.rawValue) }))
        return map.node
    }
}
