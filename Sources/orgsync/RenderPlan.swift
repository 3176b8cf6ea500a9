import Foundation
import OrgModel
import OrgSync

/// Renderings of plans (text, Markdown for pull requests, JSON), approvals and the semantic log.
enum RenderPlan {
    /// GitHub's limit for a comment is 65,536 characters; a plan stays under this many bytes of UTF-8.
    static let markdownLimit = 65_000

    // MARK: Text

    static func text(_ plan: ChangePlan, color: Bool) -> String {
        var out = Terminal.bold("Plan for \(plan.title)", color: color) + ": " + header(plan) + "\n"
        if let note = movedNote(plan) { out += "Note: \(note).\n" }
        if plan.changes.changes.isEmpty { out += "\nNo change to the organization.\n" }
        for section in OrgChange.Section.allCases {
            let items = plan.changes.changes.filter { $0.kind.section == section }
            let mode = section == .credits ? modeLine(plan) : nil
            guard !items.isEmpty || mode != nil else { continue }
            out += "\n" + Terminal.bold(section.title, color: color) + "\n"
            if let mode { out += "  \(mode)\n" }
            for item in items { out += "  \(sentence(item))\n" }
            if section == .credits, !plan.balances.isEmpty { out += "\n" + balanceTable(plan).rendered(indent: "  ") }
        }
        if plan.changes.changes.allSatisfy({ $0.kind.section != .credits }), modeLine(plan) == nil, !plan.balances.isEmpty,
           plan.balances.contains(where: { $0.delta != .zero }) {
            out += "\n" + Terminal.bold("Balances", color: color) + "\n" + balanceTable(plan).rendered(indent: "  ")
        }
        out += "\n" + Terminal.bold("Violations", color: color) + "\n"
        let invalid = plan.commits.filter { !$0.isValid }
        if plan.violations.isEmpty {
            out += "  none: " + (plan.head == nil ? "the work tree is valid, and so is its change from HEAD" : "every commit is valid") + "\n"
        } else if plan.head == nil {
            out += indent(DiagnosticRenderer.text(plan.workTreeDiagnostics.filter { $0.severity == .error }, color: color), "  ")
        } else {
            out += indent(Render.text(invalid, color: color), "  ")
        }
        out += "\n" + approvalsSection(plan, color: color)
        return out
    }

    /// "2 commits by ana@x, carl@y; base 1a2b3c4, head 5d6e7f8".
    private static func header(_ plan: ChangePlan) -> String {
        let who = plan.authors.joined(separator: ", ")
        let base = plan.base.map { "base \($0.hex.prefix(7))" } ?? "no base"
        if let head = plan.head {
            return "\(Render.plural(plan.commits.count, "commit")) by \(who.isEmpty ? "nobody" : who); \(base), head \(head.hex.prefix(7))"
        }
        return "uncommitted edits by \(who) on \(plan.base.map { "HEAD (\($0.hex.prefix(7)))" } ?? "an empty repository")"
    }

    private static func modeLine(_ plan: ChangePlan) -> String? {
        guard let after = plan.modeAfter, plan.modeBefore != after else { return nil }
        return "mode: \(plan.modeBefore?.rawValue ?? "none") → \(after.rawValue)"
    }

    private static func rulesAt(_ plan: ChangePlan) -> String {
        plan.rulesAt.map { String($0.hex.prefix(7)) } ?? "the change itself"
    }

    /// What a plan of a branch behind its target cannot show.
    private static func movedNote(_ plan: ChangePlan) -> String? {
        guard let target = plan.movedTarget, let base = plan.base else { return nil }
        return "the branch it goes into (\(target.hex.prefix(7))) has moved on since this change left it at \(base.hex.prefix(7)): the balances and violations are of the change alone; merge that branch into it to see them as they will be"
    }

    /// The change with its maker, when the data names one: "carl moved 600 credits from 'a' to 'b'".
    static func sentence(_ change: OrgChange) -> String {
        (change.by.map { $0 + " " } ?? "") + change.summary
    }

    private static func signed(_ amount: Credits?) -> String {
        guard let amount else { return "?" }
        return amount.isPositive ? "+" + amount.formatted : amount.formatted
    }

    private static func balanceTable(_ plan: ChangePlan) -> TextTable {
        var table = TextTable(headers: ["WORKSPACE", "NAME", "BEFORE", "AFTER", "CHANGE"], alignments: [.left, .left, .right, .right, .right])
        for row in plan.balances {
            table.rows.append([row.workspace + (row.isPrimary ? " *" : ""), row.name, before(row), after(row, plan), signed(row.delta)])
        }
        return table
    }

    private static func before(_ row: BalanceChange) -> String {
        row.status == .created ? "new" : row.before?.formatted ?? "?"
    }

    private static func after(_ row: BalanceChange, _ plan: ChangePlan) -> String {
        row.status == .deleted ? "deleted" : row.after?.formatted ?? (plan.replaysAfter ? "?" : "does not replay")
    }

    private static func indent(_ text: String, _ prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : prefix + $0 }.joined(separator: "\n")
    }

    /// The approvals part of a plan.
    private static func approvalsSection(_ plan: ChangePlan, color: Bool) -> String {
        var out = Terminal.bold("Approvals", color: color) + " (policy.approvals at \(rulesAt(plan)))\n"
        if plan.approvals.isEmpty { return out + "  none required: no rule of the policy applies\n" }
        for verdict in plan.approvals { out += rule(verdict, color: color) }
        return out
    }

    private static func rule(_ verdict: ApprovalVerdict, color: Bool) -> String {
        let rule = verdict.rule
        let status = verdict.isMet ? Terminal.green("met", color: color) : Terminal.red("needs \(verdict.missing) more", color: color)
        var out = "  \(rule.name): \(rule.require) from \(Policy.roles(rule.from)); \(status)"
        out += verdict.counted.isEmpty ? "\n" : " (approved by \(verdict.counted.joined(separator: ", ")))\n"
        for reason in verdict.requirement.reasons { out += "    because of \(reason)\n" }
        for ignored in verdict.ignored { out += "    not counted: \(ignored.approver): \(ignored.reason)\n" }
        if !verdict.isMet {
            out += "    can approve: " + (verdict.eligible.isEmpty ? "nobody (no other member has an eligible role)" : verdict.eligible.map(who).joined(separator: ", ")) + "\n"
        }
        return out
    }

    /// "ana (@ana-lopez)", or "farah (farah@acme.example)" for a member without a handle.
    private static func who(_ member: Member) -> String {
        "\(member.id) (\(member.github.map { "@" + $0 } ?? member.email))"
    }

    /// `orgsync approvals check`.
    static func approvalsText(_ plan: ChangePlan, color: Bool) -> String {
        var out = "Approvals for \(plan.title), by the rules of org.yaml at \(rulesAt(plan))"
        out += "; authors: \(plan.authors.isEmpty ? "none" : plan.authors.joined(separator: ", "))\n"
        if plan.approvals.isEmpty { return out + "No rule of the policy applies to this change: no approval is required.\n" }
        for verdict in plan.approvals { out += rule(verdict, color: color) }
        let unmet = plan.unmetApprovals
        if unmet.isEmpty {
            out += Terminal.green("approved", color: color) + ": every rule that applies has its approvals\n"
        } else {
            out += Terminal.red("not approved", color: color) + ": \(unmet.count) of \(Render.plural(plan.approvals.count, "rule")) "
            out += "\(unmet.count == 1 ? "needs" : "need") more approvals (\(unmet.map(\.rule.name).joined(separator: ", ")))\n"
        }
        return out
    }

    // MARK: Markdown

    /// The plan as a pull-request comment, under `markdownLimit` bytes: long lists are cut, shorter and
    /// shorter, until it fits, and say how much they leave out.
    static func markdown(_ plan: ChangePlan) -> String {
        for limit in [nil, 200, 50, 10, 3, 0] as [Int?] {
            let text = markdown(plan, limit: limit)
            if text.utf8.count <= markdownLimit { return text }
        }
        // Unreachable in practice: every list is cut to nothing above. Keep the promise anyway.
        var lines = markdown(plan, limit: 0).split(separator: "\n", omittingEmptySubsequences: false)
        var size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        while size > markdownLimit - 100, let last = lines.popLast() { size -= last.utf8.count + 1 }
        return lines.joined(separator: "\n") + "\n\n_The plan was cut to fit a comment; run `orgsync plan` for all of it._\n"
    }

    static func markdown(_ plan: ChangePlan, limit: Int?) -> String {
        var out = "<!-- orgsync-plan -->\n### orgsync plan for \(code(plan.title))\n\n"
        var facts: [String] = []
        if let head = plan.head {
            facts.append("\(Render.plural(plan.commits.count, "commit")) by " + (plan.authors.isEmpty ? "nobody" : plan.authors.map(code).joined(separator: ", ")))
            facts.append("base " + (plan.base.map { code(String($0.hex.prefix(7))) } ?? "none") + ", head " + code(String(head.hex.prefix(7))))
        } else {
            facts.append("uncommitted edits by " + plan.authors.map(code).joined(separator: ", "))
        }
        let violations = plan.violations.count
        facts.append(violations == 0 ? "**valid**" : "**\(Render.plural(violations, "violation"))**")
        let unmet = plan.unmetApprovals.count
        facts.append(plan.approvals.isEmpty ? "no approval required" : unmet == 0 ? "approvals complete" : "**\(unmet) of \(Render.plural(plan.approvals.count, "approval rule")) unmet**")
        out += facts.joined(separator: " · ") + "\n"
        if let note = movedNote(plan) { out += "\n> **Note:** \(note).\n" }
        if limit != nil { out += "\n> This plan is long, so its lists are cut to fit a comment. `orgsync plan \(plan.title.replacingOccurrences(of: "`", with: ""))` shows all of it.\n" }
        if plan.changes.changes.isEmpty { out += "\nNo change to the organization.\n" }

        func list(_ lines: [String]) -> String {
            let shown = limit.map { Array(lines.prefix($0)) } ?? lines
            var text = shown.map { "- \($0)\n" }.joined()
            if shown.count < lines.count { text += "- _… and \(lines.count - shown.count) more_\n" }
            return text
        }
        for section in OrgChange.Section.allCases {
            let items = plan.changes.changes.filter { $0.kind.section == section }
            let mode = section == .credits ? modeLine(plan) : nil
            guard !items.isEmpty || mode != nil else { continue }
            out += "\n#### \(section.title)\n\n"
            out += list((mode.map { [escape($0)] } ?? []) + items.map { escape(sentence($0)) })
            if section == .credits { out += balancesMarkdown(plan, limit: limit) }
        }
        if plan.changes.changes.allSatisfy({ $0.kind.section != .credits }), modeLine(plan) == nil,
           plan.balances.contains(where: { $0.delta != .zero }) {
            out += "\n#### Balances\n" + balancesMarkdown(plan, limit: limit)
        }
        out += "\n#### Violations\n\n"
        if plan.violations.isEmpty {
            out += "None: " + (plan.head == nil ? "the work tree is valid." : "every commit is valid.") + "\n"
        } else {
            var lines: [String] = []
            for verdict in plan.commits where !verdict.isValid {
                for diagnostic in verdict.diagnostics where diagnostic.severity == .error {
                    lines.append(violation(diagnostic) + " (commit \(code(String(verdict.commit.id.hex.prefix(7)))))")
                }
            }
            lines += plan.workTreeDiagnostics.filter { $0.severity == .error }.map(violation)
            out += list(lines)
        }
        out += "\n#### Approvals\n\n"
        out += "By the rules of `policy.approvals` in `org.yaml` at " + code(rulesAt(plan)) + ".\n\n"
        if plan.approvals.isEmpty {
            out += "None required: no rule applies.\n"
        } else {
            // Unmet rules first when the list is cut: they are what the reviewer must act on.
            let ordered = limit == nil ? plan.approvals : plan.unmetApprovals + plan.approvals.filter(\.isMet)
            let shownRules = limit.map { Array(ordered.prefix(max($0, 3))) } ?? ordered
            for verdict in shownRules {
                let rule = verdict.rule
                let status = verdict.isMet ? "met" : "**needs \(verdict.missing) more**"
                out += "- **\(escape(rule.name))**: \(rule.require) from \(Policy.roles(rule.from)); \(status)"
                out += verdict.counted.isEmpty ? "\n" : " (approved by \(verdict.counted.map(code).joined(separator: ", ")))\n"
                let reasons = verdict.requirement.reasons.map { "because of " + escape($0) }
                let cut = limit.map { Array(reasons.prefix(max($0, 1))) } ?? reasons
                for reason in cut { out += "  - \(reason)\n" }
                if cut.count < reasons.count { out += "  - _… and \(reasons.count - cut.count) more_\n" }
                for ignored in verdict.ignored.prefix(limit ?? Int.max) { out += "  - not counted: \(code(ignored.approver)): \(escape(ignored.reason))\n" }
                if !verdict.isMet {
                    let names = verdict.eligible.map { code($0.github.map { "@" + $0 } ?? $0.id) }
                    let shown = limit.map { Array(names.prefix(max($0, 5))) } ?? names
                    out += "  - can approve: " + (names.isEmpty ? "nobody" : shown.joined(separator: ", ") + (shown.count < names.count ? " and \(names.count - shown.count) more" : "")) + "\n"
                }
            }
            if shownRules.count < ordered.count {
                out += "- _… and \(ordered.count - shownRules.count) more rules; `orgsync approvals check` lists them all_\n"
            }
        }
        return out
    }

    private static func balancesMarkdown(_ plan: ChangePlan, limit: Int?) -> String {
        guard !plan.balances.isEmpty else { return "" }
        var out = "\n| Workspace | Name | Before | After | Change |\n|---|---|---:|---:|---:|\n"
        // The Primary always shows; then the largest moves first when rows are cut.
        let rows = limit == nil ? plan.balances : plan.balances.sorted { a, b in
            if a.isPrimary != b.isPrimary { return a.isPrimary }
            return (a.delta?.units.magnitude ?? 0, b.workspace) > (b.delta?.units.magnitude ?? 0, a.workspace)
        }
        let shown = limit.map { Array(rows.prefix(max($0, 1))) } ?? rows
        for row in shown {
            out += "| \(code(row.workspace))\(row.isPrimary ? " (Primary)" : "") | \(escape(row.name)) | \(before(row)) | \(after(row, plan)) | \(signed(row.delta)) |\n"
        }
        if shown.count < rows.count { out += "\n_… and \(rows.count - shown.count) more workspaces, with smaller changes._\n" }
        return out
    }

    private static func violation(_ diagnostic: Diagnostic) -> String {
        let location = diagnostic.location
        var place = location.path
        if location.line > 0 { place += ":\(location.line):\(location.column)" }
        return "\(code(place)) [\(diagnostic.rule.rawValue)] \(escape(diagnostic.message))"
    }

    /// Inline code, which shows anything as it is; backticks inside are dropped.
    private static func code(_ text: String) -> String { "`" + text.replacingOccurrences(of: "`", with: "'") + "`" }

    /// Text from the repository, made inert in Markdown: no formatting, links, HTML or @-mentions.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "|", "~", "!": out += "\\" + String(character)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "@", "#": out += String(character) + "\u{2060}" // no mention, no issue link
            case "\n", "\r": out += " "
            default: out.append(character)
            }
        }
        // No bare links either: GitHub links https://… and www.… in plain text.
        return out.replacingOccurrences(of: "://", with: ":\u{2060}//").replacingOccurrences(of: "www.", with: "www\u{2060}.", options: .caseInsensitive)
    }

    // MARK: JSON

    static func json(_ plan: ChangePlan) -> JSONValue {
        .object([
            "range": .string(plan.title),
            "base": plan.base.map { .string($0.hex) } ?? .null,
            "head": plan.head.map { .string($0.hex) } ?? .null,
            "rulesAt": plan.rulesAt.map { .string($0.hex) } ?? .null,
            "movedTarget": plan.movedTarget.map { .string($0.hex) } ?? .null,
            "authors": .array(plan.authors.map(JSONValue.string)),
            "commits": .array(plan.commits.map(Render.json)),
            "valid": .bool(plan.violations.isEmpty),
            "violations": DiagnosticRenderer.jsonValue(plan.violations),
            "changes": .array(plan.changes.changes.map(json)),
            "paths": .array(plan.changes.paths.map(JSONValue.string)),
            "mode": .object(["before": plan.modeBefore.map { .string($0.rawValue) } ?? .null,
                             "after": plan.modeAfter.map { .string($0.rawValue) } ?? .null]),
            "balances": .array(plan.balances.map { row in
                .object([
                    "workspace": .string(row.workspace),
                    "name": .string(row.name),
                    "primary": .bool(row.isPrimary),
                    "status": .string(row.status.rawValue),
                    "before": row.before.map { .credits($0) } ?? .null,
                    "after": row.after.map { .credits($0) } ?? .null,
                    "delta": row.delta.map { .credits($0) } ?? .null,
                ])
            }),
            "approvals": .array(plan.approvals.map(json)),
            "approved": .bool(plan.unmetApprovals.isEmpty),
        ])
    }

    static func json(_ verdict: ApprovalVerdict) -> JSONValue {
        .object([
            "rule": .string(verdict.rule.name),
            "require": .int(verdict.rule.require),
            "from": .array(verdict.rule.from.map { .string($0.rawValue) }),
            "reasons": .array(verdict.requirement.reasons.map(JSONValue.string)),
            "approvedBy": .array(verdict.counted.map(JSONValue.string)),
            "ignored": .array(verdict.ignored.map { .object(["approver": .string($0.approver), "reason": .string($0.reason)]) }),
            "eligible": .array(verdict.eligible.map { member in
                .object(["member": .string(member.id), "email": .string(member.email), "github": member.github.map(JSONValue.string) ?? .null])
            }),
            "met": .bool(verdict.isMet),
            "missing": .int(verdict.missing),
        ])
    }

    static func json(_ change: OrgChange) -> JSONValue {
        var fields = change.fields
        fields["kind"] = .string(change.kind.rawValue)
        fields["section"] = .string(change.kind.section.rawValue)
        fields["summary"] = .string(change.summary)
        fields["by"] = change.by.map(JSONValue.string) ?? fields["by"] ?? .null
        fields["at"] = change.at.map { .string($0.description) } ?? fields["at"] ?? .null
        fields["workspaces"] = .array(change.workspaces.map(JSONValue.string))
        fields["path"] = .string(change.location.path)
        return .object(fields)
    }

    // MARK: Log

    static func text(_ entries: [LogEntry], color: Bool) -> String {
        guard !entries.isEmpty else { return "No commit changes the organization here.\n" }
        var out = ""
        for entry in entries {
            let commit = entry.commit
            let who = entry.author.map { "\($0) <\(commit.author.email)>" } ?? "<\(commit.author.email)> (not a member)"
            out += Terminal.bold(String(commit.id.hex.prefix(7)), color: color) + " \(Timestamp(seconds: commit.committer.time)) \(who)"
            out += commit.parents.count > 1 ? " merge: " : ": "
            out += commit.summary.printable + "\n"
            if let created = entry.created, entry.changes.createsOrganization {
                let name = entry.changes.changes.first { $0.kind == .orgChanged }?.summary ?? "created the organization"
                out += "    \(name): \(Render.plural(created.workspaces, "workspace")), \(Render.plural(created.members, "member")), "
                out += "\(Render.plural(created.events, "ledger event")), \(Render.plural(created.usage, "usage record"))\n"
            } else {
                for change in entry.changes.changes { out += "    \(sentence(change))\n" }
            }
        }
        return out
    }

    static func json(_ entry: LogEntry) -> JSONValue {
        var fields: [String: JSONValue] = [
            "commit": .string(entry.commit.id.hex),
            "time": .string(Timestamp(seconds: entry.commit.committer.time).description),
            "author": .object(["email": .string(entry.commit.author.email), "member": entry.author.map(JSONValue.string) ?? .null]),
            "summary": .string(entry.commit.summary),
            "merge": .bool(entry.commit.parents.count > 1),
            "changes": .array(entry.changes.changes.map(json)),
        ]
        if let created = entry.created, entry.changes.createsOrganization {
            fields["created"] = .object(["workspaces": .int(created.workspaces), "members": .int(created.members),
                                         "events": .int(created.events), "usageRecords": .int(created.usage)])
        }
        return .object(fields)
    }
}
