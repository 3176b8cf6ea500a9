import Foundation
import OrgTestSupport
import Testing

private let orgsyncBinary = orgsync

/// A copy of samples/acme in a git repository, with commits at fixed times by fixed people, so commit ids,
/// and with them every output, are the same on every machine.
struct ReviewWorld {
    let directory: String
    let home: String

    static let emails = ["ana": "ana.lopez@acme.example", "ben": "ben.okafor@acme.example", "bea": "beatriz.santos@acme.example",
                         "carl": "carl.nguyen@acme.example", "farah": "farah.haddad@acme.example"]

    func environment(as member: String, at time: String) -> [String: String] {
        var environment = isolatedEnvironment(home: home, email: Self.emails[member] ?? member, name: member)
        environment["GIT_AUTHOR_DATE"] = time
        environment["GIT_COMMITTER_DATE"] = time
        return environment
    }

    @discardableResult
    func git(_ arguments: [String], as member: String = "ana", at time: String = "2026-11-21 08:00:00 +0000") throws -> ProcessOutput {
        let result = try runProcess("/usr/bin/env", ["git"] + arguments, in: directory, environment: environment(as: member, at: time))
        #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    func orgsync(_ arguments: [String]) throws -> ProcessOutput {
        try runProcess(orgsyncBinary, arguments + ["--repo", directory], in: directory, environment: environment(as: "ana", at: "2026-11-21 12:00:00 +0000"))
    }

    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: directory + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: directory + "/" + path, encoding: .utf8)
        #expect(text.contains(old))
        try write(path, text.replacingOccurrences(of: old, with: new))
    }

    func commit(_ message: String, as member: String, at time: String) throws {
        try git(["add", "-A"], as: member, at: time)
        try git(["commit", "-q", "-m", message], as: member, at: time)
    }

    static func event(_ n: Int, at: String, by: String, _ body: String) -> (String, String) {
        let id = "01M8" + String(repeating: "0", count: 22 - String(n).count) + String(n)
        return ("ledger/2026/11/\(id).yaml", "id: \(id)\nat: \(at)\nby: \(by)\n\(body)")
    }

    /// main: the sample, committed by ana. pr: four commits by carl, bea and ana, as a pull request would hold:
    /// a large transfer, a rename and an assignment, a top-up, and a provider key.
    static func withPullRequest(_ body: (ReviewWorld) throws -> Void) throws {
        try withScratchDirectory { scratch in
            let world = ReviewWorld(directory: scratch + "/org", home: scratch)
            for (path, bytes) in try filesBelow(packageRoot + "/samples/acme") {
                try world.write(path, String(decoding: bytes, as: UTF8.self))
            }
            try world.git(["init", "-q", "-b", "main"])
            try world.commit("Import the Acme organization", as: "ana", at: "2026-11-21 08:00:00 +0000")
            try world.git(["checkout", "-q", "-b", "pr"])
            let transfer = event(1, at: "2026-11-21T09:00:00Z", by: "carl", "type: transfer\nfrom: core-prod\nto: chat-prod\ncredits: 6000\nmemo: EU launch\n")
            try world.write(transfer.0, transfer.1)
            try world.commit("Fund the EU launch", as: "carl", at: "2026-11-21 09:00:00 +0000")
            try world.edit("workspaces/chat-prod.yaml", replacing: "name: Chat Assistant (production)\n", with: "name: Chat Assistant (production, EU)\n")
            try world.edit("workspaces/chat-prod.yaml", replacing: "  - member: ana\n    role: viewer\n", with: "  - member: ana\n    role: viewer\n  - member: jun\n    role: member\n")
            try world.commit("Rename chat-prod for the EU and add jun", as: "carl", at: "2026-11-21 09:30:00 +0000")
            let topup = event(2, at: "2026-11-21T10:00:00Z", by: "bea", "type: topup\ncredits: 10000\nreference: INV-2026-117\n")
            try world.write(topup.0, topup.1)
            try world.commit("Top up for Q4", as: "bea", at: "2026-11-21 10:00:00 +0000")
            try world.edit("providers.yaml", replacing: "    secretRef: vault:secret/ai/elevenlabs\n    default: true\n",
                           with: "    secretRef: vault:secret/ai/elevenlabs\n    default: true\n  - id: openai-eu\n    provider: openai\n    secretRef: vault:secret/ai/openai-eu\n")
            try world.commit("Add an EU OpenAI key", as: "ana", at: "2026-11-21 10:30:00 +0000")
            try body(world)
        }
    }
}

/// Compares `actual` with the golden file `name`; with ORGSYNC_UPDATE_GOLDEN=1 set, writes it instead.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = packageRoot + "/Tests/CLITests/Golden/" + name
    if ProcessInfo.processInfo.environment["ORGSYNC_UPDATE_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: URL(fileURLWithPath: path))
        return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    #expect(actual == expected, "differs from Golden/\(name); rerun with ORGSYNC_UPDATE_GOLDEN=1 and review the diff", sourceLocation: sourceLocation)
}

@Suite("GitOps review: plan, approvals, codeowners, log, balances --at")
struct ReviewCommandTests {
    @Test func thePlanOfAPullRequestInTextMarkdownAndJSON() throws {
        try ReviewWorld.withPullRequest { world in
            let text = try world.orgsync(["plan", "main..pr"])
            #expect(text.status == 0)
            #expect(text.stderr == "")
            try expectGolden(text.stdout, "plan.txt")
            let markdown = try world.orgsync(["plan", "main..pr", "--format", "markdown", "--approved-by", "@benokafor"])
            #expect(markdown.status == 0)
            #expect(markdown.stdout.hasPrefix("<!-- orgsync-plan -->\n"))
            try expectGolden(markdown.stdout, "plan.md")
            let json = try world.orgsync(["plan", "main..pr", "--format", "json"])
            #expect(json.status == 0)
            try expectGolden(json.stdout, "plan.json")
        }
    }

    @Test func theReadmeShowsTheGoldenPlanAndApprovals() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        for name in ["plan.txt", "approvals-unmet.txt"] {
            let golden = try String(contentsOfFile: packageRoot + "/Tests/CLITests/Golden/" + name, encoding: .utf8)
            #expect(readme.contains(golden), "README.md no longer shows Golden/\(name); paste it in again")
        }
    }

    @Test func aSingleRevisionIsTheChangeThatCommitMade() throws {
        try ReviewWorld.withPullRequest { world in
            let result = try world.orgsync(["plan", "pr~2"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("Plan for pr~2: 1 commit by carl.nguyen@acme.example; base "))
            #expect(result.stdout.contains("\nWorkspaces\n  renamed workspace 'chat-prod' from 'Chat Assistant (production)' to 'Chat Assistant (production, EU)'\n"))
            #expect(!result.stdout.contains("Credits"))
            #expect(result.stdout.hasSuffix("\nApprovals (policy.approvals at \(try world.git(["rev-parse", "--short=7", "pr~3"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))\n  none required: no rule of the policy applies\n"))
            let unknown = try world.orgsync(["plan", "nope..pr"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.hasPrefix("error: unknown revision 'nope'"))
            let symmetric = try world.orgsync(["plan", "main...pr"])
            #expect(symmetric.status == 2)
            #expect(symmetric.stderr == "error: 'main...pr' is a symmetric difference; use A..B, the commits of B that are not in A\n")
        }
    }

    @Test func approvalsCheckExitsOneUntilEveryRuleIsMet() throws {
        try ReviewWorld.withPullRequest { world in
            let missing = try world.orgsync(["approvals", "check", "--range", "main..pr", "--approved-by", "@benokafor", "@carl-nguyen", "bea@nowhere.example"])
            #expect(missing.status == 1)
            try expectGolden(missing.stdout, "approvals-unmet.txt")
            let given = try world.orgsync(["approvals", "check", "--range", "main..pr", "--approved-by", "@benokafor", "--approved-by", "farah.haddad@acme.example"])
            #expect(given.status == 0)
            #expect(given.stdout.hasSuffix("approved: every rule that applies has its approvals\n"))
            // The commit by ana alone needs only an owner other than ana.
            let one = try world.orgsync(["approvals", "check", "--range", "pr~1..pr", "--approved-by", "@ana-lopez", "--format", "json"])
            #expect(one.status == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
            let rules = try #require(object["rules"] as? [[String: Any]])
            #expect(rules.map { $0["rule"] as? String } == ["owners-and-provider-keys"])
            #expect(rules.first?["missing"] as? Int == 1)
            #expect((rules.first?["ignored"] as? [[String: Any]])?.first?["reason"] as? String
                == "'ana' wrote commits of this change, and an author never approves their own change")
        }
    }

    @Test func theRulesAreThoseOfTheBaseSoAChangeCannotLoosenThem() throws {
        try ReviewWorld.withPullRequest { world in
            try world.edit("org.yaml", replacing: "transferAtLeast: 5000", with: "transferAtLeast: 50000")
            try world.commit("Loosen the rule", as: "ana", at: "2026-11-21 11:00:00 +0000")
            let result = try world.orgsync(["approvals", "check", "--range", "main..pr", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let rules = try #require(object["rules"] as? [[String: Any]])
            #expect(rules.compactMap { $0["rule"] as? String } == ["large-transfers", "top-ups", "owners-and-provider-keys"])
            #expect((rules.last?["reasons"] as? [String])?.contains("a change to org.yaml") == true)
            #expect(result.status == 1)
        }
    }

    @Test func theRulesAreThoseOfTheTargetEvenWhenItMovedOn() throws {
        try ReviewWorld.withPullRequest { world in
            try world.git(["checkout", "-q", "main"])
            try world.edit("org.yaml", replacing: "transferAtLeast: 5000", with: "transferAtLeast: 1000")
            try world.commit("Tighten the transfer rule", as: "ana", at: "2026-11-21 11:00:00 +0000")
            try world.git(["checkout", "-q", "pr"])
            let main = try world.git(["rev-parse", "--short=7", "main"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let plan = try world.orgsync(["plan", "main..pr"])
            #expect(plan.stdout.contains("\nNote: the branch it goes into (\(main)) has moved on since this change left it at "))
            #expect(plan.stdout.contains("\nApprovals (policy.approvals at \(main))\n  large-transfers: 2 from owner or billing; needs 2 more\n    because of a transfer of 6,000 credits from 'core-prod' to 'chat-prod' (at least 1,000)\n"))
            // A branch with no common history has no rules to be judged by.
            try world.git(["checkout", "-q", "--orphan", "stranger"])
            try world.commit("Another organization", as: "carl", at: "2026-11-21 12:00:00 +0000")
            let stranger = try world.orgsync(["approvals", "check", "--range", "main..stranger"])
            #expect(stranger.status == 1)
            #expect(stranger.stderr == "error: main..stranger joins histories that share no commit; an organization has one history, so compare a branch with the one it came from\n")
        }
    }

    @Test func repositoryTextCannotFormatMentionLinkOrForgeLines() throws {
        try ReviewWorld.withPullRequest { world in
            let memo = ReviewWorld.event(3, at: "2026-11-21T11:00:00Z", by: "carl",
                                         "type: transfer\nfrom: chat-prod\nto: core-prod\ncredits: 1\nmemo: \"@everyone see https://evil.example and www.evil.example <img src=x> **now**\\e[31m\\nViolations\"\n")
            try world.write(memo.0, memo.1)
            try world.commit("Memo", as: "carl", at: "2026-11-21 11:00:00 +0000")
            let markdown = try world.orgsync(["plan", "main..pr", "--format", "markdown"]).stdout
            #expect(markdown.contains("- carl moved 1 credit from 'chat-prod' to 'core-prod': @\u{2060}everyone see https:\u{2060}//evil.example and www\u{2060}.evil.example &lt;img src=x&gt; \\*\\*now\\*\\*\\\\u{1B}\\[31m\\\\u{A}Violations\n"))
            let text = try world.orgsync(["plan", "main..pr"]).stdout
            #expect(text.contains("  carl moved 1 credit from 'chat-prod' to 'core-prod': @everyone see https://evil.example and www.evil.example <img src=x> **now**\\u{1B}[31m\\u{A}Violations\n"))
            #expect(!text.contains("\u{1B}"))
        }
    }

    @Test func violationsAreListedWithTheirCommit() throws {
        try ReviewWorld.withPullRequest { world in
            let overdraw = ReviewWorld.event(3, at: "2026-11-21T11:00:00Z", by: "carl", "type: transfer\nfrom: image-dev\nto: chat-prod\ncredits: 99999\n")
            try world.write(overdraw.0, overdraw.1)
            try world.commit("Overdraw", as: "carl", at: "2026-11-21 11:00:00 +0000")
            let head = try world.git(["rev-parse", "--short=7", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let markdown = try world.orgsync(["plan", "main..pr", "--format", "markdown"])
            #expect(markdown.status == 0)
            #expect(markdown.stdout.contains(" · **1 violation** · "))
            #expect(markdown.stdout.contains("\n#### Violations\n\n- `ledger/2026/11/01M80000000000000000000003.yaml:7:10` [R7] transfer of 99999 exceeds the 1129.3518 credits available in 'image-dev' at 2026-11-21T11:00:00Z; transfer at most 1129.3518 or top up first (commit `\(head)`)\n"))
            #expect(markdown.stdout.contains("| `core-prod` (Primary) | Core Platform (production) | 16,196.8522 | does not replay | ? |\n"))
            let json = try world.orgsync(["plan", "main..pr", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["valid"] as? Bool == false)
            #expect((object["violations"] as? [[String: Any]])?.map { $0["rule"] as? String } == ["R7"])
        }
    }

    @Test func theWorkTreePlanIsTheActorsUncommittedEdits() throws {
        try ReviewWorld.withPullRequest { world in
            try world.edit("workspaces/voice-prod.yaml", replacing: "name: Voice Agents (production)\n", with: "name: Voice Agents\n")
            let result = try world.orgsync(["plan", "--as", "ben.okafor@acme.example"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("Plan for HEAD..work tree: uncommitted edits by ben.okafor@acme.example on HEAD ("))
            #expect(result.stdout.contains("\nWorkspaces\n  renamed workspace 'voice-prod' from 'Voice Agents (production)' to 'Voice Agents'\n"))
            #expect(result.stdout.contains("\nViolations\n  none: the work tree is valid, and so is its change from HEAD\n"))
            let stranger = try world.orgsync(["plan", "--as", "eve@evil.example"])
            #expect(stranger.stdout.contains("error: [T4] 'eve@evil.example' is not a member of the organization"))
            let both = try world.orgsync(["plan", "main..pr", "--as", "ben.okafor@acme.example"])
            #expect(both.status == 2)
        }
    }

    @Test func aHugePlanIsSummarizedUnderTheCommentLimit() throws {
        try ReviewWorld.withPullRequest { world in
            for n in 10..<2510 {
                let transfer = ReviewWorld.event(n, at: "2026-11-21T11:00:00Z", by: "ana", "type: transfer\nfrom: core-prod\nto: chat-staging\ncredits: 1\n")
                try world.write(transfer.0, transfer.1)
            }
            try world.commit("Many small transfers", as: "ana", at: "2026-11-21 11:00:00 +0000")
            let markdown = try world.orgsync(["plan", "main..pr", "--format", "markdown"])
            #expect(markdown.status == 0)
            #expect(markdown.stdout.utf8.count <= 65_000)
            #expect(markdown.stdout.contains("\n> This plan is long, so its lists are cut to fit a comment. `orgsync plan main..pr` shows all of it.\n"))
            #expect(markdown.stdout.contains("- ana moved 1 credit from 'core-prod' to 'chat-staging'\n"))
            // 2,502 credit events (2,500 transfers, carl's and bea's), of which 200 are shown.
            #expect(markdown.stdout.contains("\n- _… and 2302 more_\n"))
            let json = try world.orgsync(["plan", "main..pr", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect((object["changes"] as? [Any])?.count == 2505)
        }
    }

    @Test func codeownersFollowsTheRoles() throws {
        try ReviewWorld.withPullRequest { world in
            try world.git(["checkout", "-q", "main"])
            let printed = try world.orgsync(["codeowners"])
            #expect(printed.status == 0)
            try expectGolden(printed.stdout, "CODEOWNERS")
            let path = world.directory + "/.github/CODEOWNERS"
            let missing = try world.orgsync(["codeowners", "--output", path, "--check"])
            #expect(missing.status == 1)
            #expect(!FileManager.default.fileExists(atPath: path))
            let written = try world.orgsync(["codeowners", "--output", path])
            #expect(written.status == 0)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == printed.stdout)
            #expect(try world.orgsync(["codeowners", "--output", path, "--check"]).status == 0)
            // Once dana is an owner, she joins the owners' lines, and the committed file is stale.
            try world.edit("members/dana.yaml", replacing: "role: admin\n", with: "role: owner\n")
            let stale = try world.orgsync(["codeowners", "--output", path, "--check"])
            #expect(stale.status == 1)
            #expect(stale.stdout.hasPrefix("\(path) is stale: the roles give another file;"))
            #expect(try world.orgsync(["codeowners"]).stdout.contains("\n/org.yaml @ana-lopez @benokafor @dwhitfield\n"))
        }
    }

    @Test func theLogSaysWhoDidWhatAndWhen() throws {
        try ReviewWorld.withPullRequest { world in
            let log = try world.orgsync(["log"])
            #expect(log.status == 0)
            try expectGolden(log.stdout, "log.txt")
            let workspace = try world.orgsync(["log", "--workspace", "core-prod", "--format", "json"])
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(workspace.stdout.utf8)) as? [[String: Any]])
            #expect(entries.map { $0["summary"] as? String } == ["Top up for Q4", "Fund the EU launch", "Import the Acme organization"])
            let since = try world.orgsync(["log", "--since", "2026-11-21T09:30:00Z", "--limit", "2"])
            #expect(since.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.count == 2)
        }
    }

    @Test func balancesTravelInTime() throws {
        try ReviewWorld.withPullRequest { world in
            func balances(_ at: String) throws -> [String: String] {
                let result = try world.orgsync(["balances", "--at", at, "--format", "json"])
                #expect(result.status == 0, "\(result.stderr)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let rows = try #require(object["workspaces"] as? [[String: Any]])
                return Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["id"] as? String).map { ($0, "\(row["balance"] ?? "")") } })
            }
            let start = try balances("2026-11-21T08:59:59Z")
            #expect(start["core-prod"] == "16196.8522")
            #expect(start["chat-prod"] == "942.6251")
            let funded = try balances("2026-11-21T09:00:00Z")
            #expect(funded["core-prod"] == "10196.8522")
            #expect(funded["chat-prod"] == "6942.6251")
            #expect(try balances("2026-11-21") == balances("pr"))
            #expect(try balances("main") == start)
            let text = try world.orgsync(["balances", "--at", "2026-11-21T09:45:00Z"])
            let commit = try world.git(["rev-parse", "--short=7", "pr~2"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(text.stdout.hasPrefix("As of 2026-11-21T09:45:00Z: commit \(commit) of 2026-11-21T09:30:00Z\n\n"))
            let early = try world.orgsync(["balances", "--at", "2026-11-20"])
            #expect(early.status == 1)
            #expect(early.stderr == "error: there is no commit at or before 2026-11-20T23:59:59Z on the current branch, whose first commit is of 2026-11-21T08:00:00Z\n")
            let both = try world.orgsync(["balances", "--at", "main", "--rev", "main"])
            #expect(both.status == 2)
            let bad = try world.orgsync(["balances", "--at", "yesterday-ish"])
            #expect(bad.status == 2)
            #expect(bad.stderr.hasPrefix("error: 'yesterday-ish' is neither a revision nor a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"))
        }
    }
}
