/// One change an admin makes to the organization (SPEC §9): each write command of the CLI is one operation.
///
/// `plan(on:by:at:)` turns an operation into an `Edit`: the canonical files it writes and removes. It checks
/// only what it needs to build the files (the entities it names exist, an id is free); every rule of the
/// result (balances, modes, roles, uniqueness, rights) is checked by validating the edited state and its
/// transition, in one place, as any commit is.
public enum AdminOperation: Hashable, Sendable {
    case createWorkspace(id: String, name: String)
    case renameWorkspace(id: String, name: String)
    /// Deletes a workspace per R10: refund, tombstone, keys and usage files removed, consumption recorded.
    case deleteWorkspace(id: String)
    /// Adds a member, assigned to `workspaces`, or to the Primary as `member` when that is empty (R3).
    case addMember(id: String, email: String, name: String?, role: OrgRole, workspaces: [WorkspaceAssignment])
    /// Marks a member removed and ends their workspace assignments; the file stays, so history resolves.
    case removeMember(id: String)
    case setRole(member: String, role: OrgRole)
    /// Assigns a member to a workspace, or changes their role there.
    case assign(member: String, workspace: String, role: WorkspaceRole)
    case unassign(member: String, workspace: String)
    case topup(credits: Credits, reference: String?)
    case transfer(from: String, to: String, credits: Credits, memo: String?)
    /// Switches the credit mode; to shared, with the return transfers of R9.
    case setMode(CreditMode)
    /// Creates a workspace API key (R15). `id` defaults to one made from the name.
    case createKey(workspace: String, name: String, id: String?, expiresAt: Timestamp?)
    case revokeKey(id: String)
    case addProvider(id: String, provider: String, secretRef: String, isDefault: Bool)
    /// Pins a provider key for its provider in a workspace (R14).
    case pinProvider(workspace: String, key: String)
    /// Stops a workspace from using a provider key (R14).
    case disableProvider(workspace: String, key: String)
    /// Appends usage records (U1, U2) to `writer`'s usage files, one per workspace and day (F6); the
    /// acting member's id names them when `writer` is nil.
    case recordUsage(records: [UsageRecord], writer: String?, source: UsageSource)

    /// Where usage records come from, which decides how they are charged.
    public enum UsageSource: Hashable, Sendable {
        /// `orgsync usage record`: a charge made now, refused when blocked (`ChargePolicy.live`).
        case record
        /// `orgsync usage import`: usage that already happened (`ChargePolicy.recorded`).
        case `import`
        /// A gateway's flush of the charges it made in memory, each already checked (`ChargePolicy.recorded`).
        case gateway

        var policy: ChargePolicy { self == .record ? .live : .recorded }
    }

    /// A member's assignment requested by `member add --workspace WS[:ROLE]`.
    public struct WorkspaceAssignment: Hashable, Sendable {
        public var workspace: String
        public var role: WorkspaceRole
        public init(workspace: String, role: WorkspaceRole) {
            self.workspace = workspace
            self.role = role
        }
    }

    /// The command that makes the operation, for messages: `orgsync workspace create`.
    public var command: String {
        if case .recordUsage(_, _, .gateway) = self { return "the gateway's flush" }
        return "orgsync " + name.split(separator: "-").joined(separator: " ")
    }

    /// The operation's name, as in the CLI and the `Orgsync-Operation` commit trailer: `transfer`, `workspace-create`.
    public var name: String {
        switch self {
        case .createWorkspace: return "workspace-create"
        case .renameWorkspace: return "workspace-rename"
        case .deleteWorkspace: return "workspace-delete"
        case .addMember: return "member-add"
        case .removeMember: return "member-remove"
        case .setRole: return "member-role"
        case .assign: return "member-assign"
        case .unassign: return "member-unassign"
        case .topup: return "topup"
        case .transfer: return "transfer"
        case .setMode: return "mode"
        case .createKey: return "key-create"
        case .revokeKey: return "key-revoke"
        case .addProvider: return "provider-add"
        case .pinProvider: return "provider-pin"
        case .disableProvider: return "provider-disable"
        case .recordUsage(_, _, .import): return "usage-import"
        case .recordUsage(_, _, .gateway): return "usage-flush"
        case .recordUsage: return "usage-record"
        }
    }
}

/// What an operation changes: the files it writes and removes, and what it made.
public struct Edit: Sendable {
    public var operation: AdminOperation
    /// One line for people and the commit's subject: "Transfer 500 credits from primary to research".
    public var summary: String
    /// Organization path → the file's new canonical bytes.
    public var writes: [String: [UInt8]] = [:]
    /// Organization paths the edit deletes.
    public var removals: Set<String> = []
    /// The ids of the ledger events the edit adds, in replay order.
    public var events: [String] = []
    /// Side effects worth saying, such as a default provider key moving to the new key.
    public var notes: [String] = []
    /// The secret of a new API key: shown once to the person who made it, never written anywhere.
    public var secret: SecretText?

    init(_ operation: AdminOperation, summary: String) {
        self.operation = operation
        self.summary = summary
    }

    /// The state after the edit.
    public func applied(to snapshot: Snapshot) -> Snapshot {
        var result = snapshot
        for path in removals { result.entries[path] = nil }
        for (path, bytes) in writes { result.entries[path] = Snapshot.Entry(bytes: bytes) }
        return result
    }

    /// The commit message: the summary, the notes, and the `Orgsync-Operation` and `Orgsync-Event` trailers.
    public var commitMessage: String {
        // Names are free text: a line break in one must not end the subject or forge a trailer.
        func oneLine(_ text: String) -> String { String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 }) }
        var message = oneLine(summary) + "\n\n"
        if !notes.isEmpty { message += notes.map { "- \(oneLine($0))" }.joined(separator: "\n") + "\n\n" }
        message += "Orgsync-Operation: \(operation.name)\n"
        for event in events { message += "Orgsync-Event: \(event)\n" }
        return message
    }
}

/// Why an operation cannot be built, and what to do instead.
public struct OperationRefusal: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Whether a charge was blocked by a balance or a cap (R8, U4), rather than refused as wrong.
    public var isBlocked = false
    public init(_ message: String, isBlocked: Bool = false) {
        self.message = message
        self.isBlocked = isBlocked
    }
    public var description: String { message }
}

extension AdminOperation {
    /// The edit this operation makes to `state`, by `actor`, at `now`.
    public func plan(on state: OrgState, by actor: Member, at now: Timestamp) throws(OperationRefusal) -> Edit {
        var planner = Planner(state: state, actor: actor, now: now)
        return try planner.plan(self)
    }
}

private struct Planner {
    let state: OrgState
    let actor: Member
    let now: Timestamp
    var ids = ULIDGenerator()
    var org: Organization { state.organization }

    init(state: OrgState, actor: Member, now: Timestamp) {
        self.state = state
        self.actor = actor
        self.now = now
        // Events and records at the same time replay by id: new ones go after those already there.
        for event in state.organization.events where event.at == now { ids.resume(after: event.id) }
        for record in state.organization.usage where record.at == now { ids.resume(after: record.id) }
    }

    mutating func plan(_ operation: AdminOperation) throws(OperationRefusal) -> Edit {
        switch operation {
        case .createWorkspace(let id, let name):
            try requireID(id, what: "workspace id")
            try requireName(name, what: "workspace")
            try requireReadable("workspaces", id)
            if let existing = org.workspace(id) {
                if let tombstone = existing.deleted {
                    throw OperationRefusal("workspace '\(id)' was deleted at \(tombstone.at), and ids are never reused (R2); choose another id")
                }
                throw OperationRefusal("workspace '\(id)' already exists (\(existing.name)); choose another id, or rename it with 'orgsync workspace rename \(id) --name NAME'")
            }
            var edit = Edit(operation, summary: "Create workspace '\(id)' (\(name))")
            write(Workspace(id: id, name: name).yaml, to: Workspace.path(for: id), in: &edit)
            return edit

        case .renameWorkspace(let id, let name):
            var workspace = try liveWorkspace(id)
            try requireName(name, what: "workspace")
            guard workspace.name != name else { throw OperationRefusal("workspace '\(id)' is already named '\(name)'") }
            var edit = Edit(operation, summary: "Rename workspace '\(id)' from '\(workspace.name)' to '\(name)'")
            workspace.name = name
            write(workspace, in: &edit)
            return edit

        case .deleteWorkspace(let id):
            return try deleteWorkspace(id, operation)

        case .addMember(let id, let email, let name, let role, let requested):
            try requireID(id, what: "member id")
            try requireReadable("members", id)
            if let existing = org.member(id) {
                throw OperationRefusal(existing.isActive
                    ? "member '\(id)' already exists (\(existing.email)); choose another id"
                    : "member '\(id)' was removed at \(existing.removed?.at.description ?? ""), and member ids are not reused; choose another id")
            }
            if let name { try requireName(name, what: "member") }
            let member = Member(id: id, email: email, name: name, role: role)
            var edit = Edit(operation, summary: "Add member '\(id)' (\(email)) as \(role.rawValue)")
            write(member.yaml, to: Member.path(for: id), in: &edit)
            let assignments = requested.isEmpty ? [AdminOperation.WorkspaceAssignment(workspace: try primary().id, role: .member)] : requested
            var assigned: [String: Workspace] = [:]
            for assignment in assignments {
                var workspace: Workspace
                if let edited = assigned[assignment.workspace] { workspace = edited } else { workspace = try liveWorkspace(assignment.workspace) }
                workspace.members.append(.init(member: id, role: assignment.role))
                assigned[workspace.id] = workspace
            }
            for workspace in assigned.values { write(workspace, in: &edit) }
            edit.notes.append("assigned to " + assignments.map { "'\($0.workspace)' as \($0.role.rawValue)" }.joined(separator: ", "))
            return edit

        case .removeMember(let id):
            var member = try activeMember(id)
            try keepAnOwner(member, what: "removed")
            var edit = Edit(operation, summary: "Remove member '\(id)' (\(member.email))")
            member.removed = Member.Removal(at: now, by: actor.id)
            write(member, in: &edit)
            for var workspace in org.workspaces where !workspace.isDeleted && workspace.members.contains(where: { $0.member == id }) {
                workspace.members.removeAll { $0.member == id }
                write(workspace, in: &edit)
                edit.notes.append("unassigned from '\(workspace.id)'")
            }
            return edit

        case .setRole(let id, let role):
            var member = try activeMember(id)
            guard member.role != role else { throw OperationRefusal("member '\(id)' is already \(role.rawValue)") }
            try keepAnOwner(member, what: "made \(role.rawValue)")
            var edit = Edit(operation, summary: "Change the role of '\(id)' from \(member.role.rawValue) to \(role.rawValue)")
            member.role = role
            write(member, in: &edit)
            return edit

        case .assign(let memberID, let workspaceID, let role):
            _ = try activeMember(memberID)
            var workspace = try liveWorkspace(workspaceID)
            let summary: String
            if let index = workspace.members.firstIndex(where: { $0.member == memberID }) {
                let current = workspace.members[index].role
                guard current != role else { throw OperationRefusal("'\(memberID)' is already \(role.rawValue) of workspace '\(workspaceID)'") }
                workspace.members[index].role = role
                summary = "Make '\(memberID)' \(role.rawValue) of workspace '\(workspaceID)' (was \(current.rawValue))"
            } else {
                workspace.members.append(.init(member: memberID, role: role))
                summary = "Assign '\(memberID)' to workspace '\(workspaceID)' as \(role.rawValue)"
            }
            var edit = Edit(operation, summary: summary)
            write(workspace, in: &edit)
            return edit

        case .unassign(let memberID, let workspaceID):
            var workspace = try liveWorkspace(workspaceID)
            guard workspace.members.contains(where: { $0.member == memberID }) else {
                throw OperationRefusal("'\(memberID)' is not assigned to workspace '\(workspaceID)'\(Suggestion.hint(memberID, workspace.members.map(\.member)))")
            }
            workspace.members.removeAll { $0.member == memberID }
            var edit = Edit(operation, summary: "Unassign '\(memberID)' from workspace '\(workspaceID)'")
            write(workspace, in: &edit)
            return edit

        case .topup(let credits, let reference):
            var edit = Edit(operation, summary: "Top up \(credits.formatted) credits" + (reference.map { " (\($0))" } ?? ""))
            add(.topup(credits: credits, reference: reference), to: &edit)
            return edit

        case .transfer(let from, let to, let credits, let memo):
            var edit = Edit(operation, summary: "Transfer \(credits.formatted) credits from '\(from)' to '\(to)'")
            add(.transfer(Transfer(from: from, to: to, credits: credits, memo: memo)), to: &edit)
            return edit

        case .setMode(let mode):
            let replay = try replayed()
            guard replay.mode != mode else { throw OperationRefusal("the organization is already in \(mode) mode") }
            var edit = Edit(operation, summary: "Switch to \(mode) mode")
            if mode == .shared {
                // R9: every non-primary balance returns to the Primary, in the same commit, before the switch.
                for (workspace, balance) in replay.balances.sorted(by: { $0.key < $1.key }) where workspace != replay.primary && balance.isPositive {
                    add(.transfer(Transfer(from: workspace, to: replay.primary, credits: balance, reason: .modeSwitch)), to: &edit)
                    edit.notes.append("returns \(balance.formatted) credits from '\(workspace)' to '\(replay.primary)'")
                }
            }
            add(.mode(mode), to: &edit)
            return edit

        case .createKey(let workspaceID, let name, let requestedID, let expiresAt):
            var workspace = try liveWorkspace(workspaceID)
            try requireName(name, what: "API key")
            let existing = Set(org.workspaces.flatMap { $0.keys.map(\.id) })
            let id: String
            if let requestedID {
                try requireID(requestedID, what: "API key id")
                guard !existing.contains(requestedID) else { throw OperationRefusal("API key id '\(requestedID)' is already used; choose another --id") }
                id = requestedID
            } else {
                id = Self.freeID(base: IdentifierKind.slug(from: name), taken: existing)
            }
            if let expiresAt, expiresAt <= now {
                throw OperationRefusal("--expires \(expiresAt) is not in the future")
            }
            let secret = APIKeySecret.generate()
            workspace.keys.append(APIKey(id: id, name: name, prefix: APIKeySecret.prefix(of: secret), hash: APIKeySecret.hash(of: secret),
                                         createdBy: actor.id, createdAt: now, expiresAt: expiresAt))
            var edit = Edit(operation, summary: "Create API key '\(id)' (\(name)) for workspace '\(workspaceID)'")
            write(workspace, in: &edit)
            edit.secret = SecretText(secret)
            return edit

        case .revokeKey(let id):
            guard var workspace = org.workspaces.first(where: { !$0.isDeleted && $0.keys.contains { $0.id == id } }),
                  let index = workspace.keys.firstIndex(where: { $0.id == id }) else {
                let all = org.workspaces.flatMap { $0.keys.map(\.id) }
                throw OperationRefusal("no API key '\(id)'\(Suggestion.hint(id, all)); list them with 'orgsync key list'")
            }
            if let revoked = workspace.keys[index].revokedAt, revoked <= now {
                throw OperationRefusal("API key '\(id)' was already revoked at \(revoked)")
            }
            workspace.keys[index].revokedAt = now
            var edit = Edit(operation, summary: "Revoke API key '\(id)' of workspace '\(workspace.id)'")
            write(workspace, in: &edit)
            return edit

        case .addProvider(let id, let provider, let secretRef, let isDefault):
            try requireID(id, what: "provider key id")
            try requireID(provider, what: "provider name")
            guard !org.providerKeys.contains(where: { $0.id == id }) else {
                throw OperationRefusal("provider key '\(id)' already exists; choose another id")
            }
            var keys = org.providerKeys
            var edit = Edit(operation, summary: "Add provider key '\(id)' for \(provider)" + (isDefault ? " as its default" : ""))
            if isDefault, let index = keys.firstIndex(where: { $0.provider == provider && $0.isDefault }) {
                keys[index].isDefault = false
                edit.notes.append("'\(id)' replaces '\(keys[index].id)' as the default key for \(provider)")
            }
            keys.append(ProviderKey(id: id, provider: provider, secretRef: secretRef, isDefault: isDefault))
            let path = state.snapshot.entries["providers.json"] != nil ? "providers.json" : ProviderKey.path
            write(ProviderKey.yaml(keys), to: path, in: &edit)
            return edit

        case .pinProvider(let workspaceID, let keyID):
            var workspace = try liveWorkspace(workspaceID)
            let key = try providerKey(keyID)
            guard workspace.providers.pin[key.provider] != keyID else {
                throw OperationRefusal("'\(keyID)' is already pinned for \(key.provider) in workspace '\(workspaceID)'")
            }
            var edit = Edit(operation, summary: "Pin provider key '\(keyID)' for \(key.provider) in workspace '\(workspaceID)'")
            if let previous = workspace.providers.pin[key.provider] { edit.notes.append("replaces the pin of '\(previous)'") }
            if workspace.providers.disabled.contains(keyID) {
                workspace.providers.disabled.removeAll { $0 == keyID }
                edit.notes.append("'\(keyID)' was disabled in '\(workspaceID)' and is enabled again")
            }
            workspace.providers.pin[key.provider] = keyID
            write(workspace, in: &edit)
            return edit

        case .disableProvider(let workspaceID, let keyID):
            var workspace = try liveWorkspace(workspaceID)
            let key = try providerKey(keyID)
            guard !workspace.providers.disabled.contains(keyID) else {
                throw OperationRefusal("'\(keyID)' is already disabled in workspace '\(workspaceID)'")
            }
            var edit = Edit(operation, summary: "Disable provider key '\(keyID)' in workspace '\(workspaceID)'")
            if workspace.providers.pin[key.provider] == keyID {
                workspace.providers.pin[key.provider] = nil
                edit.notes.append("'\(keyID)' was pinned for \(key.provider) in '\(workspaceID)' and is unpinned")
            }
            workspace.providers.disabled.append(keyID)
            write(workspace, in: &edit)
            return edit

        case .recordUsage(let records, let writer, let source):
            return try recordUsage(records, writer: writer, source: source, operation)
        }
    }

    // MARK: U1, U2

    private func recordUsage(_ records: [UsageRecord], writer: String?, source: AdminOperation.UsageSource,
                             _ operation: AdminOperation) throws(OperationRefusal) -> Edit {
        let writer = writer ?? actor.id
        guard IdentifierKind.slug.matches(writer) else {
            throw OperationRefusal("writer '\(writer)' is not valid: use \(IdentifierKind.slug.pattern); it names the usage files this writer appends to (F6)")
        }
        guard !records.isEmpty else { throw OperationRefusal("there are no usage records to record") }
        guard var book = ChargeBook(org, replay: try replayed()) else {
            throw OperationRefusal("the ledger does not replay, so balances are unknown; fix it first (orgsync validate --rev HEAD)")
        }
        // Charged in replay order, so each one sees the balance the ones before it left.
        let ordered = records.sorted { $0.at != $1.at ? $0.at < $1.at : $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        var lines: [String: [String]] = [:]
        var alerts: [CapStatus] = []
        var total = Credits.zero
        for record in ordered {
            do throws(ChargeError) {
                alerts += try book.charge(record, policy: source.policy).alerts
            } catch {
                if case .blocked = error { throw OperationRefusal(error.description, isBlocked: true) }
                // An imported record says where it was read, so a refusal names the line of the file to fix.
                let place = source == .import ? "\(record.location): " : ""
                throw OperationRefusal(records.count == 1 && place.isEmpty ? error.description : "\(place)usage record '\(record.id)': \(error.description)")
            }
            do throws(CreditsError) {
                total = try total.adding(record.credits)
            } catch {
                throw OperationRefusal("the records total more credits than the ledger can hold: \(error)")
            }
            let (year, month, day) = record.at.date
            let path = UsageFilePath(workspace: record.workspace, year: year, month: month, day: day, writer: writer).path
            lines[path, default: []].append(record.jsonLine)
        }
        let workspaces = Set(records.map(\.workspace))
        let verb = source == .import ? "Import" : "Record"
        let summary: String
        if let record = records.first, records.count == 1 {
            summary = "\(verb) \(record.credits.amount) of \(record.tool.rawValue) by '\(record.member)' in '\(record.workspace)'"
        } else {
            let place = workspaces.count == 1 ? "'\(workspaces.first ?? "")'" : "\(workspaces.count) workspaces"
            summary = "\(verb) \(records.count) usage records (\(total.amount)) in \(place)"
        }
        var edit = Edit(operation, summary: summary)
        for (path, added) in lines {
            var bytes = state.snapshot.entries[path]?.bytes ?? []
            if let last = bytes.last, last != 0x0A { bytes.append(0x0A) }
            for line in added { bytes += Array(line.utf8) + [0x0A] }
            edit.writes[path] = bytes
        }
        for alert in alerts {
            let level = alert.state == .reached ? "cap reached" : "alert"
            edit.notes.append("\(level): \(alert.scope) used \(alert.used.formatted) of its \(alert.period.rawValue) cap of \(alert.cap.formatted) (\(alert.percent)%) for \(alert.label)")
        }
        return edit
    }

    // MARK: R10

    private mutating func deleteWorkspace(_ id: String, _ operation: AdminOperation) throws(OperationRefusal) -> Edit {
        let workspace = try liveWorkspace(id)
        guard !workspace.isPrimary else {
            throw OperationRefusal("'\(id)' is the Primary Workspace, which cannot be deleted (R3)")
        }
        let replay = try replayed()
        let balance = replay.balances[id] ?? .zero
        var edit = Edit(operation, summary: "Delete workspace '\(id)' (\(workspace.name))")
        if balance.isPositive {
            add(.transfer(Transfer(from: id, to: replay.primary, credits: balance, reason: .deletion)), to: &edit)
            edit.notes.append("returns its balance of \(balance.formatted) credits to '\(replay.primary)'")
        }
        let consumed = replay.consumedByWorkspace[id] ?? .zero
        let tombstone = Workspace.Tombstone(at: now, by: actor.id, consumed: consumed,
                                            chargedToPrimary: replay.chargedToPrimaryByWorkspace[id] ?? .zero)
        write(Workspace(id: id, name: workspace.name, deleted: tombstone).yaml, to: workspace.source.path, in: &edit)
        edit.notes.append("its tombstone records \(consumed.formatted) credits consumed")
        if !workspace.keys.isEmpty { edit.notes.append("removes \(workspace.keys.count == 1 ? "1 API key" : "\(workspace.keys.count) API keys")") }
        let usage = state.snapshot.entries.keys.filter { $0.hasPrefix("usage/\(id)/") }
        if !usage.isEmpty {
            edit.removals.formUnion(usage)
            edit.notes.append("removes \(usage.count == 1 ? "1 usage file" : "\(usage.count) usage files")")
        }
        return edit
    }

    // MARK: Building blocks

    private mutating func add(_ kind: LedgerEvent.Kind, to edit: inout Edit) {
        let event = LedgerEvent(id: ids.next(at: now), at: now, by: actor.id, kind: kind)
        edit.writes[event.source.path] = Array(CanonicalYAML.render(event.yaml).utf8)
        edit.events.append(event.id)
    }

    /// Writes `node` in the format of the file at `path` (`.yaml` or `.json`).
    private func write(_ node: YAMLNode, to path: String, in edit: inout Edit) {
        edit.writes[path] = Array(CanonicalYAML.render(node, as: FileFormat(path: path) ?? .yaml).utf8)
    }

    private func write(_ workspace: Workspace, in edit: inout Edit) { write(workspace.yaml, to: workspace.source.path, in: &edit) }
    private func write(_ member: Member, in edit: inout Edit) { write(member.yaml, to: member.source.path, in: &edit) }

    private func replayed() throws(OperationRefusal) -> LedgerReplay {
        guard let replay = state.report.replay, replay.failure == nil else {
            throw OperationRefusal("the ledger does not replay, so balances are unknown; fix it first (orgsync validate --rev HEAD)")
        }
        return replay
    }

    private func primary() throws(OperationRefusal) -> Workspace {
        guard let primary = org.primary else { throw OperationRefusal("the organization has no Primary Workspace; fix it first (orgsync validate --rev HEAD)") }
        return primary
    }

    private func requireID(_ id: String, what: String) throws(OperationRefusal) {
        guard IdentifierKind.slug.matches(id) else { throw OperationRefusal("\(what) '\(id)' is not valid: use \(IdentifierKind.slug.pattern)") }
    }

    /// Refuses an id whose file exists but cannot be read: writing it anew would replace that file.
    private func requireReadable(_ folder: String, _ id: String) throws(OperationRefusal) {
        guard org.isUnreadable(folder, id) else { return }
        throw OperationRefusal("\(folder)/\(id) exists but cannot be read; fix it first (orgsync validate --rev HEAD)")
    }

    private func requireName(_ name: String, what: String) throws(OperationRefusal) {
        guard !name.allSatisfy(\.isWhitespace) else { throw OperationRefusal("the \(what) needs a name: pass --name") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw OperationRefusal("the \(what) name contains a line break or another control character; use one line of text")
        }
    }


    private func liveWorkspace(_ id: String) throws(OperationRefusal) -> Workspace {
        guard let workspace = org.workspace(id) else {
            throw OperationRefusal("no workspace '\(id)'\(Suggestion.hint(id, org.workspaces.filter { !$0.isDeleted }.map(\.id))); list them with 'orgsync workspace list'")
        }
        if let tombstone = workspace.deleted { throw OperationRefusal("workspace '\(id)' was deleted at \(tombstone.at)") }
        return workspace
    }

    private func activeMember(_ id: String) throws(OperationRefusal) -> Member {
        guard let member = org.member(id) else {
            throw OperationRefusal("no member '\(id)'\(Suggestion.hint(id, org.members.filter(\.isActive).map(\.id))); list them with 'orgsync member list'")
        }
        if let removal = member.removed { throw OperationRefusal("member '\(id)' was removed at \(removal.at)") }
        return member
    }

    /// Refuses to take the owner role from the organization's last active owner (R11).
    private func keepAnOwner(_ member: Member, what: String) throws(OperationRefusal) {
        guard member.role == .owner, !org.members.contains(where: { $0.isActive && $0.role == .owner && $0.id != member.id }) else { return }
        throw OperationRefusal("'\(member.id)' is the organization's last owner and cannot be \(what): the organization always keeps an owner (R11); make another member owner first (orgsync member role ID owner)")
    }

    private func providerKey(_ id: String) throws(OperationRefusal) -> ProviderKey {
        guard let key = org.providerKeys.first(where: { $0.id == id }) else {
            throw OperationRefusal("no provider key '\(id)' in providers.yaml\(Suggestion.hint(id, org.providerKeys.map(\.id))); add it with 'orgsync provider add'")
        }
        return key
    }

    /// `base`, or `base-2`, `base-3`… when taken.
    static func freeID(base: String, taken: Set<String>) -> String {
        let base = base.isEmpty ? "key" : base
        guard taken.contains(base) else { return base }
        var number = 2
        while true {
            let suffix = "-\(number)"
            let candidate = String(base.prefix(63 - suffix.count)) + suffix
            if !taken.contains(candidate) { return candidate }
            number += 1
        }
    }
}
