import Foundation
import OrgModel
import GitKit
import OrgTestSupport
import Testing
@testable import OrgSync

/// The benchmark's smoke test in CI: the generator and the charge benchmark on a small organization.
/// (The measurements themselves are in scripts/bench and BENCHMARKS.md, never in tests.)
@Suite("The benchmark organization")
struct BenchmarkOrganizationTests {
    static let sizes = BenchmarkOrganization.Sizes(workspaces: 120, members: 400, events: 1_500, usage: 12_000)

    @Test("the same sizes and seed give the same files; the organization is valid and tells the whole story")
    func deterministicAndValid() throws {
        let organization = try BenchmarkOrganization(sizes: Self.sizes, seed: 7)
        #expect(try BenchmarkOrganization(sizes: Self.sizes, seed: 7).files == organization.files)
        #expect(try BenchmarkOrganization(sizes: Self.sizes, seed: 8).files != organization.files)

        let report = Validator.validate(Snapshot(entries: organization.files.mapValues { Snapshot.Entry(bytes: $0) }))
        #expect(report.diagnostics.map(\.message) == [String]())
        let org = report.organization
        #expect(org.workspaces.count == 120)
        #expect(org.members.count == 400)
        #expect(org.usage.count == 12_000)
        #expect(org.events.count == organization.summary.events)
        #expect(organization.summary == .init(liveWorkspaces: 119, deletedWorkspaces: 1, members: 400, events: 1_500,
                                              usageRecords: 12_000, usageFiles: organization.summary.usageFiles, bytes: organization.summary.bytes))
        // Shared mode first, then budget mode; a deletion refunded; every tool used; the Primary never overdrawn.
        #expect(org.events.filter { if case .mode(.budget) = $0.kind { true } else { false } }.count == 1)
        #expect(org.events.contains { if case .transfer(let transfer) = $0.kind { transfer.reason == .deletion } else { false } })
        #expect(Set(org.usage.map(\.tool)) == Set(Tool.allCases))
        let replay = try #require(report.replay)
        #expect(replay.mode == .budget)
        #expect(replay.primaryBalance.isPositive)
    }

    @Test("sizes the story cannot tell are refused with a reason")
    func badSizes() {
        #expect(throws: OrgSyncError.self) { try BenchmarkOrganization(sizes: .init(workspaces: 1, members: 10, events: 10, usage: 0)) }
        do {
            _ = try BenchmarkOrganization(sizes: .init(workspaces: 5, members: 2, events: 10, usage: 0))
            Issue.record("two members were accepted")
        } catch {
            #expect(error.message == "--members must be at least 3: the organization's three owners")
        }
    }

    @Test("written to a new repository as one commit, it charges through the gateway without changing it")
    func writeAndCharge() throws {
        try withScratchDirectory { directory in
            let path = directory + "/org"
            let organization = try BenchmarkOrganization(sizes: .init(workspaces: 12, members: 40, events: 120, usage: 600), seed: 2)
            let commit = try organization.write(to: path)
            let result = try ChargeBenchmark.run(repository: path, count: 2_000)
            // Budget mode: a workspace that returned or never had a balance is blocked; every other charge of 0.0001 fits.
            let report = Validator.validate(Snapshot(entries: organization.files.mapValues { Snapshot.Entry(bytes: $0) }))
            let replay = try #require(report.replay)
            let spenders = report.organization.workspaces.filter { !$0.isDeleted }.flatMap { workspace in
                workspace.members.filter { $0.role != .viewer }.map { _ in workspace.id }
            }
            let empty = (0..<2_000).filter { replay.balances[spenders[$0 % spenders.count]] == .zero }.count
            #expect(result.charges == 2_000)
            #expect(result.spenders == spenders.count)
            #expect(result.blocked == empty)
            #expect(empty > 0 && empty < 2_000)
            let repository = try GitKit.Repository.open(path)
            #expect(try repository.headCommit() == commit)
            #expect(throws: OrgSyncError.self) { try organization.write(to: path) } // not empty any more
        }
    }
}
