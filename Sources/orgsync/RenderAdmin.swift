import OrgModel
import OrgSync

/// Text and JSON renderings of admin operations and of the listings.
extension Render {
    // MARK: Operations

    static func text(_ outcome: OperationOutcome) -> String {
        let edit = outcome.edit
        var out = (outcome.commit == nil ? "Dry run: " : "") + edit.summary + "\n"
        for note in edit.notes { out += "  \(note)\n" }
        for path in outcome.added { out += "  + \(path)\n" }
        for path in outcome.changed { out += "  ~ \(path)\n" }
        for path in outcome.removed { out += "  - \(path)\n" }
        out += balances(outcome.balances)
        if !outcome.warnings.isEmpty {
            out += DiagnosticRenderer.text(outcome.warnings, color: Terminal.colorsOut)
        }
        if let secret = edit.secret {
            out += "\n" + Terminal.bold("Secret, shown this once; store it now (orgsync keeps only its hash):") + "\n  \(secret.value)\n\n"
        } else if case .createKey = edit.operation {
            out += "  the secret is made, and shown once, when the key is created for real\n"
        }
        if let commit = outcome.commit {
            out += "Committed \(commit.hex.prefix(7)) as \(outcome.actor.id) (\(outcome.actorEmail)).\n"
        } else {
            out += "Nothing was written (dry run); it would be committed as \(outcome.actor.id) (\(outcome.actorEmail)).\n"
        }
        return out
    }

    /// `  balances: a 0 → 2,000, hq 10,000 → 8,000`, or nothing when no balance changed.
    static func balances(_ changes: [BalanceChange]) -> String {
        guard !changes.isEmpty else { return "" }
        let parts = changes.map { change -> String in
            let before = change.before?.formatted ?? "new", after = change.after?.formatted ?? "deleted"
            return "\(change.workspace) \(before) → \(after)"
        }
        return "  balances: " + parts.joined(separator: ", ") + "\n"
    }

    static func json(_ outcome: OperationOutcome) -> JSONValue {
        var fields: [String: JSONValue] = [
            "operation": .string(outcome.edit.operation.name),
            "summary": .string(outcome.edit.summary),
            "dryRun": .bool(outcome.commit == nil),
            "commit": outcome.commit.map { .string($0.hex) } ?? .null,
            "actor": .object(["id": .string(outcome.actor.id), "email": .string(outcome.actorEmail)]),
            "events": .array(outcome.edit.events.map { .string($0) }),
            "notes": .array(outcome.edit.notes.map { .string($0) }),
            "files": .object([
                "added": .array(outcome.added.map { .string($0) }),
                "changed": .array(outcome.changed.map { .string($0) }),
                "removed": .array(outcome.removed.map { .string($0) }),
            ]),
            "balances": .array(outcome.balances.map { change in
                .object([
                    "workspace": .string(change.workspace),
                    "before": change.before.map { .credits($0) } ?? .null,
                    "after": change.after.map { .credits($0) } ?? .null,
                ])
            }),
            "warnings": DiagnosticRenderer.jsonValue(outcome.warnings),
        ]
        if let secret = outcome.edit.secret { fields["secret"] = .string(secret.value) }
        return .object(fields)
    }

    // MARK: Workspaces

    static func workspaceTable(_ workspaces: [Workspace], _ report: ValidationReport) -> String {
        var table = TextTable(headers: ["WORKSPACE", "NAME", "BALANCE", "CONSUMED", "MEMBERS", "KEYS"],
                              alignments: [.left, .left, .right, .right, .right, .right])
        for workspace in workspaces {
            let id = workspace.id + (workspace.isPrimary ? " *" : "")
            if let tombstone = workspace.deleted {
                table.rows.append([id, "\(workspace.name) (deleted \(tombstone.at.description.prefix(10)))", "-", tombstone.consumed.formatted, "", ""])
            } else {
                table.rows.append([id, workspace.name, balance(workspace, report)?.formatted ?? "?",
                                   (report.replay?.consumedByWorkspace[workspace.id] ?? .zero).formatted,
                                   String(workspace.members.count), String(workspace.keys.count)])
            }
        }
        return table.rendered() + (workspaces.contains(where: \.isPrimary) ? "* Primary Workspace\n" : "")
    }

    static func text(_ workspace: Workspace, _ report: ValidationReport) -> String {
        var out = Terminal.bold("\(workspace.name) (\(workspace.id))") + (workspace.isPrimary ? " — Primary Workspace" : "") + "\n"
        if let tombstone = workspace.deleted {
            out += "  deleted at \(tombstone.at) by \(tombstone.by); consumed \(tombstone.consumed.formatted) credits\n"
            return out
        }
        out += "  balance:   \(balance(workspace, report)?.formatted ?? "unknown (the ledger does not replay)")"
        if let mode = report.replay?.mode, mode == .shared, !workspace.isPrimary { out += " (shared mode: usage is charged to the Primary)" }
        out += "\n  consumed:  \((report.replay?.consumedByWorkspace[workspace.id] ?? .zero).formatted)\n"
        out += "  members:   " + (workspace.members.isEmpty ? "none" : workspace.members.map { "\($0.member) (\($0.role.rawValue))" }.joined(separator: ", ")) + "\n"
        let now = Timestamp.now()
        out += "  API keys:  " + (workspace.keys.isEmpty ? "none" : workspace.keys.map { "\($0.id) \($0.prefix)… \($0.status(at: now).rawValue)" }.joined(separator: ", ")) + "\n"
        let pins = workspace.providers.pin.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
        out += "  providers: " + (pins.isEmpty && workspace.providers.disabled.isEmpty ? "org defaults" :
            (pins + workspace.providers.disabled.map { "\($0) disabled" }).joined(separator: ", ")) + "\n"
        if let limits = workspace.limits { out += "  limits:    \(describe(limits))\n" }
        if !workspace.settings.isEmpty { out += "  settings:  \(workspace.settings.keys.sorted().joined(separator: ", "))\n" }
        return out
    }

    static func json(_ workspace: Workspace, _ report: ValidationReport, detailed: Bool = false) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(workspace.id),
            "name": .string(workspace.name),
            "primary": .bool(workspace.isPrimary),
            "deleted": workspace.deleted.map { .object(["at": .string($0.at.description), "by": .string($0.by), "consumed": .credits($0.consumed)]) } ?? .null,
        ]
        if !workspace.isDeleted {
            fields["balance"] = balance(workspace, report).map { .credits($0) } ?? .null
            fields["consumed"] = .credits(report.replay?.consumedByWorkspace[workspace.id] ?? .zero)
            fields["members"] = .array(workspace.members.map { .object(["member": .string($0.member), "role": .string($0.role.rawValue)]) })
            fields["keys"] = detailed ? .array(workspace.keys.map { json($0, workspace: workspace.id, now: .now()) }) : .int(workspace.keys.count)
        }
        if detailed, !workspace.isDeleted {
            fields["providers"] = .object([
                "pin": .object(workspace.providers.pin.mapValues { .string($0) }),
                "disabled": .array(workspace.providers.disabled.map { .string($0) }),
            ])
            fields["settings"] = DataValue.map(workspace.settings).json
        }
        return .object(fields)
    }

    private static func balance(_ workspace: Workspace, _ report: ValidationReport) -> Credits? {
        guard let replay = report.replay, replay.failure == nil else { return nil }
        return replay.balances[workspace.id] ?? .zero
    }

    private static func describe(_ limits: Limits) -> String {
        var parts: [String] = []
        if let daily = limits.daily { parts.append("\(daily.formatted)/day") }
        if let weekly = limits.weekly { parts.append("\(weekly.formatted)/week") }
        if let monthly = limits.monthly { parts.append("\(monthly.formatted)/month") }
        if let alert = limits.alertAt { parts.append("alert at \(alert)%") }
        return parts.joined(separator: ", ")
    }

    // MARK: Members

    static func memberTable(_ members: [Member], _ org: Organization) -> String {
        var table = TextTable(headers: ["MEMBER", "EMAIL", "NAME", "ROLE", "WORKSPACES"], alignments: [.left, .left, .left, .left, .left])
        for member in members {
            table.rows.append([member.id, member.email, member.name ?? "", member.isActive ? member.role.rawValue : "removed",
                               assignments(of: member, in: org).map { "\($0.0):\($0.1.rawValue)" }.joined(separator: ", ")])
        }
        return table.rendered()
    }

    static func json(_ member: Member, _ org: Organization) -> JSONValue {
        .object([
            "id": .string(member.id),
            "email": .string(member.email),
            "name": member.name.map { .string($0) } ?? .null,
            "role": .string(member.role.rawValue),
            "active": .bool(member.isActive),
            "workspaces": .array(assignments(of: member, in: org).map { .object(["workspace": .string($0.0), "role": .string($0.1.rawValue)]) }),
        ])
    }

    private static func assignments(of member: Member, in org: Organization) -> [(String, WorkspaceRole)] {
        org.workspaces.filter { !$0.isDeleted }.compactMap { workspace in
            workspace.members.first { $0.member == member.id }.map { (workspace.id, $0.role) }
        }
    }

    // MARK: API keys

    static func keyTable(_ keys: [(String, APIKey)], now: Timestamp) -> String {
        var table = TextTable(headers: ["KEY", "WORKSPACE", "NAME", "PREFIX", "CREATED", "BY", "EXPIRES", "STATUS"],
                              alignments: [.left, .left, .left, .left, .left, .left, .left, .left])
        for (workspace, key) in keys {
            table.rows.append([key.id, workspace, key.name, key.prefix + "…", key.createdAt.description, key.createdBy,
                               key.expiresAt?.description ?? "never", key.status(at: now).rawValue])
        }
        return table.rendered()
    }

    static func json(_ key: APIKey, workspace: String, now: Timestamp) -> JSONValue {
        .object([
            "id": .string(key.id),
            "workspace": .string(workspace),
            "name": .string(key.name),
            "prefix": .string(key.prefix),
            "createdBy": .string(key.createdBy),
            "createdAt": .string(key.createdAt.description),
            "expiresAt": key.expiresAt.map { .string($0.description) } ?? .null,
            "revokedAt": key.revokedAt.map { .string($0.description) } ?? .null,
            "status": .string(key.status(at: now).rawValue),
        ])
    }

    static func text(_ verdict: KeyVerdict) -> String {
        switch verdict {
        case .valid(let workspace, let key): return "valid: key '\(key)' of workspace '\(workspace)'\n"
        case .invalid: return "invalid: no workspace has a key with this secret\n"
        case .expired(let workspace, let key, let at): return "expired: key '\(key)' of workspace '\(workspace)' expired at \(at)\n"
        case .revoked(let workspace, let key, let at): return "revoked: key '\(key)' of workspace '\(workspace)' was revoked at \(at)\n"
        }
    }

    static func json(_ verdict: KeyVerdict) -> JSONValue {
        switch verdict {
        case .valid(let workspace, let key):
            return .object(["valid": .bool(true), "status": .string("valid"), "workspace": .string(workspace), "key": .string(key)])
        case .invalid:
            return .object(["valid": .bool(false), "status": .string("invalid"), "workspace": .null, "key": .null])
        case .expired(let workspace, let key, let at):
            return .object(["valid": .bool(false), "status": .string("expired"), "workspace": .string(workspace), "key": .string(key), "at": .string(at.description)])
        case .revoked(let workspace, let key, let at):
            return .object(["valid": .bool(false), "status": .string("revoked"), "workspace": .string(workspace), "key": .string(key), "at": .string(at.description)])
        }
    }
}
