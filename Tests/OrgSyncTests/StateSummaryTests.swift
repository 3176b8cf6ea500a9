import Foundation
import GitKit
import OrgModel
import OrgTestSupport
import Testing
@testable import OrgSync

/// The append-only check (`StateSummary.appending`) against the full check it stands in for: whenever it
/// accepts a commit, the full check finds no diagnostic and the same summary; and it accepts the common
/// appends (events and usage after the last step) while leaving everything else to the full check.
@Suite("Checking appends from a validated state's summary")
struct StateSummaryTests {
    typealias File = StateSummary.AppendedFile

    /// A small generated organization, plus a billing member, a service account and a removed member.
    struct Base {
        let parent: OrgState
        let summary: StateSummary
        let owner: Member
        /// An active member with the role member, assigned to workspaces.
        let plain: Member
        /// After every step of the replay, and before the last one.
        let after: Timestamp
        let before: Timestamp
        let liveWorkspace: String
        let deletedWorkspace: String
        let lastUsageFile: String
        var ulids = ULIDGenerator()
        var random: OrgTestSupport.SeededGenerator = .init(seed: 11)

        init() throws {
            var files = try BenchmarkOrganization(sizes: .init(workspaces: 100, members: 60, events: 400, usage: 1_500), seed: 5).files
            let generated = Validator.validate(Snapshot(entries: files.mapValues { Snapshot.Entry(bytes: $0) })).organization
            owner = try #require(generated.members.first { $0.role == .owner })
            plain = try #require(generated.members.first { $0.role == .member && $0.isActive })
            files["members/bea-billing.yaml"] = Array("id: bea-billing\nemail: Bea@Bench.example\nname: Bea\nrole: billing\n".utf8)
            files["members/sam-service.yaml"] = Array("id: sam-service\nemail: gateway@bench.example\nname: Gateway\nrole: service\n".utf8)
            files["members/rita-removed.yaml"] = Array("id: rita-removed\nemail: rita@bench.example\nname: Rita\nrole: member\nremoved:\n  at: 2026-02-01T00:00:00Z\n  by: \(owner.id)\n".utf8)
            parent = OrgState(Snapshot(entries: files.mapValues { Snapshot.Entry(bytes: $0) }))
            #expect(parent.report.diagnostics.map(\.message) == [String]())
            summary = try #require(StateSummary(parent.report))
            let org = parent.organization
            let times = org.events.map(\.at) + org.usage.map(\.at) + org.workspaces.compactMap { $0.deleted?.at }
            let last = try #require(times.max())
            after = Timestamp(seconds: last.seconds + 3_600)
            before = Timestamp(seconds: last.seconds - 1)
            let replay = try #require(parent.report.replay)
            liveWorkspace = try #require(replay.balances.filter { $0.key != replay.primary && $0.value > Credits(units: 100_000) }.keys.sorted().first)
            deletedWorkspace = try #require(org.workspaces.first(where: \.isDeleted)?.id)
            lastUsageFile = try #require(org.usage.max { $0.at < $1.at }?.location.path)
        }

        mutating func id(at time: Timestamp) -> String { ulids.next(at: time, using: &random) }

        mutating func event(_ body: String, at time: Timestamp, by member: String? = nil) -> File {
            let id = id(at: time)
            return File(path: LedgerEvent.path(id: id, at: time), old: nil,
                        new: Array("id: \(id)\nat: \(time)\nby: \(member ?? owner.id)\n\(body)".utf8))
        }

        mutating func usageLine(at time: Timestamp, member: String, credits: String = "0.5", id: String? = nil) -> String {
            "{\"id\":\"\(id ?? self.id(at: time))\",\"at\":\"\(time)\",\"member\":\"\(member)\",\"tool\":\"chat\",\"credits\":\(credits)}\n"
        }

        func usagePath(_ workspace: String, at time: Timestamp) -> String {
            let (year, month, day) = time.date
            return "usage/\(workspace)/\(year)/\(String(format: "%02d", month))/\(String(format: "%02d", day))-gw-9.jsonl"
        }

        /// A change to an existing file: its bytes in the parent, and `new`.
        func changed(_ path: String, _ edit: ([UInt8]) -> [UInt8]) throws -> File {
            let old = try #require(parent.snapshot[path])
            return File(path: path, old: old, new: edit(old))
        }

        /// The full check of the commit that writes `files` on top of the parent, by `author`.
        func fullCheck(_ files: [File], author: String) -> (diagnostics: [Diagnostic], state: OrgState) {
            var snapshot = parent.snapshot
            for file in files { snapshot[file.path] = file.new }
            let state = OrgState(snapshot)
            return (state.report.diagnostics + Transition.check(from: [parent], to: state, author: author), state)
        }

        /// Checks both ways; returns whether the summary accepted the commit.
        @discardableResult
        func compare(_ files: [File], author: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
            let author = author ?? owner.email
            let fast = summary.appending(files, author: author)
            guard let fast else { return false }
            let (diagnostics, state) = fullCheck(files, author: author)
            #expect(diagnostics.map(\.message) == [String](), sourceLocation: sourceLocation)
            #expect(fast.encoded() == StateSummary(state.report)?.encoded(), "the summaries differ", sourceLocation: sourceLocation)
            return true
        }
    }

    @Test("events and usage after the last step are accepted, with the summary the full check makes")
    func acceptedAppends() throws {
        var base = try Base()
        let after = base.after
        let topUp = base.event("type: topup\ncredits: 1000\nreference: po-1\n", at: after)
        #expect(base.compare([topUp]))
        let allocation = base.event("type: transfer\nfrom: \(base.summary.replay.primary)\nto: \(base.liveWorkspace)\ncredits: 2.5\n",
                                    at: after, by: "bea-billing")
        #expect(base.compare([allocation], author: "bea@bench.EXAMPLE"))
        let appended = try base.changed(base.lastUsageFile) { old in
            old + Array((base.usageLine(at: after, member: base.plain.id) + base.usageLine(at: after, member: base.owner.id, credits: "0.0001")).utf8)
        }
        // Appending to a file of an earlier day puts the records in the wrong file (F6): only same-day appends fit.
        #expect(!base.compare([appended], author: "gateway@bench.example"))
        let newFile = File(path: base.usagePath(base.liveWorkspace, at: after), old: nil,
                           new: Array((base.usageLine(at: after, member: base.owner.id) + base.usageLine(at: Timestamp(seconds: after.seconds + 5), member: base.owner.id)).utf8))
        #expect(base.compare([newFile], author: "gateway@bench.example"))
        let later = Timestamp(seconds: after.seconds + 60)
        let appendedToday = File(path: newFile.path, old: newFile.new, new: newFile.new + Array(base.usageLine(at: later, member: base.owner.id).utf8))
        let next = try #require(base.summary.appending([newFile], author: "gateway@bench.example"))
        #expect(next.appending([appendedToday], author: "gateway@bench.example") != nil)
        // Both kinds at once, and a commit that changes nothing in the organization.
        let topUp2 = base.event("type: topup\ncredits: 5\n", at: Timestamp(seconds: after.seconds + 10))
        #expect(base.compare([topUp2, newFile]))
        #expect(base.summary.appending([], author: base.owner.email)?.encoded() == base.summary.encoded())
    }

    @Test("anything the summary cannot be sure of goes to the full check")
    func declined() throws {
        var base = try Base()
        let (after, before, owner) = (base.after, base.before, base.owner)
        let primary = base.summary.replay.primary
        let balance = try #require(base.summary.replay.balances[base.liveWorkspace])
        let cases: [(String, [File], String?, Bool)] = [
            // (what, files, author, whether the full check finds it valid)
            ("an event before the last step", [base.event("type: topup\ncredits: 1\n", at: before)], nil, true),
            ("an overdraw", [base.event("type: transfer\nfrom: \(base.liveWorkspace)\nto: \(primary)\ncredits: \(try balance.adding(Credits(units: 1)))\n", at: after)], nil, false),
            ("a transfer from a deleted workspace", [base.event("type: transfer\nfrom: \(base.deletedWorkspace)\nto: \(primary)\ncredits: 1\n", at: after)], nil, false),
            ("a mode event that changes nothing", [base.event("type: mode\nmode: budget\n", at: after)], nil, false),
            ("a switch to shared mode with funded workspaces", [base.event("type: mode\nmode: shared\n", at: after)], nil, false),
            ("an event by a plain member", [base.event("type: topup\ncredits: 1\n", at: after, by: base.plain.id)], base.plain.email, false),
            ("an event in someone else's name", [base.event("type: topup\ncredits: 1\n", at: after, by: "bea-billing")], nil, false),
            ("an event by a service account", [base.event("type: topup\ncredits: 1\n", at: after, by: "sam-service")], "gateway@bench.example", false),
            ("an author who is not a member", [base.event("type: topup\ncredits: 1\n", at: after)], "stranger@elsewhere.example", false),
            ("an event naming no member", [base.event("type: topup\ncredits: 1\n", at: after, by: "ghost")], nil, false),
            ("a plaintext key in an event", [base.event("type: topup\ncredits: 1\nreference: osk_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a\n", at: after)], nil, false),
            ("usage by an unknown member", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: "ghost").utf8))], nil, false),
            ("usage by a member after their removal", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: "rita-removed").utf8))], nil, false),
            ("usage of a deleted workspace", [File(path: base.usagePath(base.deletedWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: owner.id).utf8))], nil, false),
            ("usage beyond the balance", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: owner.id, credits: "\(try balance.adding(Credits(units: 1)))").utf8))], nil, false),
            ("usage by a billing member", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: owner.id).utf8))], "bea@bench.example", false),
            ("a record id used before", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: Array(base.usageLine(at: after, member: owner.id, id: base.parent.organization.usage[0].id).utf8))], nil, false),
            ("an empty usage file, from a service account", [File(path: base.usagePath(base.liveWorkspace, at: after), old: nil, new: [])], "gateway@bench.example", false),
            ("a file outside ledger/ and usage/", [File(path: "README.md", old: nil, new: Array("# notes\n".utf8))], nil, true),
            ("a changed event file", [try base.changed(try #require(base.parent.organization.events.last?.source.path)) { $0 + Array("# note\n".utf8) }], nil, false),
            ("a usage line rewritten", [try base.changed(base.lastUsageFile) { Array($0.dropLast(3)) + Array("}\n{\n".utf8) }], nil, false),
            ("a usage file's last newline removed", [try base.changed(base.lastUsageFile) { Array($0.dropLast(1)) }], nil, true),
        ]
        for (what, files, author, valid) in cases {
            let accepted = base.compare(files, author: author)
            #expect(!accepted, "\(what) was accepted")
            let messages = base.fullCheck(files, author: author ?? owner.email).diagnostics.map(\.message)
            #expect(messages.isEmpty == valid, "\(what): \(messages)")
        }
        // An event id used before: a new file for an existing event's id.
        let existing = try #require(base.parent.organization.events.last)
        let copy = File(path: LedgerEvent.path(id: existing.id, at: existing.at).replacingOccurrences(of: ".yaml", with: ".json"), old: nil,
                        new: Array("{\"id\":\"\(existing.id)\",\"at\":\"\(after)\",\"by\":\"\(owner.id)\",\"type\":\"topup\",\"credits\":1}".utf8))
        let acceptedCopy = base.compare([copy])
        #expect(!acceptedCopy)
    }

    @Test("random appends: whatever the summary accepts, the full check finds valid, with the same summary")
    func randomAppends() throws {
        var base = try Base()
        var random = OrgTestSupport.SeededGenerator(seed: 29)
        // Mostly what is valid, with some of everything that is not.
        let members = [base.plain.id, base.owner.id, base.plain.id, base.owner.id, "bea-billing", "ghost", "rita-removed"]
        let live = base.parent.organization.workspaces.filter { !$0.isDeleted }.map(\.id)
        let workspaces = live + live + [base.deletedWorkspace, "nowhere"]
        var accepted = 0
        for _ in 0..<80 {
            var files: [File] = []
            var usage: [String: String] = [:]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let time = Timestamp(seconds: base.after.seconds + Int64.random(in: -1_800...7_200, using: &random))
                let credits = ["0.0001", "1", "3.25", "0.5", "250", "100000"].randomElement(using: &random) ?? "1"
                if Bool.random(using: &random) {
                    let body = Bool.random(using: &random)
                        ? "type: topup\ncredits: \(credits)\n"
                        : "type: transfer\nfrom: \(workspaces.randomElement(using: &random) ?? "")\nto: \(workspaces.randomElement(using: &random) ?? "")\ncredits: \(credits)\n"
                    files.append(base.event(body, at: time))
                } else {
                    let path = base.usagePath(workspaces.randomElement(using: &random) ?? "", at: time)
                    usage[path, default: ""] += base.usageLine(at: time, member: members.randomElement(using: &random) ?? "", credits: credits)
                }
            }
            files += usage.sorted { $0.key < $1.key }.map { File(path: $0.key, old: nil, new: Array($0.value.utf8)) }
            if base.compare(files) { accepted += 1 }
        }
        // Both outcomes occur, so the comparison above is exercised.
        #expect(accepted >= 10)
        #expect(accepted <= 70)
    }

    @Test("a summary survives its encoding, and damaged bytes are refused")
    func encoding() throws {
        let base = try Base()
        let bytes = base.summary.encoded()
        let decoded = try #require(StateSummary(encoded: bytes))
        #expect(decoded.encoded() == bytes)
        #expect(StateSummary(encoded: Array(bytes.dropLast())) == nil)
        #expect(StateSummary(encoded: bytes + [0]) == nil)
        #expect(StateSummary(encoded: []) == nil)
        var otherLayout = bytes
        otherLayout[0] = 9
        #expect(StateSummary(encoded: otherLayout) == nil)
    }
}

/// The cache of summaries in a real repository: `validate --rev` and range checks leave one, the next
/// check of an appending commit starts from it, and a damaged entry is ignored.
@Suite("The state cache in a repository")
struct StateCacheTests {
    @Test("an appending commit is checked from the cached parent; a damaged entry sends it to the full check")
    func appendFromCache() throws {
        try withScratchDirectory { directory in
            let path = directory + "/org"
            let organization = try BenchmarkOrganization(sizes: .init(workspaces: 12, members: 40, events: 120, usage: 600), seed: 2)
            let root = try organization.write(to: path)
            let repository = try GitKit.Repository.open(path)
            let rootState = try CommitChecker(repository: repository).state(at: root)
            let owner = try #require(rootState.organization.members.first { $0.role == .owner })
            let entry = path + "/.git/orgsync/cache/\(try repository.commit(root).tree.hex).summary"
            #expect(FileManager.default.fileExists(atPath: entry))

            // The owner tops up 100 credits, after everything in the ledger.
            let id = "01KAM0BENCH0000000000000P2"
            try FileManager.default.createDirectory(atPath: path + "/ledger/2026/11", withIntermediateDirectories: true)
            try Data("id: \(id)\nat: 2026-11-20T12:00:00Z\nby: \(owner.id)\ntype: topup\ncredits: 100\n".utf8)
                .write(to: URL(fileURLWithPath: path + "/ledger/2026/11/\(id).yaml"))
            let environment = isolatedEnvironment(home: directory, email: owner.email, name: owner.name ?? owner.id)
            for arguments in [["add", "-A"], ["commit", "-q", "-m", "Top up 100"]] {
                #expect(try runProcess("/usr/bin/env", ["git"] + arguments, in: path, environment: environment).status == 0)
            }
            let topUp = try repository.resolveCommit("HEAD")

            let checker = CommitChecker(repository: repository)
            let verdicts = try checker.check(range: "\(root.hex)..HEAD")
            #expect(verdicts.map(\.isValid) == [true])
            #expect(verdicts.map(\.diagnostics.count) == [0])
            #expect(checker.appendOnly == [topUp])
            // The range's last state is cached for the next commit.
            #expect(FileManager.default.fileExists(atPath: path + "/.git/orgsync/cache/\(try repository.commit(topUp).tree.hex).summary"))

            // One byte of the parent's entry changed: its digest no longer matches, so the full check runs.
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry)))
            bytes[bytes.count - 1] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: entry))
            #expect(StateCache(repository).summary(of: try repository.commit(root).tree) == nil)
            let recheck = CommitChecker(repository: repository)
            #expect(try recheck.check(topUp).diagnostics.count == 0)
            #expect(recheck.appendOnly.isEmpty)
        }
    }
}
