import Foundation
@testable import OrgModel
import OrgTestSupport
import Testing
@testable import OrgSync

@Suite("The gateway API and the workspace export")
struct UsageGatewayTests {
    static func time(_ text: String) throws -> Timestamp { try Timestamp(parsing: text) }

    @Test("a gateway authorizes by key, charges in memory with no git work, flushes to one validated commit, and keeps its charges when a flush is refused")
    func gateway() throws {
        try withScratchDirectory { scratch in
            let org = try Org(scratch: scratch)
            try org.perform(.createWorkspace(id: "team-a", name: "Team A"))
            try org.perform(.addMember(id: "gw", email: "gw@acme.example", name: nil, role: .service, workspaces: []))
            try org.perform(.addMember(id: "bo", email: "bo@acme.example", name: nil, role: .member,
                                       workspaces: [.init(workspace: "team-a", role: .member)]))
            try org.perform(.transfer(from: "primary", to: "team-a", credits: Credits(whole: 100)!, memo: nil))
            let secret = try #require(try org.perform(.createKey(workspace: "team-a", name: "gateway", id: nil, expiresAt: nil)).edit.secret?.value)

            let gateway = try UsageGateway(repository: org.directory, writer: "gw-1", actingAs: "gw@acme.example")
            let head = try org.git(["rev-parse", "HEAD"])
            #expect(gateway.authorize(apiKey: secret) == .valid(workspace: "team-a", key: "gateway"))
            #expect(gateway.authorize(apiKey: secret + "x") == .invalid)

            let at = try Self.time("2026-11-21T11:00:00Z")
            try gateway.charge(workspace: "team-a", member: "bo", tool: .chat, credits: Credits(whole: 60)!, model: "m1", id: "req-1", at: at)
            let receipt = try gateway.charge(workspace: "team-a", member: "bo", tool: .image, credits: Credits(whole: 40)!, id: "req-2", at: at)
            #expect(receipt.balance == .zero)
            #expect(throws: ChargeError.blocked(.init(workspace: "team-a", member: "bo", requested: Credits(units: 1), available: .zero,
                                                      limit: .balance(payer: "team-a", mode: .budget)))) {
                try gateway.charge(workspace: "team-a", member: "bo", tool: .chat, credits: Credits(units: 1), at: at)
            }
            #expect(gateway.pendingCount == 2)
            #expect(try org.git(["rev-parse", "HEAD"]) == head, "a charge did git work")

            let commit = try #require(try gateway.flush(now: try Self.time("2026-11-21T11:01:00Z")))
            #expect(gateway.pendingCount == 0)
            #expect(try org.git(["log", "-1", "--format=%ae %s"]) == "gw@acme.example Record 2 usage records (100 credits) in 'team-a'\n")
            #expect(try String(contentsOfFile: org.directory + "/usage/team-a/2026/11/21-gw-1.jsonl", encoding: .utf8) == """
                {"id":"req-1","at":"2026-11-21T11:00:00Z","member":"bo","tool":"chat","credits":60,"model":"m1"}
                {"id":"req-2","at":"2026-11-21T11:00:00Z","member":"bo","tool":"image","credits":40}

                """)
            #expect(gateway.revision == commit)

            // An admin's transfer is seen after a reload; a flush the replay cannot pay for is refused and kept.
            try org.perform(.transfer(from: "primary", to: "team-a", credits: Credits(whole: 50)!, memo: nil))
            #expect(gateway.available(to: "team-a") == .zero)
            try gateway.reload()
            #expect(gateway.available(to: "team-a") == Credits(whole: 50))
            try gateway.charge(workspace: "team-a", member: "bo", tool: .chat, credits: Credits(whole: 30)!, id: "req-3", at: try Self.time("2026-11-21T11:05:00Z"))
            try org.perform(.transfer(from: "team-a", to: "primary", credits: Credits(whole: 50)!, memo: nil))
            let before = try org.frozen()
            do {
                try gateway.flush(now: try Self.time("2026-11-21T11:06:00Z"))
                Issue.record("a flush the balance cannot pay for was committed")
            } catch let error as OrgSyncError {
                #expect(error.kind == .blocked)
                #expect(error.message == "a charge of 30 credits to 'team-a' by 'bo' exceeds the 0 credits available in 'team-a' (R8); transfer credits into 'team-a', or charge at most 0")
            }
            #expect(try org.frozen() == before)
            #expect(gateway.pendingCount == 1)
            try org.perform(.transfer(from: "primary", to: "team-a", credits: Credits(whole: 30)!, memo: nil))
            try #require(try gateway.flush(now: try Self.time("2026-11-21T11:07:00Z")) != nil)
            #expect(gateway.pendingCount == 0)
            #expect(gateway.available(to: "team-a") == .zero)
            let state = OrgState(try StateReader(directory: org.directory).revision("HEAD"))
            #expect(state.report.diagnostics == [])
            #expect(state.organization.usage.map(\.id).sorted() == ["req-1", "req-2", "req-3"])
        }
    }

    @Test("a workspace export holds its file, members, usage and balance history, and no other workspace's id or data (R13)", arguments: ["chat-prod", "core-prod", "promo-staging"])
    func export(workspace: String) throws {
        let state = OrgState(Demo.snapshot)
        let export = try WorkspaceExport(workspace, from: state, revision: nil)
        let org = state.organization
        let others = org.workspaces.filter { $0.id != workspace }
        for (path, bytes) in export.files {
            let text = String(decoding: bytes, as: UTF8.self)
            for other in others {
                #expect(!text.contains(other.id), "\(path) names workspace '\(other.id)'")
                #expect(!text.contains(other.name), "\(path) names workspace '\(other.name)'")
            }
        }
        let usagePaths = Set(state.snapshot.entries.keys.filter { $0.hasPrefix("usage/\(workspace)/") })
        #expect(Set(export.files.keys.filter { $0.hasPrefix("usage/") }) == usagePaths)
        #expect(export.files.keys.filter { $0.hasPrefix("ledger/") || $0.hasPrefix("workspaces/") && $0 != "workspaces/\(workspace).yaml" } == [])

        let replay = try #require(state.report.replay)
        #expect(export.balance == replay.balances[workspace] ?? .zero)
        #expect(export.consumed == replay.consumedByWorkspace[workspace])
        // The history ends at the replayed balance, and its changes sum to it.
        let history = String(decoding: try #require(export.files["balance-history.csv"]), as: UTF8.self)
        let rows = history.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let changes = try rows.map { try Credits(parsing: String($0[3])) }.sum()
        #expect(changes == export.balance)
        #expect(rows.last.map { String($0[4]) } == export.balance.description)
        // Other workspaces' shared-mode usage is a daily total: no record id, no time of day.
        for row in rows where row[1] == "shared-usage" {
            #expect(row[2].isEmpty && row[0].count == 10, "\(row)")
        }
        #expect(workspace != "core-prod" || rows.contains { $0[1] == "shared-usage" })
        if workspace == "chat-prod" {
            #expect(rows.filter { $0[1] == "usage" }.count == org.usage.filter { $0.workspace == workspace }.count)
            #expect(history.hasPrefix("at,kind,id,change,balance,member,tool,credits,model,detail\n"))
        }

        try withScratchDirectory { scratch in
            try export.write(to: scratch + "/out")
            #expect(try filesBelow(scratch + "/out") == export.files)
            #expect(throws: OrgSyncError.self) { try export.write(to: scratch + "/out") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).sorted() == ["out"])
        }
    }

    @Test("the usage report of the sample equals its replay, row by row, to the ten-thousandth")
    func sampleReport() throws {
        let report = Validator.validate(Demo.snapshot)
        let replay = try #require(report.replay)
        for grouping in UsageGrouping.allCases {
            let usage = try UsageReport(report.organization, by: grouping)
            #expect(usage.total.total == replay.totalConsumed)
            #expect(usage.total.total.description == "18349.0353")
            #expect(try usage.rows.map(\.total).sum() == replay.totalConsumed)
            switch grouping {
            case .workspace: for row in usage.rows { #expect(row.total == replay.consumedByWorkspace[row.key]) }
            case .member: for row in usage.rows where row.key != UsageReport.deletedKey { #expect(row.total == replay.consumedByMember[row.key]) }
            case .tool: for row in usage.rows { if let tool = Tool(rawValue: row.key) { #expect(row.total == replay.consumedByTool[tool]) } }
            case .day: #expect(usage.rows.map(\.key) == usage.rows.map(\.key).sorted())
            }
        }
    }
}
