@testable import OrgModel
import Testing

/// Charging against balances and caps (R8, U1, U4), and the usage report and import (U2, U3).
@Suite("Charging, caps, reports and imports")
struct SpendingTests {
    /// `a` has a daily cap of 100 and a weekly one of 150 (alert at 80%); bo may spend 30 a day in it.
    static func files() -> [String: String] {
        var files = Fixture.base()
        files["members/cy.yaml"] = "id: cy\nemail: cy@acme.example\nrole: member\n"
        files["members/dee.yaml"] = "id: dee\nemail: dee@acme.example\nrole: member\n"
        files["workspaces/a.yaml"] = """
            id: a
            name: Team A
            members:
              - member: bo
                role: member
                limits:
                  daily: 30
              - member: cy
                role: member
              - member: dee
                role: viewer
            limits:
              daily: 100
              weekly: 150
              alertAt: 80

            """
        files["workspaces/b.yaml"] = "id: b\nname: Team B\nmembers:\n  - member: bo\n    role: member\n"
        return files
    }

    static func book(_ extra: [(String, String)]) throws -> ChargeBook {
        let report = Fixture.validate(extra, base: files())
        #expect(report.diagnostics.filter { $0.severity == .error } == [])
        let replay = try #require(report.replay)
        return try #require(ChargeBook(report.organization, replay: replay))
    }

    /// Budget mode from 1 November: `a` gets 200, `b` gets 50.
    static let budget = [
        Fixture.topup(1, day: 1, credits: "1000"), Fixture.mode(2, day: 1, "budget", hour: 10),
        Fixture.transfer(3, day: 2, from: "hq", to: "a", credits: "200"), Fixture.transfer(4, day: 2, from: "hq", to: "b", credits: "50"),
    ]

    /// What a refused charge says; nil when it was made.
    static func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ChargeError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    static func record(_ id: String, _ workspace: String, _ member: String, _ credits: String, day: Int = 3, hour: Int = 9) throws -> UsageRecord {
        UsageRecord(id: id, at: try Timestamp(parsing: Fixture.time(day: day, hour: hour)), workspace: workspace, member: member, tool: .chat,
                    credits: try Credits(parsing: credits), location: SourceLocation(path: "usage/\(workspace)"))
    }

    @Test("a charge of exactly the available balance is allowed; one ten-thousandth more is blocked (R8)")
    func exactlyTheAvailableAmount() throws {
        var book = try Self.book(Self.budget)
        #expect(book.available(to: "b") == Credits(whole: 50))
        #expect(throws: ChargeError.blocked(.init(workspace: "b", member: "bo", requested: try Credits(parsing: "50.0001"),
                                                  available: Credits(whole: 50)!, limit: .balance(payer: "b", mode: .budget)))) {
            try book.charge(try Self.record("r1", "b", "bo", "50.0001"))
        }
        let receipt = try book.charge(try Self.record("r2", "b", "bo", "50"))
        #expect(receipt.payer == "b")
        #expect(receipt.balance == .zero)
        #expect(book.balance("b") == .zero)
        #expect(book.balance("hq") == Credits(whole: 750))
        #expect(Self.refusal { try book.charge(try Self.record("r3", "b", "bo", "0.0001")) } == "a charge of 0.0001 credits to 'b' by 'bo' exceeds the 0 credits available in 'b' (R8); transfer credits into 'b', or charge at most 0")
        // A live charge dated before the ledger's end is still checked against the balance.
        #expect(Self.refusal { try book.charge(try Self.record("r5", "b", "bo", "0.0001", day: 1)) }?.hasPrefix("a charge of 0.0001 credits to 'b'") == true)
        // A refused charge changes nothing; a free one is still possible.
        try book.charge(try Self.record("r4", "b", "bo", "0"))
        #expect(book.balance("b") == .zero)
    }

    @Test("in shared mode every workspace's usage is charged to the Primary (R5)")
    func sharedModeChargesThePrimary() throws {
        var book = try Self.book([Fixture.topup(1, day: 1, credits: "100")])
        #expect(book.mode == .shared)
        #expect(book.available(to: "b") == Credits(whole: 100))
        let receipt = try book.charge(try Self.record("r1", "b", "bo", "60"))
        #expect(receipt.payer == "hq")
        #expect(book.balance("hq") == Credits(whole: 40))
        #expect(book.balance("b") == .zero)
        #expect(Self.refusal { try book.charge(try Self.record("r2", "a", "cy", "40.0001")) } == "a charge of 40.0001 credits to 'a' by 'cy' exceeds the 40 credits available in the Primary 'hq' (shared mode) (R8); top up the organization, or charge at most 40")
    }

    @Test("caps: a member's and a workspace's daily and weekly caps block exactly at the cap, alert at the threshold, and reset with the period (U4)")
    func caps() throws {
        var book = try Self.book(Self.budget)
        // 2026-11-03 is a Tuesday, in the week of Monday 2 November.
        let first = try book.charge(try Self.record("r1", "a", "bo", "30"))
        #expect(first.alerts.map { "\($0.scope) \($0.period) \($0.used) \($0.state)" } == ["'bo' in workspace 'a' daily 30 reached"])
        #expect(Self.refusal { try book.charge(try Self.record("r2", "a", "bo", "0.0001")) } == "a charge of 0.0001 credits to 'a' by 'bo' passes the daily cap of 'bo' in workspace 'a' for 2026-11-03: 30 of 30 used, 0 left (U4); raise the cap in workspaces/a.yaml or wait for the next day")
        let second = try book.charge(try Self.record("r3", "a", "cy", "70"))
        #expect(second.alerts.map { "\($0.scope) \($0.period) \($0.used) \($0.percent)% \($0.state)" } == ["workspace 'a' daily 100 100% reached"])
        #expect(throws: ChargeError.self) { try book.charge(try Self.record("r4", "a", "cy", "0.0001")) }

        // The next day: the daily caps start again, the weekly one carries 100 used.
        let third = try book.charge(try Self.record("r5", "a", "cy", "20", day: 4))
        #expect(third.alerts.map { "\($0.period) \($0.used) \($0.percent)% \($0.state)" } == ["weekly 120 80% alert"])
        #expect(try book.charge(try Self.record("r6", "a", "cy", "19.9999", day: 4)).alerts == [])
        do {
            try book.charge(try Self.record("r7", "a", "cy", "10.0002", day: 4))
            Issue.record("the weekly cap was passed")
        } catch let ChargeError.blocked(block) {
            #expect(block.available == (try Credits(parsing: "10.0001")))
            guard case .cap(let status) = block.limit else { Issue.record("not a cap"); return }
            #expect(status.label == "week of 2026-11-02")
        }
        // Monday 9 November starts a new week.
        try book.charge(try Self.record("r8", "a", "cy", "10.0002", day: 9))
        #expect(book.balance("a") == (try Credits(parsing: "49.9999")))
        #expect(book.capStatuses(at: try Timestamp(parsing: "2026-11-09T12:00:00Z")).map { "\(Self.name($0.scope)) \($0.period) \($0.used)/\($0.cap)" }
            == ["a daily 10.0002/100", "a weekly 10.0002/150", "a·bo daily 0/30"])
    }

    static func name(_ scope: CapScope) -> String {
        switch scope {
        case .workspace(let id): return id
        case .member(let member, let workspace): return "\(workspace)·\(member)"
        }
    }

    @Test("recorded usage is not refused by caps after the fact, but reports the caps it passes")
    func recordedUsageReportsCaps() throws {
        var book = try Self.book(Self.budget)
        let receipt = try book.charge(try Self.record("r1", "a", "cy", "120"), policy: .recorded)
        #expect(receipt.alerts.map { "\($0.period) \($0.state)" } == ["daily reached", "weekly alert"])
    }

    @Test("a charge that names what cannot spend is refused with the fix")
    func refusals() throws {
        var book = try Self.book(Self.budget)
        var cases: [(UsageRecord, String)] = [
            (try Self.record("r1", "a", "dee", "1"), "'dee' is a viewer of workspace 'a', and viewers cannot spend; make them a member (orgsync member assign dee --workspace a --role member)"),
            (try Self.record("r2", "b", "cy", "1"), "'cy' is not assigned to workspace 'b'; assign them first (orgsync member assign cy --workspace b)"),
            (try Self.record("r3", "aa", "cy", "1"), "no workspace 'aa'; did you mean 'a'?"),
            (try Self.record("r4", "a", "zed", "1"), "no member 'zed'"),
            (try Self.record("r/5", "a", "cy", "1"), "record id 'r/5' is not valid: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"),
            (try Self.record("r6", "a", "cy", "-1"), "credits must not be negative, but the charge is -1; usage is corrected by an admin, not by a negative charge"),
        ]
        var costly = try Self.record("r8", "a", "cy", "1")
        costly.cost = "1\",\"credits\":0"
        cases.append((costly, "cost must be a non-negative decimal such as 0.0125, with at most 10 fractional digits, not '1\",\"credits\":0'"))
        for (record, message) in cases {
            #expect(throws: ChargeError.refused(message)) { try book.charge(record) }
        }
        try book.charge(try Self.record("r7", "a", "cy", "1"))
        #expect(throws: ChargeError.refused("usage record 'r7' is already recorded; record ids are unique, so each charge is made once")) {
            try book.charge(try Self.record("r7", "a", "cy", "1"))
        }
    }

    @Test("UTC periods: days, Monday weeks and months")
    func periods() throws {
        let sunday = try Timestamp(parsing: "2026-11-08T23:59:59.999Z")
        let monday = try Timestamp(parsing: "2026-11-09T00:00:00Z")
        #expect(CapPeriod.weekly.label(of: sunday) == "week of 2026-11-02")
        #expect(CapPeriod.weekly.label(of: monday) == "week of 2026-11-09")
        #expect(CapPeriod.daily.label(of: sunday) == "2026-11-08")
        #expect(CapPeriod.monthly.label(of: try Timestamp(parsing: "2026-12-31T23:59:59Z")) == "2026-12")
        #expect(CapPeriod.weekly.label(of: try Timestamp(parsing: "1970-01-01T00:00:00Z")) == "week of 1969-12-29")
        #expect(CapPeriod.monthly.start(of: CapPeriod.monthly.index(of: monday)) == (try Timestamp(parsing: "2026-11-01T00:00:00Z")))
    }

    @Test("the report totals each row by tool, counts tombstones at deletion, and matches the replay to the ten-thousandth")
    func reportMatchesTheReplay() throws {
        let extra = Self.budget + [
            Fixture.usage(workspace: "a", day: 3, [("u1", 9, "0.1"), ("u2", 10, "0.2")]),
            Fixture.usage(workspace: "b", day: 4, [("u3", 9, "12.3456")]),
        ]
        let report = Fixture.validate(extra, base: Self.files())
        #expect(report.diagnostics.filter { $0.severity == .error } == [])
        let replay = try #require(report.replay)
        let byWorkspace = try UsageReport(report.organization, by: .workspace)
        #expect(byWorkspace.rows.map { "\($0.key) \($0.total) \($0.records)" } == ["b 12.3456 1", "a 0.3 2"])
        #expect(byWorkspace.total.total == replay.totalConsumed)
        for row in byWorkspace.rows { #expect(row.total == replay.consumedByWorkspace[row.key]) }
        let byTool = try UsageReport(report.organization, by: .tool)
        #expect(byTool.rows.map { "\($0.key) \($0.total)" } == ["chat 12.6456"])
        #expect(byTool.total.byTool == replay.consumedByTool)
        let byDay = try UsageReport(report.organization, by: .day, since: try Timestamp(parsing: "2026-11-04T00:00:00Z"))
        #expect(byDay.rows.map { "\($0.key) \($0.total)" } == ["2026-11-04 12.3456"])
    }

    @Test("import: JSON Lines and CSV give the same records; a re-import adds nothing; a reused id is a conflict at its line (U2)")
    func importFiles() throws {
        let jsonl = """
            {"id":"req-1","at":"2026-11-03T09:00:00Z","workspace":"a","member":"cy","tool":"chat","credits":1.5,"model":"m1","tokens":1200}
            {"id":"req-2","at":"2026-11-03T10:00:00Z","workspace":"b","member":"bo","tool":"image","credits":4,"cost":0.04}

            """
        let csv = "\u{FEFF}workspace,id,at,member,tool,credits,model,tokens,cost\r\n"
            + "a,req-1,2026-11-03T09:00:00Z,cy,chat,1.5,m1,1200,\r\n"
            + "b,req-2,2026-11-03T10:00:00Z,bo,image,4,,,0.04\r\n"
        let (fromJSON, jsonProblems) = UsageImport.parse(Array(jsonl.utf8), format: .jsonl, path: "in.jsonl")
        let (fromCSV, csvProblems) = UsageImport.parse(Array(csv.utf8), format: .csv, path: "in.csv")
        #expect(jsonProblems == [] && csvProblems == [])
        #expect(fromJSON.map { "\($0.workspace) \($0.jsonLine)" } == fromCSV.map { "\($0.workspace) \($0.jsonLine)" })
        #expect(fromCSV.map(\.location.line) == [2, 3])

        let org = Fixture.validate(Self.budget + [Fixture.usage(workspace: "a", day: 3, [("req-1", 9, "1.5")])], base: Self.files()).organization
        var (new, known, conflicts) = UsageImport.newRecords(fromCSV, in: org)
        // req-1 is recorded, but by bo without the model: the same id with other content.
        #expect(new.map(\.id) == ["req-2"] && known == 0)
        #expect(conflicts.map(\.message) == ["record id 'req-1' is already used by another record, in 'a' at 2026-11-03T09:00:00Z; record ids are idempotency keys, so a different record needs a different id"])
        (new, known, conflicts) = UsageImport.newRecords(fromCSV + fromCSV, in: Organization())
        #expect(new.count == 2 && known == 2 && conflicts == [])

        let (_, bad) = UsageImport.parse(Array("id,at,workspace,member,tool,credits\nx,2026-11-03T09:00:00Z,a,cy,chat,1e3\ny,\"2026\n".utf8), format: .csv, path: "bad.csv")
        #expect(bad.map { "\($0.location.line):\($0.location.column) \($0.message)" } == ["3:3 a quoted cell is not closed"])
        let (_, schema) = UsageImport.parse(Array("id,at,workspace,member,tool,credits,colour\nx,2026-11-03T09:00:00Z,a,cy,chats,1e3,red\n".utf8), format: .csv, path: "bad.csv")
        #expect(schema.map { "\($0.location.line) \($0.rule)" }.sorted() == ["1 F4"])
        // Old Mac line endings (a lone CR) end lines too: nothing is read as one long header.
        let (classic, classicProblems) = UsageImport.parse(Array("id,at,workspace,member,tool,credits\rx,2026-11-03T09:00:00Z,a,cy,chat,1\r".utf8), format: .csv, path: "cr.csv")
        #expect(classicProblems == [] && classic.map(\.id) == ["x"])
    }
}
