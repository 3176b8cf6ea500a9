import Foundation
import OrgModel

/// One workspace's data alone (R13): its configuration, its usage and its balance history, with nothing
/// of any other workspace, for client billing and confidentiality.
///
/// The export holds, as the repository has them:
/// - `workspaces/<id>.yaml` (or `.json`): the workspace, its assignments, keys (hashes only), caps and settings;
/// - `members/<id>.yaml`: the members that file and its usage name;
/// - `usage/<id>/…`: its usage files.
///
/// And, made from the ledger replay:
/// - `balance-history.csv`: every change to its balance and every usage it made, in replay order. Ledger
///   files are not copied, since a transfer names its other workspace: the history says "another workspace"
///   instead, and leaves out memos and top-up references, which are free text. When the Primary is
///   exported, other workspaces' usage charged to it in shared mode is one line per day, with no names;
/// - `manifest.json`: what was exported, from which revision, with the balance and totals.
public struct WorkspaceExport: Sendable {
    /// Export path → bytes.
    public var files: [String: [UInt8]] = [:]
    public var workspace: String
    public var balance: Credits
    public var consumed: Credits

    /// The export of `workspace` from `state`, read at `revision` (nil for the work tree).
    public init(_ workspace: String, from state: OrgState, revision: String?) throws(OrgSyncError) {
        let org = state.organization
        guard let config = org.config else {
            throw OrgSyncError(.refused, "no organization here: there is no valid org.yaml; run 'orgsync validate' to see why, or pass --repo",
                               diagnostics: state.report.diagnostics.filter { $0.location.path.hasPrefix("org.") || $0.rule == .r(1) })
        }
        guard let entity = org.workspace(workspace) else {
            throw OrgSyncError(.refused, "no workspace '\(workspace)'\(Suggestion.hint(workspace, org.workspaces.map(\.id))); list them with 'orgsync workspace list'")
        }
        // The validation's replay did not trace this workspace: replay once more, recording its history.
        guard let replay = LedgerReplay.run(org, tracing: workspace), replay.failure == nil else {
            throw OrgSyncError(.refused, "the ledger cannot be replayed until these errors are fixed, so there is no balance history to export",
                               diagnostics: state.report.diagnostics.filter { $0.severity == .error })
        }
        self.workspace = workspace
        balance = replay.balances[workspace] ?? .zero
        consumed = replay.consumedByWorkspace[workspace] ?? .zero

        let snapshot = state.snapshot
        files[entity.source.path] = snapshot.entries[entity.source.path]?.bytes ?? Array(CanonicalYAML.render(entity.yaml).utf8)
        var members = Set(entity.members.map(\.member))
        members.formUnion(entity.keys.map(\.createdBy))
        if let tombstone = entity.deleted { members.insert(tombstone.by) }
        var usageRecords = 0
        for (path, entry) in snapshot.entries where path.hasPrefix("usage/\(workspace)/") {
            files[path] = entry.bytes
        }
        for record in org.usage where record.workspace == workspace {
            members.insert(record.member)
            usageRecords += 1
        }
        for id in members.sorted() {
            guard let member = org.member(id), let bytes = snapshot.entries[member.source.path]?.bytes else { continue }
            files[member.source.path] = bytes
        }
        files["balance-history.csv"] = Array(Self.history(replay.history).utf8)

        var fields: [String: JSONValue] = [
            "orgsync": .string("workspace export (R13)"),
            "organization": .object(["id": .string(config.id), "name": .string(config.name)]),
            "workspace": .object(["id": .string(workspace), "name": .string(entity.name), "primary": .bool(entity.isPrimary),
                                  "deleted": .bool(entity.isDeleted)]),
            "revision": revision.map { .string($0) } ?? .string("work tree"),
            "balance": .credits(balance),
            "consumed": .credits(consumed),
            "usageRecords": .int(usageRecords),
            "mode": .string(replay.mode.rawValue),
            "omitted": .array([
                "the other workspace of each transfer, and transfer memos and top-up references (free text)",
                "ledger files, which name other workspaces; balance-history.csv replaces them",
                "other workspaces' usage charged to the Primary in shared mode, except as daily totals",
            ].map { .string($0) }),
        ]
        fields["files"] = .array((files.keys.sorted() + ["manifest.json"]).map { .string($0) })
        files["manifest.json"] = Array((JSONValue.object(fields).rendered() + "\n").utf8)
    }

    /// The balance history as CSV: `at,kind,id,change,balance,member,tool,credits,model,detail`.
    static func history(_ entries: [BalanceEntry]) -> String {
        var out = "at,kind,id,change,balance,member,tool,credits,model,detail\n"
        func row(_ cells: [String]) { out += CSV.line(cells) }
        // Other workspaces' shared-mode usage is one line per UTC day, after the day's own lines, with the
        // balance at the end of that day: neither a record's time nor its amount is given.
        var shared: (day: String, change: Credits, balance: Credits)?
        func flushShared() {
            guard let day = shared else { return }
            row([day.day, BalanceEntry.Kind.sharedUsage.rawValue, "", day.change.description, day.balance.description,
                 "", "", "", "", "usage by other workspaces on \(day.day), charged to the Primary (shared mode)"])
            shared = nil
        }
        for entry in entries {
            let day = CapPeriod.daily.label(of: entry.at)
            if let current = shared, current.day != day { flushShared() }
            if entry.kind == .sharedUsage {
                let change = (try? (shared?.change ?? .zero).adding(entry.change)) ?? entry.change
                shared = (day, change, entry.balance)
                continue
            }
            shared?.balance = entry.balance
            let id = entry.id ?? ""
            let change = entry.change.description, balance = entry.balance.description
            switch entry.kind {
            case .topup:
                row([entry.at.description, entry.kind.rawValue, id, change, balance, "", "", "", "", "credits added to the organization"])
            case .transferIn:
                row([entry.at.description, entry.kind.rawValue, id, change, balance, "", "", "", "", "from another workspace"])
            case .transferOut:
                row([entry.at.description, entry.kind.rawValue, id, change, balance, "", "", "", "", "to another workspace"])
            case .usage:
                let record = entry.usage
                let detail = entry.change.isZero && !(record?.credits.isZero ?? true) ? "charged to the Primary (shared mode)" : ""
                row([entry.at.description, entry.kind.rawValue, id, change, balance, record?.member ?? "", record?.tool.rawValue ?? "",
                     record?.credits.description ?? "", record?.model ?? "", detail])
            case .mode:
                row([entry.at.description, entry.kind.rawValue, id, change, balance, "", "", "", "", "the organization switched to \(entry.mode?.rawValue ?? "") mode"])
            case .deletedUsage:
                row([entry.at.description, entry.kind.rawValue, "", change, balance, "", "", "", "", "usage recorded by the tombstone at deletion"])
            case .sharedUsage:
                break
            }
        }
        flushShared()
        return out
    }

    /// Writes the export into `directory`, which must not exist or be empty: into a temporary folder beside
    /// it first, renamed into place at the end, so a failure leaves nothing half-written.
    public func write(to directory: String) throws(OrgSyncError) {
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: target.path, isDirectory: &isFolder) {
            let contents = (try? manager.contentsOfDirectory(atPath: target.path)) ?? ["?"]
            guard isFolder.boolValue, contents.isEmpty else {
                throw OrgSyncError(.environment, "'\(target.path)' already exists and is not an empty folder; choose a new --output, so nothing is overwritten")
            }
        }
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).orgsync-\(getpid())")
        try? manager.removeItem(at: temporary)
        do throws(OrgSyncError) {
            for (path, bytes) in files { try AtomicFile.write(bytes, to: temporary.path + "/" + path) }
            if manager.fileExists(atPath: target.path) { rmdir(target.path) }
            guard rename(temporary.path, target.path) == 0 else {
                throw OrgSyncError(.environment, "cannot move the export into '\(target.path)': \(String(cString: strerror(errno)))")
            }
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }
}

/// Writing CSV (RFC 4180), for exports and reports.
public enum CSV {
    /// A cell: quoted when it holds a comma, a quote or a line break. A cell that a spreadsheet would run as
    /// a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe, unless it is a number.
    public static func cell(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first), (try? Credits(parsing: text)) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A line of cells, with its line break.
    public static func line(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\n" }
}
