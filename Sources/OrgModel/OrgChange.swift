/// One change to an organization, in domain terms: a transfer, a workspace renamed, a member granted a role.
///
/// `orgsync plan` (a pull request's meaning) and `orgsync log` (the semantic history) are made of these.
/// They are read from the field changes a transition makes (the same ones T4 authorizes), so what a
/// reviewer reads is exactly what the validator judged.
public struct OrgChange: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case topup, transfer, mode
        case eventDropped = "event.dropped", eventRestamped = "event.restamped"
        case usage
        case workspaceCreated = "workspace.created", workspaceRenamed = "workspace.renamed"
        case workspaceDeleted = "workspace.deleted", workspaceChanged = "workspace.changed"
        case memberAdded = "member.added", memberRemoved = "member.removed", memberRole = "member.role"
        case memberChanged = "member.changed"
        case accessGranted = "access.granted", accessChanged = "access.changed", accessRevoked = "access.revoked"
        case keyCreated = "key.created", keyRevoked = "key.revoked", keyChanged = "key.changed", keyRemoved = "key.removed"
        case providerAdded = "provider.added", providerChanged = "provider.changed", providerRemoved = "provider.removed"
        case providerPinned = "provider.pinned", providerDisabled = "provider.disabled"
        case policyChanged = "policy.changed", orgChanged = "org.changed"
        case file

        /// The section of a plan it belongs to.
        public var section: Section {
            switch self {
            case .topup, .transfer, .mode, .eventDropped, .eventRestamped: return .credits
            case .usage: return .usage
            case .workspaceCreated, .workspaceRenamed, .workspaceDeleted, .workspaceChanged: return .workspaces
            case .memberAdded, .memberRemoved, .memberRole, .memberChanged, .accessGranted, .accessChanged, .accessRevoked: return .access
            case .keyCreated, .keyRevoked, .keyChanged, .keyRemoved, .providerAdded, .providerChanged, .providerRemoved,
                 .providerPinned, .providerDisabled: return .keys
            case .policyChanged, .orgChanged, .file: return .organization
            }
        }
    }

    /// The parts of a plan, in the order they are shown.
    public enum Section: String, Sendable, CaseIterable {
        case credits, workspaces, access, keys, usage, organization

        public var title: String {
            switch self {
            case .credits: return "Credits"
            case .workspaces: return "Workspaces"
            case .access: return "Members and access"
            case .keys: return "API keys and provider keys"
            case .usage: return "Usage"
            case .organization: return "Organization and policy"
            }
        }
    }

    public var kind: Kind
    /// The change in words, past tense, without who made it: "moved 600 credits from 'a' to 'b'".
    public var summary: String
    /// The member the data names as its maker: an event's `by`, a tombstone's, a key's creator.
    public var by: String?
    /// When the data says it happened.
    public var at: Timestamp?
    /// The workspaces it touches.
    public var workspaces: [String]
    /// Whether it makes someone an owner, takes the role away, or changes an owner's identity (G2 `ownerChange`).
    public var changesOwners: Bool
    /// For a change to who a member is (added, removed, role, email, GitHub handle, signing keys): the
    /// member's org roles before and after. Such a change alters who may approve under those roles.
    public var approverRoles: [OrgRole] = []
    /// The ledger event it is, for credit changes.
    public var event: LedgerEvent?
    /// Where it is written, in the later state (or the file it was removed from).
    public var location: SourceLocation
    /// The change as data, for `--format json`.
    public var fields: [String: JSONValue]

    init(_ kind: Kind, _ summary: String, workspaces: [String] = [], at location: SourceLocation, fields: [String: JSONValue] = [:]) {
        self.kind = kind
        self.summary = summary.printable
        self.workspaces = workspaces
        self.changesOwners = false
        self.location = location
        self.fields = fields
    }
}

/// What a transition changes, as `OrgChange`s, with the files it touched.
public struct OrgChanges: Sendable {
    /// Every change: ledger events in replay order first, then the rest by file.
    public var changes: [OrgChange]
    /// The files (relative to the organization's folder) whose bytes differ, sorted.
    public var paths: [String]
    /// Whether the later state creates the organization (the earlier one holds no organization files).
    public var createsOrganization: Bool

    public var isEmpty: Bool { changes.isEmpty && paths.isEmpty }

    /// The ledger events added, in replay order.
    public var addedEvents: [LedgerEvent] { changes.compactMap { $0.kind == .eventDropped ? nil : $0.event } }

    /// What `after` changes relative to `before` (nil: nothing, as before a repository's first commit).
    public init(from before: OrgState?, to after: OrgState) {
        let changes = OrgFacts.changes(from: before.map { [OrgFacts($0)] } ?? [], base: nil, to: OrgFacts(after))
        self.init(changes, parents: before.map { [$0] } ?? [], result: after)
        var paths = Set<String>()
        let old = before?.snapshot.entries ?? [:]
        for (path, entry) in after.snapshot.entries where old[path].map({ $0.kind != entry.kind || $0.bytes != entry.bytes }) ?? true {
            paths.insert(path)
        }
        for path in old.keys where after.snapshot.entries[path] == nil { paths.insert(path) }
        self.paths = paths.sorted()
    }

    /// What a commit adds beyond what it inherits from its parents: for a merge, only its own changes
    /// (measured against `base`, the merge base), as T4 judges them.
    public init(parents: [OrgState], base: OrgState?, result: OrgState) {
        let changes = OrgFacts.changes(from: parents.map(OrgFacts.init), base: base.map(OrgFacts.init), to: OrgFacts(result))
        self.init(changes, parents: parents, result: result)
    }

    private init(_ fieldChanges: [FieldChange], parents: [OrgState], result: OrgState) {
        createsOrganization = result.snapshot.hasOrganizationFiles && !parents.contains { $0.snapshot.hasOrganizationFiles }
        paths = Array(Set(fieldChanges.map(\.location.path))).sorted()
        changes = ChangeReader(parents: parents, result: result).read(fieldChanges)
    }
}

/// Turns field changes into domain changes.
private struct ChangeReader {
    let before: Organization?
    let after: Organization
    /// Workspaces deleted by this transition: their keys, assignments and usage go with them (R10).
    let deletedNow: Set<String>

    init(parents: [OrgState], result: OrgState) {
        before = parents.first?.organization
        after = result.organization
        deletedNow = Set(after.workspaces.filter { workspace in
            workspace.isDeleted && parents.contains { $0.organization.workspace(workspace.id).map { !$0.isDeleted } == true }
        }.map(\.id))
    }

    func read(_ fieldChanges: [FieldChange]) -> [OrgChange] {
        var events: [OrgChange] = []
        var others: [OrgChange] = []
        var usage: [String: [UsageRecord]] = [:]
        let records = Dictionary(after.usage.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let created = Set(fieldChanges.compactMap { change -> String? in
            if case .workspace(let id, "file") = change.subject, change.isAddition { return id }
            return nil
        })
        let addedMembers = Set(fieldChanges.compactMap { change -> String? in
            if case .member(let id, "file") = change.subject, change.isAddition { return id }
            return nil
        })
        for change in fieldChanges {
            switch change.subject {
            case .event(let id):
                if let event = change.newValue?.base as? LedgerEvent {
                    if change.isAddition { events.append(self.event(event)) }
                } else if let event = change.oldValue?.base as? LedgerEvent {
                    var dropped = OrgChange(.eventDropped, "dropped ledger event '\(id)' (\(event.kind.name), \(event.at))",
                                            workspaces: Self.workspaces(of: event), at: change.location, fields: ["event": .string(id)])
                    dropped.event = event
                    events.append(dropped)
                }
            case .usage(let id):
                if let record = records[id], change.isAddition {
                    usage[record.workspace, default: []].append(record)
                } else if change.isRemoval, let values = change.oldValue?.base as? [String], let workspace = values.first, !deletedNow.contains(workspace) {
                    others.append(OrgChange(.file, "removed usage record '\(id)' of '\(workspace)'", workspaces: [workspace], at: change.location))
                }
            case .workspace(let id, let field):
                if let item = workspaceChange(id, field, change, created: created.contains(id)) { others.append(item) }
            case .member(let id, let field):
                if let item = memberChange(id, field, change, added: addedMembers.contains(id)) { others.append(item) }
            case .providerKey(let id):
                others.append(providerKeyChange(id, change))
            case .policy:
                others.append(OrgChange(.policyChanged, "changed the org policy (approval rules or signed commits)", at: change.location))
            case .org(let field):
                let old = (change.oldValue?.base).map { "\($0)" }, new = (change.newValue?.base).map { "\($0)" }
                if change.isAddition, before == nil || before?.config == nil {
                    if field == "name", let new { others.append(OrgChange(.orgChanged, "created the organization '\(new)'", at: change.location)) }
                } else {
                    others.append(OrgChange(.orgChanged, "changed the organization's \(field) from '\(old ?? "")' to '\(new ?? "")'", at: change.location,
                                            fields: ["field": .string(field), "from": old.map(JSONValue.string) ?? .null, "to": new.map(JSONValue.string) ?? .null]))
                }
            case .file(let path):
                let verb = change.isAddition ? "added" : change.isRemoval ? "removed" : "changed"
                others.append(OrgChange(.file, "\(verb) \(path)", at: change.location, fields: ["path": .string(path), "change": .string(verb)]))
            }
        }
        events = Self.pairRestamps(events)
        events.sort { ($0.event?.at ?? Timestamp(seconds: 0), $0.event?.id ?? "") < ($1.event?.at ?? Timestamp(seconds: 0), $1.event?.id ?? "") }
        for (workspace, spent) in usage.sorted(by: { $0.key < $1.key }) { others.append(usageChange(workspace, spent)) }
        return events + others
    }

    // MARK: Ledger

    /// An event dropped and one added with the same maker and content is one event given a new id and time
    /// by a sync (S3): one change, not two.
    private static func pairRestamps(_ events: [OrgChange]) -> [OrgChange] {
        var events = events
        for (index, dropped) in events.enumerated() where dropped.kind == .eventDropped {
            guard let old = dropped.event,
                  let match = events.firstIndex(where: { $0.kind != .eventDropped && $0.kind != .eventRestamped && $0.event?.by == old.by && $0.event?.kind == old.kind }),
                  let new = events[match].event else { continue }
            var restamped = events[match]
            restamped.kind = .eventRestamped
            restamped.by = nil
            restamped.summary = "re-stamped \(old.by)'s \(old.kind.name) '\(old.id)' (\(old.at)) as '\(new.id)' (\(new.at)), to replay after what was published: \(restamped.summary)"
            restamped.fields["restampedFrom"] = .string(old.id)
            events[match] = restamped
            events[index].kind = .eventRestamped // marked for removal below
            events[index].event = nil
        }
        return events.filter { !($0.kind == .eventRestamped && $0.event == nil) }
    }

    private static func workspaces(of event: LedgerEvent) -> [String] {
        if case .transfer(let transfer) = event.kind { return [transfer.from, transfer.to] }
        return []
    }

    private func event(_ event: LedgerEvent) -> OrgChange {
        var fields: [String: JSONValue] = ["event": .string(event.id), "at": .string(event.at.description), "by": .string(event.by)]
        var change: OrgChange
        switch event.kind {
        case .topup(let credits, let reference):
            let primary = after.primary?.id ?? "the Primary"
            fields["credits"] = .credits(credits)
            fields["reference"] = reference.map(JSONValue.string) ?? .null
            change = OrgChange(.topup, "added \(credits.amount) to the Primary '\(primary)'" + (reference.map { " (\($0))" } ?? ""),
                               workspaces: after.primary.map { [$0.id] } ?? [], at: event.source.file, fields: fields)
        case .transfer(let transfer):
            var text = "moved \(transfer.credits.amount) from '\(transfer.from)' to '\(transfer.to)'"
            switch transfer.reason {
            case .deletion?: text += ", the balance of deleted '\(transfer.from)' (R10)"
            case .modeSwitch?: text += ", returned on the switch to shared mode (R9)"
            case nil: break
            }
            if let memo = transfer.memo { text += ": \(memo)" }
            fields["from"] = .string(transfer.from)
            fields["to"] = .string(transfer.to)
            fields["credits"] = .credits(transfer.credits)
            fields["memo"] = transfer.memo.map(JSONValue.string) ?? .null
            fields["reason"] = transfer.reason.map { .string($0.rawValue) } ?? .null
            change = OrgChange(.transfer, text, workspaces: [transfer.from, transfer.to], at: event.source.file, fields: fields)
        case .mode(let mode):
            fields["mode"] = .string(mode.rawValue)
            change = OrgChange(.mode, "switched the organization to \(mode.rawValue) mode", at: event.source.file, fields: fields)
        }
        change.by = event.by
        change.at = event.at
        change.event = event
        return change
    }

    private func usageChange(_ workspace: String, _ records: [UsageRecord]) -> OrgChange {
        let total = (try? records.map(\.credits).sum()) ?? .max
        var byTool: [Tool: Credits] = [:]
        for record in records { byTool[record.tool] = (try? (byTool[record.tool] ?? .zero).adding(record.credits)) ?? .max }
        let tools = Tool.allCases.compactMap { tool in byTool[tool].map { "\(tool.rawValue) \($0.formatted)" } }
        let members = Set(records.map(\.member)).sorted()
        var change = OrgChange(.usage, "spent \(total.amount) in \(records.count) usage record\(records.count == 1 ? "" : "s") on '\(workspace)' (\(tools.joined(separator: ", ")))",
                               workspaces: [workspace], at: records.map(\.location).min() ?? SourceLocation(path: "usage/\(workspace)"),
                               fields: ["workspace": .string(workspace), "records": .int(records.count), "credits": .credits(total),
                                        "byTool": .object(Dictionary(uniqueKeysWithValues: byTool.map { ($0.key.rawValue, JSONValue.credits($0.value)) })),
                                        "members": .array(members.map(JSONValue.string))])
        change.at = records.map(\.at).max()
        return change
    }

    // MARK: Workspaces

    private func workspaceChange(_ id: String, _ field: String, _ change: FieldChange, created: Bool) -> OrgChange? {
        let workspace = after.workspace(id)
        let location = change.location
        let fields: [String: JSONValue] = ["workspace": .string(id)]
        switch field {
        case "file":
            guard change.isAddition, let workspace else { return nil }
            return OrgChange(.workspaceCreated, "created workspace '\(id)' (\(workspace.name))" + (workspace.isPrimary ? " as the Primary" : ""),
                             workspaces: [id], at: location, fields: fields.merging(["name": .string(workspace.name)]) { a, _ in a })
        case "name":
            guard !created, let old = change.oldValue?.base as? String, let new = change.newValue?.base as? String else { return nil }
            return OrgChange(.workspaceRenamed, "renamed workspace '\(id)' from '\(old)' to '\(new)'", workspaces: [id], at: location,
                             fields: fields.merging(["from": .string(old), "to": .string(new)]) { a, _ in a })
        case "deleted":
            guard let tombstone = change.newValue?.base as? Workspace.Tombstone else { return nil }
            var item = OrgChange(.workspaceDeleted, "deleted workspace '\(id)', which had consumed \(tombstone.consumed.amount)", workspaces: [id], at: location,
                                 fields: fields.merging(["consumed": .credits(tombstone.consumed), "at": .string(tombstone.at.description), "by": .string(tombstone.by)]) { a, _ in a })
            item.by = tombstone.by
            item.at = tombstone.at
            return item
        case "primary":
            guard !created else { return nil }
            return OrgChange(.workspaceChanged, change.isAddition ? "made '\(id)' the Primary Workspace" : "'\(id)' stopped being the Primary Workspace",
                             workspaces: [id], at: location, fields: fields)
        case "limits":
            guard !created || change.newValue != nil, !deletedNow.contains(id) else { return nil }
            return OrgChange(.workspaceChanged, (change.isRemoval ? "removed the limits of" : change.isAddition ? "set limits on" : "changed the limits of") + " workspace '\(id)'",
                             workspaces: [id], at: location, fields: fields.merging(["field": .string("limits")]) { a, _ in a })
        case "providers.disabled":
            guard !deletedNow.contains(id) else { return nil }
            let disabled = (change.newValue?.base as? [String]) ?? []
            return OrgChange(.providerDisabled, disabled.isEmpty ? "enabled every provider key for '\(id)'"
                                : "'\(id)' may no longer use provider keys \(disabled.map { "'\($0)'" }.joined(separator: ", "))",
                             workspaces: [id], at: location, fields: fields.merging(["disabled": .array(disabled.map(JSONValue.string))]) { a, _ in a })
        default:
            break
        }
        if field.hasPrefix("settings.") {
            guard !created || change.newValue != nil, !deletedNow.contains(id) else { return nil }
            let key = String(field.dropFirst(9))
            let verb = change.isAddition ? "set" : change.isRemoval ? "removed" : "changed"
            return OrgChange(.workspaceChanged, "\(verb) setting '\(key)' of workspace '\(id)'", workspaces: [id], at: location,
                             fields: fields.merging(["field": .string(field)]) { a, _ in a })
        }
        if field.hasPrefix("providers.pin.") {
            guard !deletedNow.contains(id) else { return nil }
            let provider = String(field.dropFirst(14))
            let key = change.newValue?.base as? String
            return OrgChange(.providerPinned, key.map { "pinned '\(id)' to provider key '\($0)' for \(provider)" } ?? "unpinned \(provider) for '\(id)'",
                             workspaces: [id], at: location,
                             fields: fields.merging(["provider": .string(provider), "key": key.map(JSONValue.string) ?? .null]) { a, _ in a })
        }
        if field.hasPrefix("members[") {
            guard !deletedNow.contains(id) else { return nil }
            let old = change.oldValue?.base as? Workspace.Assignment, new = change.newValue?.base as? Workspace.Assignment
            guard let member = (new ?? old)?.member else { return nil }
            var data = fields
            data["member"] = .string(member)
            data["from"] = old.map { .string($0.role.rawValue) } ?? .null
            data["to"] = new.map { .string($0.role.rawValue) } ?? .null
            switch (old, new) {
            case (nil, let new?):
                return OrgChange(.accessGranted, "gave '\(member)' \(new.role.rawValue) access to '\(id)'", workspaces: [id], at: location, fields: data)
            case (let old?, nil):
                return OrgChange(.accessRevoked, "removed '\(member)' from '\(id)' (was \(old.role.rawValue))", workspaces: [id], at: location, fields: data)
            case (let old?, let new?):
                let text = old.role != new.role ? "made '\(member)' \(new.role.rawValue) of '\(id)' (was \(old.role.rawValue))" : "changed the limits of '\(member)' in '\(id)'"
                return OrgChange(.accessChanged, text, workspaces: [id], at: location, fields: data)
            case (nil, nil):
                return nil
            }
        }
        if field.hasPrefix("keys[") {
            guard !deletedNow.contains(id) else { return nil }
            let old = change.oldValue?.base as? APIKey, new = change.newValue?.base as? APIKey
            guard let key = new ?? old else { return nil }
            var data = fields
            data["key"] = .string(key.id)
            data["name"] = .string(key.name)
            data["prefix"] = .string(key.prefix)
            var item: OrgChange
            if old == nil {
                item = OrgChange(.keyCreated, "created API key '\(key.id)' (\(key.name), \(key.prefix)…) for '\(id)'", workspaces: [id], at: location, fields: data)
                item.by = key.createdBy
                item.at = key.createdAt
            } else if new == nil {
                item = OrgChange(.keyRemoved, "removed API key '\(key.id)' of '\(id)'", workspaces: [id], at: location, fields: data)
            } else if old?.revokedAt == nil, let revoked = new?.revokedAt {
                item = OrgChange(.keyRevoked, "revoked API key '\(key.id)' (\(key.name)) of '\(id)'", workspaces: [id], at: location, fields: data)
                item.at = revoked
            } else {
                item = OrgChange(.keyChanged, "changed API key '\(key.id)' (\(key.name)) of '\(id)'", workspaces: [id], at: location, fields: data)
            }
            return item
        }
        return nil
    }

    // MARK: Members

    private func memberChange(_ id: String, _ field: String, _ change: FieldChange, added: Bool) -> OrgChange? {
        let member = after.member(id) ?? before?.member(id)
        let location = change.location
        var fields: [String: JSONValue] = ["member": .string(id)]
        let wasOwner = before?.member(id)?.role == .owner
        var item: OrgChange
        switch field {
        case "file":
            guard change.isAddition, let member else { return nil }
            fields["email"] = .string(member.email)
            fields["role"] = .string(member.role.rawValue)
            item = OrgChange(.memberAdded, "added member '\(id)' (\(member.email)) as \(member.role.rawValue)", at: location, fields: fields)
            item.changesOwners = member.role == .owner
        case "removed":
            if let removal = change.newValue?.base as? Member.Removal {
                item = OrgChange(.memberRemoved, "removed member '\(id)'" + (member.map { " (\($0.email))" } ?? ""), at: location, fields: fields)
                item.by = removal.by
                item.at = removal.at
            } else {
                item = OrgChange(.memberAdded, "brought back member '\(id)'" + (member.map { " as \($0.role.rawValue)" } ?? ""), at: location, fields: fields)
            }
            item.changesOwners = member?.role == .owner || wasOwner
        case "role":
            guard !added, let old = change.oldValue?.base as? String, let new = change.newValue?.base as? String else { return nil }
            fields["from"] = .string(old)
            fields["to"] = .string(new)
            item = OrgChange(.memberRole, "changed the role of '\(id)' from \(old) to \(new)", at: location, fields: fields)
            item.changesOwners = old == OrgRole.owner.rawValue || new == OrgRole.owner.rawValue
        default:
            guard !added else { return nil }
            let what = field == "github" ? "GitHub handle" : field == "signingKeys" ? "signing keys" : field
            var text = "changed the \(what) of '\(id)'"
            if field == "email" || field == "name" || field == "github" {
                let old = (change.oldValue?.base as? String).map { "'\($0)'" } ?? "none"
                let new = (change.newValue?.base as? String).map { "'\($0)'" } ?? "none"
                text += " from \(old) to \(new)"
            }
            fields["field"] = .string(field)
            item = OrgChange(.memberChanged, text, at: location, fields: fields)
            // Who an owner is follows the email (T4) and, for approvals, the GitHub handle: changing either
            // hands the role to someone else.
            item.changesOwners = ["email", "github", "signingKeys"].contains(field) && (wasOwner || member?.role == .owner)
        }
        if field != "name" {
            item.approverRoles = Array(Set([before?.member(id)?.role, after.member(id)?.role].compactMap { $0 })).sorted()
        }
        return item
    }

    // MARK: Provider keys

    private func providerKeyChange(_ id: String, _ change: FieldChange) -> OrgChange {
        let old = change.oldValue?.base as? [String], new = change.newValue?.base as? [String]
        func describe(_ values: [String]) -> String {
            values.count == 3 ? "\(values[0]), \(values[1])\(values[2].isEmpty ? "" : ", default")" : ""
        }
        let fields: [String: JSONValue] = ["key": .string(id), "provider": (new ?? old).flatMap(\.first).map(JSONValue.string) ?? .null]
        if old == nil { return OrgChange(.providerAdded, "added provider key '\(id)' (\(describe(new ?? [])))", at: change.location, fields: fields) }
        if new == nil { return OrgChange(.providerRemoved, "removed provider key '\(id)'", at: change.location, fields: fields) }
        return OrgChange(.providerChanged, "changed provider key '\(id)' from (\(describe(old ?? []))) to (\(describe(new ?? [])))", at: change.location, fields: fields)
    }
}
