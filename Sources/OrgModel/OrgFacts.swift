/// One semantic field of an organization: the unit in which transitions are compared and authorized (T4).
///
/// Entity files break into fields (a workspace's name, one of its member assignments, one API key, …);
/// operation logs into whole entries (a ledger event, a usage record). Anything orgsync cannot decode,
/// and every file outside the organization's folders, is one opaque `file`.
public enum Subject: Hashable, Sendable {
    /// A field of org.yaml other than its policy: `id`, `name` or `schema`.
    case org(String)
    /// `policy` in org.yaml.
    case policy
    /// One org-level provider key, by id.
    case providerKey(String)
    /// A field of a member: `file` (the member exists), `email`, `name`, `role`, `github`, `signingKeys`, `removed`.
    case member(String, String)
    /// A field of a workspace: `file`, `name`, `primary`, `members[ID]`, `keys[ID]`, `providers.pin.NAME`,
    /// `providers.disabled`, `limits`, `settings.KEY` or `deleted`.
    case workspace(String, String)
    /// A ledger event, by id.
    case event(String)
    /// A usage record, by id.
    case usage(String)
    /// A whole file: outside the organization's folders, or not readable as organization data.
    case file(String)

    /// The subject in words, for messages: "the name of workspace 'ops'".
    public var description: String {
        switch self {
        case .org(let field): return "\(field) in org.yaml"
        case .policy: return "the org policy"
        case .providerKey(let id): return "provider key '\(id)'"
        case .member(let id, "file"): return "member '\(id)'"
        case .member(let id, "removed"): return "the removal of member '\(id)'"
        case .member(let id, let field): return "the \(field) of member '\(id)'"
        case .workspace(let id, "file"): return "workspace '\(id)'"
        case .workspace(let id, let field): return "\(Subject.fieldPhrase(field)) of workspace '\(id)'"
        case .event(let id): return "ledger event '\(id)'"
        case .usage(let id): return "usage record '\(id)'"
        case .file(let path): return path
        }
    }

    private static func fieldPhrase(_ field: String) -> String {
        if field.hasPrefix("members["), field.hasSuffix("]") { return "the assignment of '\(field.dropFirst(8).dropLast())'" }
        if field.hasPrefix("keys["), field.hasSuffix("]") { return "API key '\(field.dropFirst(5).dropLast())'" }
        return "the \(field)"
    }
}

/// A field's value, compared by `==` on its own type.
struct FactValue: Hashable, Sendable {
    let base: any Hashable & Sendable
    init(_ base: any Hashable & Sendable) { self.base = base }
    static func == (lhs: FactValue, rhs: FactValue) -> Bool { AnyHashable(lhs.base) == AnyHashable(rhs.base) }
    func hash(into hasher: inout Hasher) { AnyHashable(base).hash(into: &hasher) }
}

/// A field's value and where it is written.
struct Fact: Sendable {
    var value: FactValue
    var location: SourceLocation
}

/// A field whose value a commit changed: added (`old` nil), removed (`new` nil) or modified.
public struct FieldChange: Sendable {
    public var subject: Subject
    /// Where the field was in the (first) parent.
    public var oldLocation: SourceLocation?
    /// Where the field is in the commit.
    public var newLocation: SourceLocation?
    var oldValue: FactValue?
    var newValue: FactValue?

    public var isAddition: Bool { oldLocation == nil }
    public var isRemoval: Bool { newLocation == nil }

    /// Where to point a diagnostic: the field in the commit, or the file it was removed from.
    public var location: SourceLocation {
        newLocation ?? SourceLocation(path: oldLocation?.path ?? "")
    }

    /// "added ledger event '01J…'", "changed the name of workspace 'ops'", "removed member 'bob'".
    public var summary: String {
        (isAddition ? "added " : isRemoval ? "removed " : "changed ") + subject.description
    }
}

/// The fields of one organization state.
struct OrgFacts: Sendable {
    var facts: [Subject: Fact] = [:]

    init(_ state: OrgState) {
        let org = state.organization
        var represented = Set<String>()
        func add(_ subject: Subject, _ value: (any Hashable & Sendable)?, _ location: SourceLocation) {
            guard let value else { return }
            facts[subject] = Fact(value: FactValue(value), location: location)
        }

        if let config = org.config {
            represented.insert(config.source.path)
            add(.org("id"), config.id, config.source["id"])
            add(.org("name"), config.name, config.source["name"])
            add(.org("schema"), config.schema, config.source["schema"])
            add(.policy, config.policy, config.source["policy"])
        }
        for key in org.providerKeys {
            represented.insert(key.source.path)
            add(.providerKey(key.id), [key.provider, key.secretRef, key.isDefault ? "default" : ""], key.source["\(key.sourceField).id"])
        }
        for path in ["providers.yaml", "providers.json"] where state.snapshot[path] != nil && !org.unreadable.contains(path) {
            represented.insert(path) // An empty providers file holds no keys, and is no change by itself.
        }
        for member in org.members {
            represented.insert(member.source.path)
            let s = member.source
            add(.member(member.id, "file"), true, s.file)
            add(.member(member.id, "email"), member.email, s["email"])
            add(.member(member.id, "name"), member.name, s["name"])
            add(.member(member.id, "role"), member.role.rawValue, s["role"])
            add(.member(member.id, "github"), member.github, s["github"])
            add(.member(member.id, "signingKeys"), member.signingKeys.isEmpty ? nil : member.signingKeys, s["signingKeys"])
            add(.member(member.id, "removed"), member.removed, s["removed"])
        }
        for workspace in org.workspaces {
            represented.insert(workspace.source.path)
            let s = workspace.source
            let id = workspace.id
            add(.workspace(id, "file"), true, s.file)
            add(.workspace(id, "name"), workspace.name, s["name"])
            add(.workspace(id, "primary"), workspace.isPrimary ? true : nil, s["primary"])
            for (index, assignment) in workspace.members.enumerated() {
                add(.workspace(id, "members[\(assignment.member)]"), assignment, s["members[\(index)]"])
            }
            for (index, key) in workspace.keys.enumerated() {
                add(.workspace(id, "keys[\(key.id)]"), key, s["keys[\(index)]"])
            }
            for (provider, key) in workspace.providers.pin {
                add(.workspace(id, "providers.pin.\(provider)"), key, s["providers.pin.\(provider)"])
            }
            let disabled = workspace.providers.disabled.sorted()
            add(.workspace(id, "providers.disabled"), disabled.isEmpty ? nil : disabled, s["providers.disabled"])
            add(.workspace(id, "limits"), workspace.limits, s["limits"])
            for (key, value) in workspace.settings {
                add(.workspace(id, "settings.\(key)"), value, s["settings.\(key)"])
            }
            add(.workspace(id, "deleted"), workspace.deleted, s["deleted"])
        }
        for event in org.events {
            represented.insert(event.source.path)
            add(.event(event.id), event, event.source.file)
        }
        for record in org.usage {
            represented.insert(record.location.path)
            add(.usage(record.id), [record.workspace, record.jsonLine], record.location)
        }
        for (path, entry) in state.snapshot.entries where entry.kind != .file || !represented.contains(path) {
            add(.file(path), [entry.kind == .file ? "file" : entry.kind == .symlink ? "symlink" : "submodule", String(decoding: entry.bytes, as: UTF8.self)] as [String],
                SourceLocation(path: path))
        }
    }

    /// What `result` changes that it did not inherit from its parents. With one parent that is a plain
    /// diff; with none, every field is new.
    ///
    /// For a merge, a field is inherited when all parents and `result` keep the `base` value (the merge
    /// base), or when `result` takes the value of a parent that changed it from `base`. Anything else is the
    /// merge's own change, reverting one side's change to the base value included (T4). Without a base
    /// (unrelated histories) every parent's value counts as a change of that parent.
    static func changes(from parents: [OrgFacts], base: OrgFacts?, to result: OrgFacts) -> [FieldChange] {
        var subjects = Set(result.facts.keys)
        for parent in parents { subjects.formUnion(parent.facts.keys) }
        if parents.count > 1, let base { subjects.formUnion(base.facts.keys) }
        var changes: [FieldChange] = []
        for subject in subjects {
            let new = result.facts[subject]?.value
            let values = parents.map { $0.facts[subject]?.value }
            let inherited: Bool
            if parents.count > 1 {
                let original = base?.facts[subject]?.value
                inherited = (values.allSatisfy { $0 == original } && new == original)
                    || values.contains { $0 == new && $0 != original }
            } else {
                inherited = values.first == new
            }
            if inherited { continue }
            let old = parents.first?.facts[subject]
            changes.append(FieldChange(subject: subject, oldLocation: old?.location, newLocation: result.facts[subject]?.location,
                                       oldValue: old?.value, newValue: new))
        }
        return changes.sorted { ($0.location, $0.subject.description) < ($1.location, $1.subject.description) }
    }
}
