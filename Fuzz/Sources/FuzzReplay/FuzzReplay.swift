import FuzzSupport
import FuzzerMain
import OrgModel

/// Fuzzes the ledger replay (SPEC §1 R4–R10, §3): the input is decoded into a short series of top-ups,
/// transfers, mode changes, usage records and workspace deletions over a small organization, written as
/// the files of a repository and validated. The replay is compared with a reference model of the rules,
/// written here over Int128 without the replay's code, and its result is checked for what the rules imply:
/// credits are conserved, the Primary's balance is derived (R6), and no balance is ever negative.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(Array(UnsafeBufferPointer(start: data, count: size)))
    let scenario = Scenario(&input)
    ReplayTarget.check(scenario)
    return 0
}

// MARK: The scenario

/// The organization: the owner ana and the member bo; the Primary hq and the workspaces a and b. The input
/// may also name a workspace (zz) and a member (zed) that do not exist.
enum Names {
    static let primary = "hq"
    static let workspaces = ["hq", "a", "b"]
    static let members = ["ana", "bo"]
    static let start: Int64 = 1_793_491_200 // 2026-11-01T00:00:00Z
}

/// One step of the ledger, with the place the replay sorts it to: `(at, phase, id)`. A deletion is two
/// steps, as in the replay: its recorded consumption is charged before the events of its instant (phase
/// 0), and it closes after them (phase 2).
struct Step {
    enum Kind {
        case topup(Int128)
        case transfer(from: String, to: String, credits: Int128, reason: String?)
        case mode(String)
        case usage(workspace: String, member: String, tool: Tool, credits: Int128)
        case chargeDeletion(workspace: String, consumed: Int128, charged: Int128)
        case closeDeletion(workspace: String)
    }

    var at: Int64
    var phase: UInt8
    var id: String
    var kind: Kind
    /// The file the step is written in, where the replay reports it.
    var path: String

    var key: (Int64, UInt8, [UInt8]) { (at, phase, Array(id.utf8)) }
    static func precedes(_ lhs: Step, _ rhs: Step) -> Bool {
        if lhs.at != rhs.at { return lhs.at < rhs.at }
        if lhs.phase != rhs.phase { return lhs.phase < rhs.phase }
        return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
    }
}

struct Scenario {
    var steps: [Step] = []
    var deleted: [String: (at: Int64, consumed: Int128, charged: Int128)] = [:]
    /// Whether a step names the workspace zz or the member zed, which the state rules report.
    var namesMissing = false
    private var counter = 0

    init(_ input: inout FuzzInput) {
        var at = Names.start
        while steps.count < 48, !input.isAtEnd {
            let op = input.byte()
            // Many steps share an instant, so that the order of ids matters.
            let gap = input.byte()
            if gap % 3 != 0 { at += Int64(gap) * 60 }
            let order = input.byte()
            switch op % 8 {
            case 0:
                add(.topup(amount(&input, allowZero: false)), at: at, order: order)
            case 1, 2:
                let from = input.pick(Names.workspaces + ["zz"])
                var to = input.pick(Names.workspaces + ["zz"])
                if to == from { to = from == "hq" ? "a" : "hq" }
                let reasonByte = input.byte()
                let reason = reasonByte % 16 == 0 ? "deletion" : reasonByte % 16 == 1 ? "mode-switch" : nil
                add(.transfer(from: from, to: to, credits: amount(&input, allowZero: false), reason: reason), at: at, order: order)
            case 3:
                add(.mode(input.byte() % 3 == 0 ? "shared" : "budget"), at: at, order: order)
            case 4, 5, 6:
                let workspace = input.pick(Names.workspaces + ["a", "zz"])
                let member = input.pick(Names.members + ["bo", "zed"])
                let tool = input.pick(Tool.allCases)
                add(.usage(workspace: workspace, member: member, tool: tool, credits: amount(&input, allowZero: true)), at: at, order: order)
            default:
                let workspace = input.pick(["a", "b"])
                let faithful = input.byte() % 4 != 0
                let consumed = amount(&input, allowZero: true)
                let charged = input.byte() % 2 == 0 ? 0 : amount(&input, allowZero: true)
                delete(workspace, at: at, order: order, faithful: faithful, consumed: consumed, charged: charged)
            }
        }
        for step in steps {
            switch step.kind {
            case .transfer(let from, let to, _, _) where from == "zz" || to == "zz": namesMissing = true
            case .usage(let workspace, let member, _, _) where (workspace == "zz" || member == "zed") && deleted[workspace] == nil:
                // (A deleted workspace's records are not written.)
                namesMissing = true
            default: break
            }
        }
    }

    /// Mostly small amounts, some with fractions, and some near the top of the range, which overflow sums.
    private func amount(_ input: inout FuzzInput, allowZero: Bool) -> Int128 {
        let kind = input.byte()
        let value = Int128(input.uint16())
        switch kind % 8 {
        case 0, 1, 2: return (value % 2000 + (allowZero ? 0 : 1)) * 10_000
        case 3, 4: return value + (allowZero ? 0 : 1)
        case 5: return (value % 50 + 1) * 10_000
        case 6: return Int128(Int64.max) / (value % 4 + 1)
        default: return (value % 100 + (allowZero ? 0 : 1)) * 100
        }
    }

    /// A ULID that sorts by `order` first, then by when it was made, so that steps of one instant replay
    /// in an order the input chooses.
    private mutating func nextID(order: UInt8) -> String {
        counter += 1
        let rank = String(order)
        let serial = String(counter)
        return "01JD" + String(repeating: "0", count: 3 - rank.count) + rank + String(repeating: "0", count: 19 - serial.count) + serial
    }

    private mutating func add(_ kind: Step.Kind, at: Int64, order: UInt8) {
        let id = nextID(order: order)
        let path: String
        switch kind {
        case .usage(let workspace, _, _, _):
            let (year, month, day) = Timestamp(seconds: at).date
            path = UsageFilePath(workspace: workspace, year: year, month: month, day: day, writer: "gw-1").path
        case .chargeDeletion(let workspace, _, _), .closeDeletion(let workspace):
            path = "workspaces/\(workspace).yaml"
        default:
            path = LedgerEvent.path(id: id, at: Timestamp(seconds: at))
        }
        steps.append(Step(at: at, phase: 1, id: id, kind: kind, path: path))
    }

    /// Deletes `workspace` at `at`. A faithful deletion is what `orgsync workspace delete` writes: the
    /// tombstone records what the workspace consumed and what of it the Primary paid (the reference
    /// model's account of the steps so far), and a transfer with reason `deletion` returns its balance. An
    /// unfaithful one records the input's amounts instead. Either way its usage files go.
    private mutating func delete(_ workspace: String, at: Int64, order: UInt8, faithful: Bool, consumed: Int128, charged: Int128) {
        guard deleted[workspace] == nil else { return }
        var recorded = (consumed: consumed, charged: charged)
        if faithful {
            let probe = Step(at: at, phase: 0, id: workspace, kind: .closeDeletion(workspace: workspace), path: "")
            let before = Reference.run(steps.filter { Step.precedes($0, probe) }, deleted: deleted)
            recorded = (before.consumedByWorkspace[workspace] ?? 0, before.chargedToPrimary[workspace] ?? 0)
            let balance = before.balances[workspace] ?? 0
            if balance > 0 {
                add(.transfer(from: workspace, to: Names.primary, credits: balance, reason: "deletion"), at: at, order: 0)
            }
        }
        deleted[workspace] = (at, recorded.consumed, recorded.charged)
        let path = "workspaces/\(workspace).yaml"
        steps.append(Step(at: at, phase: 0, id: workspace, kind: .chargeDeletion(workspace: workspace, consumed: recorded.consumed, charged: recorded.charged), path: path))
        steps.append(Step(at: at, phase: 2, id: workspace, kind: .closeDeletion(workspace: workspace), path: path))
    }

    // MARK: Files

    static func credits(_ units: Int128) -> String { Credits(units: Int64(units)).description }
    static func time(_ seconds: Int64) -> String { Timestamp(seconds: seconds).description }

    var snapshot: Snapshot {
        var files: [String: String] = [
            "org.yaml": "schema: 1\nid: acme\nname: Acme\n",
            "members/ana.yaml": "id: ana\nemail: ana@acme.example\nrole: owner\n",
            "members/bo.yaml": "id: bo\nemail: bo@acme.example\nrole: member\n",
            "workspaces/hq.yaml": "id: hq\nname: HQ\nprimary: true\nmembers:\n  - member: ana\n    role: admin\n",
            "workspaces/a.yaml": "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: member\n",
            "workspaces/b.yaml": "id: b\nname: Team B\n",
        ]
        for (workspace, tombstone) in deleted {
            var text = "id: \(workspace)\nname: Team \(workspace.uppercased())\ndeleted:\n  at: \(Self.time(tombstone.at))\n  by: ana\n"
            text += "  consumed: \(Self.credits(tombstone.consumed))\n"
            if tombstone.charged != 0 { text += "  chargedToPrimary: \(Self.credits(tombstone.charged))\n" }
            files["workspaces/\(workspace).yaml"] = text
        }
        for step in steps {
            let head = "id: \(step.id)\nat: \(Self.time(step.at))\nby: ana\n"
            switch step.kind {
            case .topup(let credits):
                files[step.path] = head + "type: topup\ncredits: \(Self.credits(credits))\n"
            case .transfer(let from, let to, let credits, let reason):
                files[step.path] = head + "type: transfer\nfrom: \(from)\nto: \(to)\ncredits: \(Self.credits(credits))\n" + (reason.map { "reason: \($0)\n" } ?? "")
            case .mode(let mode):
                files[step.path] = head + "type: mode\nmode: \(mode)\n"
            case .usage(let workspace, let member, let tool, let credits):
                // A deleted workspace's usage files are removed with it (R10).
                guard deleted[workspace] == nil else { continue }
                let line = "{\"id\":\"\(step.id)\",\"at\":\"\(Self.time(step.at))\",\"member\":\"\(member)\",\"tool\":\"\(tool.rawValue)\",\"credits\":\(Self.credits(credits))}\n"
                files[step.path, default: ""] += line
            case .chargeDeletion, .closeDeletion:
                break
            }
        }
        return Snapshot(files: files)
    }
}

// MARK: The reference model

/// The rules of SPEC §1 and §3 applied to the steps in `(at, phase, id)` order, over Int128 and with the
/// range of `Credits` checked on every total.
struct Reference {
    var balances: [String: Int128] = [:]
    var mode = "shared"
    var totalAdded: Int128 = 0
    var totalTransferred: Int128 = 0
    var totalConsumed: Int128 = 0
    var consumedByWorkspace: [String: Int128] = [:]
    var consumedByMember: [String: Int128] = [:]
    var consumedByTool: [Tool: Int128] = [:]
    var chargedToPrimary: [String: Int128] = [:]
    var primaryOut: Int128 = 0
    var primaryIn: Int128 = 0
    var primaryCharged: Int128 = 0
    /// The consumption of each deleted workspace that its deletion has yet to charge to it. Its usage files
    /// are gone, so until then its balance is higher by as much as what it spent itself.
    var uncharged: [String: Int128] = [:]
    /// The first step that breaks a rule, and why.
    var failure: (step: Step, why: String)?

    static let largest = Int128(Int64.max)
    struct Broken: Error { let why: String }

    static func total(_ a: Int128, _ b: Int128) throws(Broken) -> Int128 {
        let sum = a + b
        guard sum <= largest, sum >= -largest else { throw Broken(why: "F2: a total leaves the range of credits") }
        return sum
    }

    /// Runs `steps`; `deleted` names the workspaces that have tombstones, whose usage files are gone.
    static func run(_ steps: [Step], deleted: [String: (at: Int64, consumed: Int128, charged: Int128)]) -> Reference {
        var model = Reference()
        for workspace in Names.workspaces { model.balances[workspace] = 0 }
        for (workspace, tombstone) in deleted { model.uncharged[workspace] = tombstone.consumed - min(tombstone.consumed, tombstone.charged) }
        var closed: Set<String> = []
        for step in steps.sorted(by: Step.precedes) {
            do throws(Broken) {
                try model.apply(step, deleted: deleted, closed: &closed)
            } catch {
                model.failure = (step, error.why)
                break
            }
        }
        return model
    }

    mutating func apply(_ step: Step, deleted: [String: (at: Int64, consumed: Int128, charged: Int128)], closed: inout Set<String>) throws(Broken) {
        let primary = Names.primary
        switch step.kind {
        case .topup(let credits):
            // R4: top-ups land in the Primary.
            balances[primary] = try Self.total(balances[primary] ?? 0, credits)
            totalAdded = try Self.total(totalAdded, credits)
        case .transfer(let from, let to, let credits, let reason):
            // R7: both workspaces exist and are not deleted; budget mode only; never more than the source holds.
            for workspace in [from, to] {
                guard Names.workspaces.contains(workspace) else { throw Broken(why: "REF: \(workspace) is not a workspace") }
                guard !closed.contains(workspace) else { throw Broken(why: "R7: \(workspace) is deleted") }
            }
            if reason == "deletion" {
                // R10: the refund of a deleted workspace, to the Primary, at its deletion.
                guard deleted[from]?.at == step.at, to == primary else { throw Broken(why: "R10: a deletion transfer that is not a deletion's refund") }
            }
            guard mode == "budget" else { throw Broken(why: "R7: a transfer in shared mode") }
            let available = balances[from] ?? 0
            guard credits <= available else { throw Broken(why: "R7: a transfer of more than \(from) holds") }
            if from == primary { primaryOut = try Self.total(primaryOut, credits) }
            if to == primary { primaryIn = try Self.total(primaryIn, credits) }
            balances[from] = available - credits
            balances[to] = try Self.total(balances[to] ?? 0, credits)
            totalTransferred = try Self.total(totalTransferred, credits)
        case .mode(let newMode):
            // R9: switching to shared mode needs every non-primary balance returned first (beyond what a
            // workspace deleted later spent from it, which its deletion charges).
            if newMode == "shared", mode == "budget" {
                guard balances.allSatisfy({ $0.key == primary || $0.value <= uncharged[$0.key] ?? 0 }) else {
                    throw Broken(why: "R9: a switch to shared with funded workspaces")
                }
            }
            mode = newMode
        case .usage(let workspace, let member, let tool, let credits):
            // Records of unknown workspaces or members are the state rules' to report; a deleted workspace's
            // records are gone with its usage files, and its tombstone accounts for them.
            guard Names.workspaces.contains(workspace), Names.members.contains(member), deleted[workspace] == nil else { return }
            // R5, R8: the Primary pays in shared mode, the workspace in budget mode; never below zero.
            let payer = mode == "budget" ? workspace : primary
            let available = balances[payer] ?? 0
            guard credits <= available else { throw Broken(why: "R8: usage beyond what \(payer) holds") }
            balances[payer] = available - credits
            if payer == primary {
                primaryCharged = try Self.total(primaryCharged, credits)
                if workspace != primary { chargedToPrimary[workspace] = try Self.total(chargedToPrimary[workspace] ?? 0, credits) }
            }
            totalConsumed = try Self.total(totalConsumed, credits)
            consumedByWorkspace[workspace] = try Self.total(consumedByWorkspace[workspace] ?? 0, credits)
            consumedByMember[member] = try Self.total(consumedByMember[member] ?? 0, credits)
            consumedByTool[tool] = try Self.total(consumedByTool[tool] ?? 0, credits)
        case .chargeDeletion(let workspace, let consumed, let charged):
            // R10: the tombstone's consumption is charged at the deletion: what the Primary paid to the Primary,
            // the rest to the workspace. Neither can go below zero.
            totalConsumed = try Self.total(totalConsumed, consumed)
            consumedByWorkspace[workspace] = try Self.total(consumedByWorkspace[workspace] ?? 0, consumed)
            let own = consumed - min(consumed, charged)
            uncharged[workspace] = nil
            let ownBalance = (balances[workspace] ?? 0) - own
            let primaryBalance = (balances[primary] ?? 0) - charged
            guard ownBalance >= 0, primaryBalance >= 0 else { throw Broken(why: "R10: a tombstone records more than was paid") }
            balances[workspace] = ownBalance
            balances[primary] = primaryBalance
            primaryCharged = try Self.total(primaryCharged, charged)
        case .closeDeletion(let workspace):
            // R10: a deleted workspace's balance has returned to the Primary.
            guard (balances[workspace] ?? 0) == 0 else { throw Broken(why: "R10: \(workspace) deleted with credits left") }
            balances[workspace] = nil
            closed.insert(workspace)
        }
    }
}

// MARK: The checks

enum ReplayTarget {
    static func units(_ credits: Credits?) -> Int128 { Int128(credits?.units ?? 0) }

    static func check(_ scenario: Scenario) {
        let snapshot = scenario.snapshot
        let report = Validator.validate(snapshot)
        requireWellFormed(report.diagnostics, context: "the replay scenario")
        let reference = Reference.run(scenario.steps, deleted: scenario.deleted)
        func describe() -> String {
            var text = "\n--- steps (at, phase, id):\n"
            for step in scenario.steps.sorted(by: Step.precedes) { text += "  \(Scenario.time(step.at)) \(step.phase) \(step.id) \(step.kind) \(step.path)\n" }
            text += "--- reference: \(reference.failure.map { "fails at \($0.step.id) \($0.step.path): \($0.why)" } ?? "no failure")\n"
            text += "--- diagnostics:\n" + DiagnosticRenderer.text(report.diagnostics)
            return text
        }

        // A tombstone that records more charged to the Primary than consumed is an error in its file, which
        // makes the file unreadable, and the replay does not run without every workspace file.
        let tombstonesConsistent = scenario.deleted.values.allSatisfy { $0.charged <= $0.consumed }
        guard tombstonesConsistent else {
            require(report.replay == nil && !report.isValid, "a tombstone with more charged than consumed is accepted" + describe())
            return
        }
        // Every file is readable, so the replay runs.
        guard let replay = report.replay else {
            require(false, "the replay did not run" + describe())
            return
        }

        // It fails exactly when the rules say so, at the first step that breaks one (§3).
        if let failure = reference.failure {
            require(replay.failure != nil, "the replay accepted what breaks a rule (\(failure.why))" + describe())
            require(replay.failure?.location.path == failure.step.path,
                    "the replay reports \(replay.failure?.location.path ?? "-") first; the first step that breaks a rule is in \(failure.step.path)" + describe())
        } else {
            require(replay.failure == nil, "the replay refused what no rule forbids: \(replay.failure.map { "\($0)" } ?? "")" + describe())
        }

        // The organization is valid exactly when the replay succeeds and every name resolves.
        let expectValid = reference.failure == nil && !scenario.namesMissing
        require(report.isValid == expectValid, "the organization is \(report.isValid ? "valid" : "invalid"); expected \(expectValid ? "valid" : "invalid")" + describe())

        // No balance is ever negative (R7, R8, R10), failure or not.
        for (workspace, balance) in replay.balances {
            require(!balance.isNegative, "\(workspace) ends at \(balance)" + describe())
        }
        guard replay.failure == nil else { return }

        // The same balances and totals as the reference.
        require(replay.mode.rawValue == reference.mode, "the replay ends in \(replay.mode) mode; expected \(reference.mode)" + describe())
        require(replay.primary == Names.primary, "the replay's Primary is \(replay.primary)")
        require(Set(replay.balances.keys) == Set(reference.balances.keys), "balances of \(replay.balances.keys.sorted()); expected \(reference.balances.keys.sorted())" + describe())
        for (workspace, balance) in reference.balances {
            require(units(replay.balances[workspace]) == balance, "\(workspace) holds \(replay.balances[workspace].map { "\($0)" } ?? "-"); expected \(balance) units" + describe())
        }
        require(units(replay.totalAdded) == reference.totalAdded, "total added \(replay.totalAdded); expected \(reference.totalAdded) units" + describe())
        require(units(replay.totalTransferred) == reference.totalTransferred, "total transferred \(replay.totalTransferred); expected \(reference.totalTransferred) units" + describe())
        require(units(replay.totalConsumed) == reference.totalConsumed, "total consumed \(replay.totalConsumed); expected \(reference.totalConsumed) units" + describe())
        require(units(replay.primaryTransferredOut) == reference.primaryOut && units(replay.primaryTransferredIn) == reference.primaryIn
                && units(replay.primaryCharged) == reference.primaryCharged, "the Primary's parts differ from the reference" + describe())
        for workspace in Names.workspaces {
            require(units(replay.consumedByWorkspace[workspace]) == reference.consumedByWorkspace[workspace] ?? 0, "\(workspace) consumed \(units(replay.consumedByWorkspace[workspace])); expected \(reference.consumedByWorkspace[workspace] ?? 0)" + describe())
        }
        for member in Names.members {
            require(units(replay.consumedByMember[member]) == reference.consumedByMember[member] ?? 0, "\(member) consumed \(units(replay.consumedByMember[member])); expected \(reference.consumedByMember[member] ?? 0)" + describe())
        }
        for tool in Tool.allCases {
            require(units(replay.consumedByTool[tool]) == reference.consumedByTool[tool] ?? 0, "\(tool) consumed \(units(replay.consumedByTool[tool])); expected \(reference.consumedByTool[tool] ?? 0)" + describe())
        }

        // What the rules imply of any successful replay, without the reference:
        // R6: the Primary's balance is derived.
        let derived = units(replay.totalAdded) - units(replay.primaryTransferredOut) + units(replay.primaryTransferredIn) - units(replay.primaryCharged)
        require(units(replay.primaryBalance) == derived, "the Primary holds \(replay.primaryBalance), but added − out + in − charged is \(derived) units" + describe())
        // Conservation, in a valid organization: every credit added is held by a live workspace or was consumed.
        let held = replay.balances.values.reduce(Int128(0)) { $0 + units($1) }
        if report.isValid {
            require(held + units(replay.totalConsumed) == units(replay.totalAdded),
                    "balances \(held) + consumed \(units(replay.totalConsumed)) ≠ added \(units(replay.totalAdded)) units" + describe())
        }
        // Consumption adds up, by workspace; by member and by tool it counts the records (tombstones name neither).
        let byWorkspace = replay.consumedByWorkspace.values.reduce(Int128(0)) { $0 + units($1) }
        require(byWorkspace == units(replay.totalConsumed), "consumption by workspace adds up to \(byWorkspace), not \(replay.totalConsumed)" + describe())
        let byMember = replay.consumedByMember.values.reduce(Int128(0)) { $0 + units($1) }
        let byTool = replay.consumedByTool.values.reduce(Int128(0)) { $0 + units($1) }
        let tombstones = scenario.deleted.values.reduce(Int128(0)) { $0 + $1.consumed }
        require(byMember == byTool && byTool + tombstones == units(replay.totalConsumed),
                "consumption by member \(byMember), by tool \(byTool), tombstones \(tombstones), total \(replay.totalConsumed)" + describe())

        // Each live workspace's balance history (export's balance-history.csv) adds up to its balance.
        for workspace in replay.balances.keys.sorted() {
            guard let traced = LedgerReplay.run(report.organization, tracing: workspace) else {
                require(false, "the traced replay of \(workspace) did not run")
                return
            }
            var running: Int128 = 0
            for entry in traced.history {
                running += units(entry.change)
                require(units(entry.balance) == running, "\(workspace)'s history says \(entry.balance) after a \(entry.kind.rawValue) at \(entry.at); its changes add up to \(running) units" + describe())
            }
            require(running == units(replay.balances[workspace]), "\(workspace)'s history adds up to \(running) units; it holds \(replay.balances[workspace].map { "\($0)" } ?? "-")" + describe())
            require(traced.balances == replay.balances && traced.failure == nil, "tracing \(workspace) changes the replay" + describe())
        }
    }
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver.
@_cdecl("FuzzReplay_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    orgsync_fuzzer_main(argc, argv)
}
