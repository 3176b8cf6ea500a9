/// An organization-level provider key (R14): a reference to where the secret lives, never the secret.
public struct ProviderKey: Hashable, Sendable {
    public var id: String
    /// The provider's name, such as `openai` or `anthropic`.
    public var provider: String
    /// `env:NAME`, `file:PATH` or `vault:PATH`.
    public var secretRef: String
    /// Whether this is the organization's default key for its provider.
    public var isDefault: Bool
    public var source: SourceMap
    /// The key's entry in `providers.yaml`, such as `providers[2]`, for locating its fields in `source`.
    public var sourceField: String = ""

    public init(id: String, provider: String, secretRef: String, isDefault: Bool = false) {
        self.id = id
        self.provider = provider
        self.secretRef = secretRef
        self.isDefault = isDefault
        self.source = SourceMap(path: ProviderKey.path)
    }

    /// The file that lists every provider key.
    public static let path = "providers.yaml"

    /// Why `text` is not a secret reference, or nil when it is one.
    static func problem(withReference text: String) -> String? {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, ["env", "file", "vault"].contains(parts[0]), !parts[1].isEmpty else {
            // The value is not repeated: it may be the secret itself, and messages end up in CI logs.
            return "secretRef must be a reference: env:NAME, file:PATH or vault:PATH; never paste the secret itself"
        }
        if parts[0] == "env" {
            let name = parts[1].unicodeScalars
            let valid = name.first.map { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) } == true
                && name.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            if !valid { return "secretRef names an invalid environment variable; use letters, digits and '_' after env:" }
        }
        if text.contains(where: { $0.isNewline || $0 == " " }) { return "secretRef must not contain spaces or line breaks" }
        return nil
    }
}

extension ProviderKey {
    /// Decodes `providers.yaml`: a mapping with one key, `providers`, holding a list of keys.
    static func decodeFile(_ root: SourceNode, _ d: FileDecoder) -> [ProviderKey] {
        guard let fields = d.mapping(root, field: "", what: "providers.yaml", allowed: ["providers"]) else { return [] }
        var keys: [ProviderKey] = []
        for (index, item) in d.list(fields["providers"], field: "providers", what: "providers").enumerated() {
            let field = "providers[\(index)]"
            guard let entry = d.mapping(item, field: field, what: "a provider key", allowed: ["id", "provider", "secretRef", "default"],
                                        required: ["id", "provider", "secretRef"]) else { continue }
            let id = d.identifier(entry["id"], field: entry.path("id"), what: "provider key id", kind: .slug)
            let provider = d.identifier(entry["provider"], field: entry.path("provider"), what: "provider", kind: .slug)
            let secretRef = d.string(entry["secretRef"], field: entry.path("secretRef"), what: "secretRef")
            if let secretRef, let node = entry["secretRef"], let problem = problem(withReference: secretRef) {
                d.error(.r(14), problem, at: node)
            }
            let isDefault = entry["default"].flatMap { d.bool($0, field: entry.path("default"), what: "default") } ?? false
            guard let id, let provider, let secretRef else { continue }
            var key = ProviderKey(id: id, provider: provider, secretRef: secretRef, isDefault: isDefault)
            key.source = d.source
            key.sourceField = field
            keys.append(key)
        }
        return keys
    }

    /// The canonical YAML of `providers.yaml` for `keys`.
    public static func yaml(_ keys: [ProviderKey]) -> YAMLNode {
        var map = YAMLMap()
        map.add("providers", .list(keys.map { key in
            var entry = YAMLMap()
            entry.add("id", key.id)
            entry.add("provider", key.provider)
            entry.add("secretRef", key.secretRef)
            if key.isDefault { entry.add("default", .plain("true")) }
            return entry.node
        }))
        return map.node
    }
}

/// Which provider key a workspace uses for a provider (R14), and why.
public struct ProviderResolution: Equatable, Sendable {
    public enum Source: String, Sendable {
        /// The workspace pins this key for the provider.
        case pin
        /// The organization's default key for the provider, which the workspace has not disabled.
        case orgDefault = "default"
    }
    public var key: ProviderKey
    public var source: Source
}

extension Organization {
    /// The key `workspace` uses for `provider`: its pin, else the org default that it has not disabled (R14).
    public func resolveProvider(_ provider: String, for workspaceID: String) -> Result<ProviderResolution, OperationRefusal> {
        guard let workspace = workspace(workspaceID), !workspace.isDeleted else {
            return .failure(OperationRefusal("no workspace '\(workspaceID)'; list them with 'orgsync workspace list'"))
        }
        if let pinned = workspace.providers.pin[provider], let key = providerKeys.first(where: { $0.id == pinned }) {
            return .success(ProviderResolution(key: key, source: .pin))
        }
        let candidates = providerKeys.filter { $0.provider == provider }
        guard !candidates.isEmpty else {
            let known = Set(providerKeys.map(\.provider)).sorted()
            return .failure(OperationRefusal("no provider key for '\(provider)' in providers.yaml" + (known.isEmpty ? "" : " (providers: \(known.joined(separator: ", ")))")
                + "; add one with 'orgsync provider add ID --provider \(provider) --secret-ref env:NAME --default'"))
        }
        guard let fallback = candidates.first(where: \.isDefault) else {
            return .failure(OperationRefusal("workspace '\(workspaceID)' pins no key for '\(provider)' and the organization has no default for it; pin one with 'orgsync provider pin --workspace \(workspaceID) --key ID' (keys: \(candidates.map(\.id).joined(separator: ", ")))"))
        }
        guard !workspace.providers.disabled.contains(fallback.id) else {
            return .failure(OperationRefusal("workspace '\(workspaceID)' has disabled '\(fallback.id)', the default key for '\(provider)', and pins no other; pin one with 'orgsync provider pin --workspace \(workspaceID) --key ID'"))
        }
        return .success(ProviderResolution(key: fallback, source: .orgDefault))
    }
}
