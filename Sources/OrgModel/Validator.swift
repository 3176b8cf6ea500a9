/// The outcome of validating one state of an organization.
public struct ValidationReport: Sendable {
    public var organization: Organization
    /// Every problem found, sorted by location.
    public var diagnostics: [Diagnostic]
    /// The ledger replay, when the organization has a Primary to replay against.
    public var replay: LedgerReplay?

    public var isValid: Bool { !diagnostics.hasErrors }
}

/// Checks one state of an organization against every rule that needs no history (SPEC §4, state rules):
/// R1–R16, F1–F4, references, duplicates, plaintext secrets, and the ledger replay.
public enum Validator {
    /// Validates `snapshot`, collecting every failure. A tree of more than `ParseLimits.maxFiles` files is
    /// refused as it is, without reading any of them.
    public static func validate(_ snapshot: Snapshot) -> ValidationReport {
        guard snapshot.entries.count <= ParseLimits.maxFiles else {
            return ValidationReport(organization: Organization(), diagnostics: [ParseLimits.tooManyFiles(snapshot.entries.count)], replay: nil)
        }
        let (org, loadDiagnostics) = Organization.load(snapshot)
        if let newer = org.requiresNewerOrgsync {
            return ValidationReport(organization: org, diagnostics: [newer], replay: nil)
        }
        var diagnostics = loadDiagnostics
        diagnostics += secrets(in: snapshot)
        diagnostics += stateRules(org)
        var replay: LedgerReplay?
        if org.config != nil {
            replay = LedgerReplay.run(org)
            if let replay {
                if let failure = replay.failure { diagnostics.append(failure) }
                diagnostics += replay.warnings
            }
        }
        return ValidationReport(organization: org, diagnostics: Array(Set(diagnostics)).sorted(), replay: replay)
    }

    /// Every problem one file has on its own, wherever it is: it does not read, its keys, values or ids are
    /// wrong, it is in the wrong place, it holds a plaintext secret or the same id twice, or it declares a
    /// newer schema. References to other files (REF) and what needs other files (the replay, an owner, a
    /// Primary) are not checked.
    public static func fileDiagnostics(_ bytes: [UInt8], path: String) -> [Diagnostic] {
        validate(Snapshot(entries: [path: Snapshot.Entry(bytes: bytes)])).diagnostics.filter { $0.location.path == path && $0.rule != .reference }
    }

    static func secrets(in snapshot: Snapshot) -> [Diagnostic] {
        let files = snapshot.entries.filter { $0.value.kind == .file }.map(\.key)
        return ParallelWork.map(files) { path in
            SecretScanner.scan(snapshot.entries[path]?.bytes ?? []).map { finding in
                Diagnostic.error(.secret, "this looks like \(finding.kind) in plaintext; remove it from the file and from history, rotate it, and store only a reference (provider keys) or a hash and prefix (API keys)",
                                 at: SourceLocation(path: path, line: finding.line, column: finding.column))
            }
        }.flatMap { $0 }
    }

    // MARK: - State rules

    static func stateRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        out += workspaceRules(org)
        out += memberRules(org)
        out += providerRules(org)
        out += ledgerRules(org)
        out += usageRules(org)
        return out
    }

    private static func memberReference(_ id: String, _ org: Organization, what: String, at location: SourceLocation) -> Diagnostic? {
        guard org.member(id) == nil, !org.isUnreadable("members", id) else { return nil }
        return .error(.reference, "\(what) '\(id)' names no member of the organization\(Suggestion.hint(id, org.members.map(\.id))); add members/\(id).yaml or fix the id",
                      at: location)
    }

    static func workspaceRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let live = org.workspaces.filter { !$0.isDeleted }
        let primaries = live.filter(\.isPrimary)
        let unreadableWorkspace = org.unreadable.contains { $0.hasPrefix("workspaces/") }
        // Keys in a providers file that cannot be read are unknown, not missing.
        let unreadableProviders = org.unreadable.contains("providers.yaml") || org.unreadable.contains("providers.json")
        if org.config != nil {
            if primaries.isEmpty, !unreadableWorkspace {
                out.append(.error(.r(3), "the organization has no Primary Workspace; exactly one live workspace must have 'primary: true'",
                                  at: SourceLocation(path: "workspaces")))
            } else if primaries.count > 1 {
                for extra in primaries.dropFirst() {
                    out.append(.error(.r(3), "'\(extra.id)' and '\(primaries[0].id)' are both primary; exactly one workspace is the Primary Workspace",
                                      at: extra.source["primary"], notes: [.init("the other primary", at: primaries[0].source["primary"])]))
                }
            }
        }
        for workspace in org.workspaces where workspace.isDeleted && workspace.isPrimary {
            out.append(.error(.r(3), "the Primary Workspace cannot be deleted", at: workspace.source["primary"]))
        }
        var keyOwners: [String: (Workspace, Int)] = [:]
        var hashOwners: [String: (Workspace, Int)] = [:]
        for workspace in org.workspaces {
            if let tombstone = workspace.deleted, let problem = memberReference(tombstone.by, org, what: "deleted.by", at: workspace.source["deleted.by"]) {
                out.append(problem)
            }
            var assigned: [String: Int] = [:]
            for (index, assignment) in workspace.members.enumerated() {
                let field = "members[\(index)].member"
                if let first = assigned[assignment.member] {
                    out.append(.error(.duplicate, "'\(assignment.member)' is listed twice in this workspace; keep one entry",
                                      at: workspace.source[field], notes: [.init("first listed here", at: workspace.source["members[\(first)].member"])]))
                    continue
                }
                assigned[assignment.member] = index
                if let problem = memberReference(assignment.member, org, what: "member", at: workspace.source[field]) {
                    out.append(problem)
                } else if let member = org.member(assignment.member), !member.isActive {
                    out.append(.error(.r(11), "'\(assignment.member)' was removed from the organization and cannot be assigned to a workspace; remove this entry",
                                      at: workspace.source[field]))
                }
            }
            for (index, key) in workspace.keys.enumerated() {
                let field = "keys[\(index)]"
                if let (other, otherIndex) = keyOwners[key.id] {
                    out.append(.error(.duplicate, "API key id '\(key.id)' is also used in workspace '\(other.id)'; key ids are unique in the organization",
                                      at: workspace.source["\(field).id"], notes: [.init("the other key", at: other.source["keys[\(otherIndex)].id"])]))
                } else {
                    keyOwners[key.id] = (workspace, index)
                }
                if let (other, otherIndex) = hashOwners[key.hash] {
                    out.append(.error(.duplicate, "this API key hash is also stored for key '\(other.keys[otherIndex].id)'; two keys cannot share a secret",
                                      at: workspace.source["\(field).hash"], notes: [.init("the other key", at: other.source["keys[\(otherIndex)].hash"])]))
                } else {
                    hashOwners[key.hash] = (workspace, index)
                }
                if let problem = memberReference(key.createdBy, org, what: "createdBy", at: workspace.source["\(field).createdBy"]) {
                    out.append(problem)
                }
            }
            for (provider, keyID) in workspace.providers.pin.sorted(by: { $0.key < $1.key }) {
                let field = "providers.pin.\(provider)"
                guard let key = org.providerKeys.first(where: { $0.id == keyID }) else {
                    guard !unreadableProviders else { continue }
                    out.append(.error(.reference, "pinned provider key '\(keyID)' is not in providers.yaml\(Suggestion.hint(keyID, org.providerKeys.map(\.id)))",
                                      at: workspace.source[field]))
                    continue
                }
                if key.provider != provider {
                    out.append(.error(.r(14), "the pin for '\(provider)' names '\(keyID)', which is a key for '\(key.provider)'; pin a key whose provider is '\(provider)'",
                                      at: workspace.source[field]))
                }
                if workspace.providers.disabled.contains(keyID) {
                    out.append(.error(.r(14), "'\(keyID)' is both pinned and disabled in this workspace; remove one of the two",
                                      at: workspace.source[field]))
                }
            }
            for (index, keyID) in workspace.providers.disabled.enumerated() where !unreadableProviders && !org.providerKeys.contains(where: { $0.id == keyID }) {
                out.append(.error(.reference, "disabled provider key '\(keyID)' is not in providers.yaml\(Suggestion.hint(keyID, org.providerKeys.map(\.id)))",
                                  at: workspace.source["providers.disabled[\(index)]"]))
            }
        }
        return out
    }

    static func memberRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let unreadableMember = org.unreadable.contains { $0.hasPrefix("members/") }
        if org.config != nil, !unreadableMember, !org.members.contains(where: { $0.isActive && $0.role == .owner }) {
            out.append(.error(.r(11), "the organization has no owner; at least one active member must have 'role: owner'",
                              at: SourceLocation(path: "members")))
        }
        var emails: [String: Member] = [:]
        for member in org.members where member.isActive {
            let key = member.email.lowercased()
            if let other = emails[key] {
                out.append(.error(.duplicate, "email '\(member.email)' is also the email of member '\(other.id)'; emails are unique, ignoring case",
                                  at: member.source["email"], notes: [.init("the other member", at: other.source["email"])]))
            } else {
                emails[key] = member
            }
        }
        var handles: [String: Member] = [:]
        for member in org.members where member.isActive {
            guard let handle = member.github?.lowercased() else { continue }
            if let other = handles[handle] {
                out.append(.error(.duplicate, "github handle '\(member.github ?? "")' is also the handle of member '\(other.id)'; handles name approvers, so they are unique, ignoring case",
                                  at: member.source["github"], notes: [.init("the other member", at: other.source["github"])]))
            } else {
                handles[handle] = member
            }
        }
        for member in org.members {
            if let removal = member.removed, let problem = memberReference(removal.by, org, what: "removed.by", at: member.source["removed.by"]) {
                out.append(problem)
            }
        }
        return out
    }

    static func providerRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var ids: [String: ProviderKey] = [:]
        var defaults: [String: ProviderKey] = [:]
        for key in org.providerKeys {
            if let other = ids[key.id] {
                out.append(.error(.duplicate, "provider key id '\(key.id)' appears twice; ids are unique",
                                  at: key.source["\(key.sourceField).id"], notes: [.init("first here", at: other.source["\(other.sourceField).id"])]))
            } else {
                ids[key.id] = key
            }
            if key.isDefault {
                if let other = defaults[key.provider] {
                    out.append(.error(.r(14), "'\(key.id)' and '\(other.id)' are both the default key for '\(key.provider)'; keep one default per provider",
                                      at: key.source["\(key.sourceField).default"], notes: [.init("the other default", at: other.source["\(other.sourceField).default"])]))
                } else {
                    defaults[key.provider] = key
                }
            }
        }
        return out
    }

    static func ledgerRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var seen: [String: LedgerEvent] = [:]
        for event in org.events {
            if let other = seen[event.id] {
                out.append(.error(.duplicate, "event id '\(event.id)' is used by two events; every event has its own id",
                                  at: event.source["id"], notes: [.init("the other event", at: other.source["id"])]))
            } else {
                seen[event.id] = event
            }
            if let problem = memberReference(event.by, org, what: "by", at: event.source["by"]) { out.append(problem) }
        }
        return out
    }

    static func usageRules(_ org: Organization) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var seen = Set<String>(minimumCapacity: org.usage.count)
        var duplicated = Set<String>()
        var reportedWorkspaces = Set<String>()
        for record in org.usage {
            if !seen.insert(record.id).inserted { duplicated.insert(record.id) }
            if let index = org.workspaceIndex[record.workspace] {
                if org.workspaces[index].isDeleted, reportedWorkspaces.insert(record.workspace).inserted {
                    out.append(.error(.r(10), "workspace '\(record.workspace)' is deleted, so its usage files must be removed; its tombstone records what it consumed",
                                      at: SourceLocation(path: record.location.path)))
                }
            } else if !org.isUnreadable("workspaces", record.workspace), reportedWorkspaces.insert(record.workspace).inserted {
                out.append(.error(.reference, "usage for '\(record.workspace)', which is not a workspace\(Suggestion.hint(record.workspace, org.workspaces.map(\.id)))",
                                  at: SourceLocation(path: record.location.path)))
            }
            if let index = org.memberIndex[record.member] {
                if let removal = org.members[index].removed, record.at > removal.at {
                    out.append(.error(.r(11), "usage by '\(record.member)' at \(record.at), after the member was removed at \(removal.at)",
                                      at: record.location))
                }
            } else if let problem = memberReference(record.member, org, what: "member", at: record.location) {
                out.append(problem)
            }
        }
        if !duplicated.isEmpty {
            // Rare: a second pass finds where each duplicated id was first written.
            var first: [String: SourceLocation] = [:]
            for record in org.usage where duplicated.contains(record.id) {
                if let location = first[record.id] {
                    out.append(.error(.duplicate, "usage record id '\(record.id)' appears twice; record ids are unique, which makes imports idempotent",
                                      at: record.location, notes: [.init("first here", at: location)]))
                } else {
                    first[record.id] = record.location
                }
            }
        }
        return out
    }
}
