import OrgModel
import OrgSync

/// Text and JSON renderings of the engine's results.
enum Render {
    static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }

    static func counts(_ org: Organization) -> JSONValue {
        .object([
            "workspaces": .int(org.workspaces.filter { !$0.isDeleted }.count),
            "deletedWorkspaces": .int(org.workspaces.filter(\.isDeleted).count),
            "members": .int(org.members.filter(\.isActive).count),
            "events": .int(org.events.count),
            "usageRecords": .int(org.usage.count),
        ])
    }

    // MARK: Commits

    /// One block per commit: `commit 1a2b3c4 Summary (author): valid`, then its diagnostics indented.
    static func text(_ verdicts: [CommitVerdict], color: Bool) -> String {
        var out = ""
        for verdict in verdicts {
            out += text(verdict, color: color)
        }
        return out
    }

    static func text(_ verdict: CommitVerdict, color: Bool) -> String {
        let commit = verdict.commit
        let status = verdict.isValid ? Terminal.green("valid", color: color) : Terminal.red("invalid", color: color)
        var out = "commit \(commit.id.hex.prefix(10)) \(commit.summary) (\(commit.author.email)): \(status)\n"
        for line in DiagnosticRenderer.text(verdict.diagnostics, color: color).split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            out += "  \(line)\n"
        }
        return out
    }

    static func json(_ verdict: CommitVerdict) -> JSONValue {
        .object([
            "commit": .string(verdict.commit.id.hex),
            "summary": .string(verdict.commit.summary),
            "author": .string(verdict.commit.author.email),
            "valid": .bool(verdict.isValid),
            "diagnostics": DiagnosticRenderer.jsonValue(verdict.diagnostics),
        ])
    }

    // MARK: Balances

    static func text(_ sheet: BalanceSheet) -> String {
        let replay = sheet.replay
        var out = Terminal.bold("\(sheet.organizationName) (\(sheet.organizationID))") + " — \(sheet.mode) mode\n\n"
        var table = TextTable(headers: ["WORKSPACE", "NAME", "BALANCE", "CONSUMED"], alignments: [.left, .left, .right, .right])
        for row in sheet.rows {
            table.rows.append([row.id + (row.isPrimary ? " *" : ""), row.name, row.balance.formatted, row.consumed.formatted])
        }
        out += table.rendered(indent: "  ")
        out += "\n  * Primary Workspace. Its balance is derived (R6):\n"
        out += "    \(replay.totalAdded.formatted) added − \(replay.primaryTransferredOut.formatted) transferred out"
        out += " + \(replay.primaryTransferredIn.formatted) transferred in − \(replay.primaryCharged.formatted) usage"
        out += " = \(replay.primaryBalance.formatted)\n\n"
        let deleted = replay.consumedByWorkspace.filter { id, _ in !sheet.rows.contains { $0.id == id } }
        let deletedTotal = (try? deleted.values.sum()) ?? .zero
        out += "  Totals: \(replay.totalAdded.formatted) added, \(replay.totalTransferred.formatted) transferred, "
        out += "\(replay.totalConsumed.formatted) consumed"
        out += deleted.isEmpty ? "\n" : " (\(deletedTotal.formatted) by deleted workspaces)\n"
        return out
    }

    static func json(_ sheet: BalanceSheet) -> JSONValue {
        let replay = sheet.replay
        return .object([
            "organization": .object(["id": .string(sheet.organizationID), "name": .string(sheet.organizationName)]),
            "mode": .string(sheet.mode.rawValue),
            "primary": .string(replay.primary),
            "workspaces": .array(sheet.rows.map { row in
                .object([
                    "id": .string(row.id),
                    "name": .string(row.name),
                    "primary": .bool(row.isPrimary),
                    "balance": .credits(row.balance),
                    "consumed": .credits(row.consumed),
                ])
            }),
            "primaryDerivation": .object([
                "added": .credits(replay.totalAdded),
                "transferredOut": .credits(replay.primaryTransferredOut),
                "transferredIn": .credits(replay.primaryTransferredIn),
                "usage": .credits(replay.primaryCharged),
                "balance": .credits(replay.primaryBalance),
            ]),
            "totals": .object([
                "added": .credits(replay.totalAdded),
                "transferred": .credits(replay.totalTransferred),
                "consumed": .credits(replay.totalConsumed),
            ]),
            "consumedByTool": .object(Dictionary(uniqueKeysWithValues: replay.consumedByTool.map { ($0.key.rawValue, JSONValue.credits($0.value)) })),
        ])
    }

    // MARK: Caps

    static func scope(_ scope: CapScope) -> String {
        switch scope {
        case .workspace(let id): return id
        case .member(let member, let workspace): return "\(workspace) · \(member)"
        }
    }

    static func state(_ cap: CapStatus) -> String {
        switch cap.state {
        case .ok: return ""
        case .alert: return "alert (≥ \(cap.alertAt ?? 100)%)"
        case .reached: return "reached: charges refused"
        }
    }

    /// The caps table of `balances`: each cap in the period containing `now`.
    static func text(_ caps: [CapStatus], at now: Timestamp) -> String {
        var table = TextTable(headers: ["CAP", "PERIOD", "USED", "CAP", "%", ""], alignments: [.left, .left, .right, .right, .right, .left])
        for cap in caps {
            table.rows.append([scope(cap.scope), "\(cap.period.rawValue) \(cap.label)", cap.used.formatted, cap.cap.formatted, "\(cap.percent)%", state(cap)])
        }
        return "  Spending caps (U4), in the UTC periods containing \(now):\n" + table.rendered(indent: "  ")
    }

    static func json(_ cap: CapStatus) -> JSONValue {
        var scope: [String: JSONValue] = ["workspace": .string(cap.scope.workspace)]
        if case .member(let member, _) = cap.scope { scope["member"] = .string(member) }
        return .object([
            "scope": .object(scope),
            "period": .string(cap.period.rawValue),
            "label": .string(cap.label),
            "cap": .credits(cap.cap),
            "used": .credits(cap.used),
            "remaining": .credits(cap.remaining),
            "percent": .int(cap.percent),
            "alertAt": cap.alertAt.map { .int($0) } ?? .null,
            "state": .string(cap.state.rawValue),
        ])
    }

    // MARK: Status

    static func text(_ status: OrgStatus) -> String {
        var lines: [(String, String)] = []
        lines.append(("Organization", "\(status.name) (\(status.id)), schema \(status.schema)"))
        if let location = status.location, let revision = location.revision {
            lines.append(("Repository", "revision \(revision)" + (location.head.map { " (\($0.prefix(7)))" } ?? "")))
        } else if let location = status.location {
            lines.append(("Repository", "branch \(location.branch)" + (location.head.map { " at \($0.prefix(7))" } ?? ", no commits yet")))
        } else {
            lines.append(("Repository", "not a git repository"))
        }
        lines.append(("Mode", status.mode?.rawValue ?? "unknown (the ledger does not replay)"))
        if let primary = status.primary {
            lines.append(("Primary", primary + (status.primaryBalance.map { ", \($0.formatted) credits" } ?? "")))
        }
        lines.append(("Workspaces", "\(status.liveWorkspaces) live" + (status.deletedWorkspaces > 0 ? ", \(status.deletedWorkspaces) deleted" : "")))
        let roles = OrgRole.allCases.compactMap { role in status.membersByRole[role].map { "\($0) \(role.rawValue)" } }.joined(separator: ", ")
        let active = status.membersByRole.values.reduce(0, +)
        lines.append(("Members", "\(active) active (\(roles))" + (status.removedMembers > 0 ? ", \(status.removedMembers) removed" : "")))
        var keys = plural(status.apiKeys, "API key")
        let inactive = [status.revokedKeys > 0 ? "\(status.revokedKeys) revoked" : nil, status.expiredKeys > 0 ? "\(status.expiredKeys) expired" : nil].compactMap { $0 }
        if !inactive.isEmpty { keys += " (\(inactive.joined(separator: ", ")))" }
        lines.append(("Keys", keys + ", " + plural(status.providerKeys, "provider key")))
        lines.append(("Ledger", "\(plural(status.events, "event")), \(plural(status.usageRecords, "usage record"))"))
        if !status.caps.isEmpty {
            let flagged = status.caps.filter { $0.state != .ok }
            lines.append(("Caps", plural(status.caps.count, "cap") + (flagged.isEmpty ? ", none at its alert threshold" : "; " + flagged.map { cap in
                "\(scope(cap.scope)) \(cap.period.rawValue) \(cap.used.formatted) of \(cap.cap.formatted) (\(cap.percent)%\(cap.state == .reached ? ", reached" : ""))"
            }.joined(separator: ", "))))
        }
        let validity: String
        if status.errors == 0 {
            validity = Terminal.green("valid") + (status.warnings > 0 ? ", \(plural(status.warnings, "warning"))" : "")
        } else {
            validity = Terminal.red("invalid") + ": \(plural(status.errors, "error"))" + (status.warnings > 0 ? ", \(plural(status.warnings, "warning"))" : "")
                + " (run orgsync validate\(status.location?.revision.map { " --rev \($0)" } ?? ""))"
        }
        lines.append(("Validation", validity))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n") + "\n"
    }

    static func json(_ status: OrgStatus) -> JSONValue {
        var fields: [String: JSONValue] = [
            "organization": .object(["id": .string(status.id), "name": .string(status.name), "schema": .int(status.schema)]),
            "mode": status.mode.map { .string($0.rawValue) } ?? .null,
            "primary": status.primary.map { .string($0) } ?? .null,
            "primaryBalance": status.primaryBalance.map { .credits($0) } ?? .null,
            "workspaces": .object(["live": .int(status.liveWorkspaces), "deleted": .int(status.deletedWorkspaces)]),
            "members": .object(Dictionary(uniqueKeysWithValues: OrgRole.allCases.map { ($0.rawValue, JSONValue.int(status.membersByRole[$0] ?? 0)) })
                .merging(["removed": .int(status.removedMembers)]) { a, _ in a }),
            "apiKeys": .object(["total": .int(status.apiKeys), "revoked": .int(status.revokedKeys), "expired": .int(status.expiredKeys)]),
            "providerKeys": .int(status.providerKeys),
            "events": .int(status.events),
            "usageRecords": .int(status.usageRecords),
            "valid": .bool(status.errors == 0),
            "errors": .int(status.errors),
            "warnings": .int(status.warnings),
            "caps": .array(status.caps.map(json)),
        ]
        fields["repository"] = status.location.map { location in
            var repository: [String: JSONValue] = ["head": location.head.map { .string($0) } ?? .null]
            if let revision = location.revision { repository["revision"] = .string(revision) } else { repository["branch"] = .string(location.branch) }
            return .object(repository)
        } ?? .null
        return .object(fields)
    }

    // MARK: Demo

    /// The program as the user invoked it, so suggested commands can be pasted as they are.
    static var program: String {
        let invoked = CommandLine.arguments.first ?? "orgsync"
        return invoked.contains("/") ? invoked : "orgsync"
    }

    static func demo(_ result: OrgSync.Demo.Result) -> String {
        let org = result.report.organization
        let name = org.config?.name ?? "the sample"
        var out = Terminal.bold("orgsync demo: \(name), the sample organization of samples/acme") + "\n\n"
        out += "1. Copied \(result.fileCount) files into \(result.directory)\n"
        out += "   and committed them as \(result.author) (\(result.commit.hex.prefix(7))).\n\n"
        out += "2. Validated commit \(result.commit.hex.prefix(7)) from git objects against every rule:\n"
        out += "   \(plural(org.workspaces.filter { !$0.isDeleted }.count, "live workspace")) and \(org.workspaces.filter(\.isDeleted).count) deleted, "
        out += "\(org.members.count) members, \(org.events.count) ledger events, \(org.usage.count) usage records.\n"
        if result.report.diagnostics.isEmpty {
            out += "   " + Terminal.green("valid") + ": no errors, no warnings.\n\n"
        } else {
            out += DiagnosticRenderer.text(result.report.diagnostics, color: Terminal.colorsOut)
                .split(separator: "\n").map { "   " + $0 }.joined(separator: "\n") + "\n\n"
        }
        if let sheet = result.sheet {
            out += "3. Replayed the ledger in (at, id) order into balances:\n\n"
            out += text(sheet).split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "   " + $0 }.joined(separator: "\n")
        }
        if let story = result.offline { out += offline(story) }
        if let story = result.sync { out += sync(story) }
        if let reason = result.syncSkipped { out += "\n5. Skipped the offline-then-sync story: \(reason)\n" }
        out += "\nExplore it:\n"
        out += "  \(program) status   --repo \(result.directory)\n"
        out += "  \(program) balances --repo \(result.directory) --format json\n"
        out += "  \(program) validate --repo \(result.directory) --rev HEAD\n"
        if let story = result.offline {
            out += "  git -C \(result.directory) log --graph --oneline -6    # the two offline branches and their merge \(story.commit.hex.prefix(7))\n"
        }
        if let story = result.sync {
            out += "  \(program) sync --repo \(story.clone)    # \(story.admin.admin)'s clone of \(story.remote)\n"
        }
        return out
    }

    /// Step 5 of the demo: two clones of a remote, offline work, and `orgsync sync`.
    static func sync(_ story: OrgSync.Demo.SyncStory) -> String {
        func head(_ outcome: SyncOutcome) -> String { outcome.head.map { String($0.hex.prefix(7)) } ?? "?" }
        var out = "\n5. The same admins in two clones of a remote, offline, then 'orgsync sync':\n"
        out += "   Published the repository to \(story.remote), whose pre-receive hook checks every push:\n"
        out += "     \(story.owner.admin): pushed \(plural(story.published.published, "commit")).\n"
        out += "   \(story.admin.admin) cloned it into \(story.clone) ('orgsync clone'). Then, offline:\n"
        for line in story.admin.did { out += "     \(story.admin.admin): \(line)\n" }
        for line in story.owner.did { out += "     \(story.owner.admin), a minute later: \(line)\n" }
        out += "   \(story.owner.admin) syncs first: pushed \(plural(story.ownerSync.published, "commit")).\n"
        out += "   \(story.admin.admin) syncs: fetched \(story.owner.admin)'s transfer and merged it"
        if let merge = story.adminSync.merges.last, !merge.restamped.isEmpty {
            out += "; his own transfer was made earlier, so sync\n   re-stamped it to replay after the published one (the merge commit records it, his commit is untouched):\n"
            for change in merge.restamped { out += "     \(change.event) → \(change.newEvent), at \(change.at)\n" }
        } else {
            out += ".\n"
        }
        out += "     pushed \(plural(story.adminSync.published, "commit")), each checked by the server's hook.\n"
        out += "   \(story.owner.admin) syncs again: \(story.catchUp.result == .fastForwarded ? "a fast-forward" : "\(story.catchUp.result)").\n"
        out += "   Both clones and the remote are at \(story.head.hex.prefix(7)): one organization, "
        out += story.valid ? Terminal.green("valid", color: Terminal.colorsOut) + ", with everything both did.\n" : "which does not validate.\n"
        return out
    }

    /// Step 4 of the demo: two admins offline, and the semantic merge of their work.
    static func offline(_ story: OrgSync.Demo.OfflineStory) -> String {
        func indented(_ text: String, _ prefix: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : prefix + $0 }.joined(separator: "\n")
        }
        var out = "\n4. Two admins edited the organization offline, each on their own branch:\n"
        for side in [story.ours, story.theirs] {
            out += "   \(side.admin) (\(side.branch)):\n"
            for line in side.did { out += "     - \(line)\n" }
        }
        out += "\n   Both changed \(story.file). "
        out += story.lineMergeConflicts ? "git's line merge conflicts on it (both added a member at the same place);\n" : "git's line merge takes it;\n"
        out += "   orgsync merges it field by field, members by id, with 0 conflicts:\n\n"
        out += indented(story.merged.split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { !$0.hasPrefix("providers:") }).joined(separator: "\n"), "     ") + "\n"
        out += "     ...\n\n"
        out += "   Each transfer fits alone; together they overdraw. That is a violation, not a conflict:\n"
        if let report = story.outcome.report {
            out += indented(RenderMerge.text(report), "   ")
        }
        out += "\n   Settled by dropping \(story.ours.admin)'s own, unpublished transfer:\n     \(story.settled)\n"
        out += "   and committed the merge \(story.commit.hex.prefix(7)) with 'orgsync merge --continue'.\n"
        if let sheet = story.balances, let row = sheet.rows.first(where: { $0.id == "chat-prod" }) {
            out += "   chat-prod now holds \(row.balance.formatted) credits.\n"
        }
        return out
    }
}
