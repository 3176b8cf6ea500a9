import Foundation
import OrgModel
import OrgTestSupport
import Testing

/// End-to-end enforcement with the real git CLI: client hooks, a bare remote with the pre-receive hook,
/// and `validate --range`, in an isolated git environment.
@Suite("commit-time enforcement")
struct EnforcementTests {
    /// A scratch organization: `org` (a clone with hooks) and `remote.git` (bare, with the server hook).
    struct World {
        let scratch: String
        var org: String { scratch + "/org" }
        var remote: String { scratch + "/remote.git" }

        /// Runs git in the organization as the author `email`. Git pads the `remote:` lines of hooks with
        /// spaces; they are trimmed so that tests compare text.
        @discardableResult
        func git(_ arguments: [String], as email: String = "ana@acme.example", in directory: String? = nil) throws -> ProcessOutput {
            var output = try runProcess("/usr/bin/env", ["git"] + arguments, in: directory ?? org,
                                        environment: isolatedEnvironment(home: scratch, email: email, name: email))
            output.stderr = output.stderr.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacing(#/ +$/#, with: "") }.joined(separator: "\n")
            return output
        }

        func orgsync(_ arguments: [String], as email: String = "ana@acme.example") throws -> ProcessOutput {
            try runProcess(CLITests.orgsync, arguments, in: org, environment: isolatedEnvironment(home: scratch, email: email, name: email))
        }

        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: org + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        func head() throws -> String {
            try git(["rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Stages everything and commits as `email`.
        func commit(_ message: String, as email: String = "ana@acme.example", verify: Bool = true) throws -> ProcessOutput {
            try git(["add", "-A"], as: email)
            return try git(["commit", "-q", "-m", message] + (verify ? [] : ["--no-verify"]), as: email)
        }
    }

    /// Event `n`, dated after everything `orgsync init` records at the clock's now, whatever the day the tests run.
    static func event(_ n: Int, _ body: String) -> (String, String) {
        let id = "01JD" + String(repeating: "0", count: 22 - String(n).count) + String(n)
        return ("ledger/2099/11/\(id).yaml", "id: \(id)\nat: 2099-11-2\(n % 10)T09:00:00Z\n" + body)
    }

    /// Budget mode with 1,000 credits in `core`; `bo` billing, `cy` admin of workspace `team-a`, and `team-b`.
    static func withWorld(_ body: (World) throws -> Void) throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            let created = try runProcess(CLITests.orgsync, ["init", "org", "--name", "Acme", "--mode", "budget", "--credits", "1000", "--primary", "core"],
                                         in: scratch, environment: isolatedEnvironment(home: scratch))
            try #require(created.status == 0, "\(created.stderr)")
            try world.write("members/bo.yaml", "id: bo\nemail: bo@acme.example\nrole: billing\n")
            try world.write("members/cy.yaml", "id: cy\nemail: cy@acme.example\nrole: member\n")
            try world.write("workspaces/team-a.yaml", "id: team-a\nname: Team A\nmembers:\n  - member: cy\n    role: admin\n")
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team B\n")
            let setup = try world.commit("Add bo, cy and two teams")
            try #require(setup.status == 0, "\(setup.stderr)")
            let installed = try world.orgsync(["hooks", "install"])
            try #require(installed.status == 0, "\(installed.stderr)")
            try world.git(["add", ".gitattributes"])
            try #require(try world.git(["commit", "-q", "-m", "Use the orgsync merge driver"]).status == 0)
            try body(world)
        }
    }

    @Test func anInvalidCommitIsRefusedAndHeadStays() throws {
        try Self.withWorld { world in
            let before = try world.head()
            let (path, text) = Self.event(1, "by: ana\ntype: transfer\nfrom: core\nto: team-a\ncredits: 1500\n")
            try world.write(path, text)
            let result = try world.commit("Overdraw")
            #expect(result.status == 1)
            #expect(result.stderr == """
            \(path):7:10: error: [R7] transfer of 1500 exceeds the 1000 credits available in 'core' at 2099-11-21T09:00:00Z; transfer at most 1000 or top up first
            orgsync: commit refused: 1 error in the staged changes, committing as ana@acme.example. Fix them and commit again.

            """)
            #expect(try world.head() == before)
            // The staged state is still there to fix.
            #expect(try world.git(["diff", "--cached", "--name-only"]).stdout == path + "\n")
        }
    }

    @Test func aNonMemberIsRefused() throws {
        try Self.withWorld { world in
            let before = try world.head()
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\n")
            let result = try world.commit("Rename", as: "eve@evil.example")
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("""
            workspaces/team-b.yaml:2:7: error: [T4] 'eve@evil.example' is not a member of the organization, and a non-member may change nothing; commit as a member (git config user.email) or ask an owner to add you. This commit changed the name of workspace 'team-b'

            """))
            #expect(try world.head() == before)
        }
    }

    @Test func billingCanTransferButCannotAddMembers() throws {
        try Self.withWorld { world in
            let (path, text) = Self.event(1, "by: bo\ntype: transfer\nfrom: core\nto: team-a\ncredits: 250\n")
            try world.write(path, text)
            #expect(try world.commit("Fund team A", as: "bo@acme.example").status == 0)

            try world.write("members/dee.yaml", "id: dee\nemail: dee@acme.example\nrole: member\n")
            let result = try world.commit("Add dee", as: "bo@acme.example")
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("""
            members/dee.yaml:1:1: error: [T4] billing 'bo' (bo@acme.example) may not make this change: added member 'dee'; billing may only add ledger events (top-ups, transfers and mode changes)

            """))
            let balances = try world.orgsync(["balances", "--rev", "HEAD", "--format", "json"])
            #expect(balances.stdout.contains("\"balance\": 250"))
        }
    }

    @Test func aWorkspaceAdminChangesOnlyTheirWorkspace() throws {
        try Self.withWorld { world in
            try world.write("workspaces/team-a.yaml", "id: team-a\nname: Team Alpha\nmembers:\n  - member: cy\n    role: admin\n  - member: bo\n    role: viewer\n")
            #expect(try world.commit("Rename my team, add bo", as: "cy@acme.example").status == 0)

            let before = try world.head()
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Mine Now\n")
            let result = try world.commit("Rename another team", as: "CY@acme.example")
            #expect(result.status == 1)
            #expect(result.stderr.contains("workspaces/team-b.yaml:2:7: error: [T4] member 'cy' (CY@acme.example) may not make this change: changed the name of workspace 'team-b'; a member may change nothing in the organization, and as admin of 'team-a' may change that workspace's name, members, keys and provider settings\n"))
            #expect(try world.head() == before)
        }
    }

    @Test func theServerAcceptsValidPushesAndRejectsTheRest() throws {
        try Self.withWorld { world in
            #expect(try world.git(["init", "-q", "--bare", world.remote], in: world.scratch).status == 0)
            let installed = try world.orgsync(["hooks", "install", "--server", "--repo", world.remote])
            #expect(installed.status == 0)
            // A bare repository made without -b names a branch that will not exist; the installer says so.
            #expect(installed.stderr == "note: HEAD names refs/heads/master, which does not exist yet; the hook protects the branch HEAD names from deletion and rewrites (until then, every branch holding organization files), so point it at the organization's branch: git --git-dir \(world.remote) symbolic-ref HEAD refs/heads/main\n")
            #expect(try world.git(["--git-dir", world.remote, "symbolic-ref", "HEAD", "refs/heads/main"]).status == 0)
            #expect(try world.git(["remote", "add", "origin", world.remote]).status == 0)
            let first = try world.git(["push", "-q", "origin", "main"])
            #expect(first.status == 0, "\(first.stderr)")

            // A valid transfer is accepted.
            let (fund, fundText) = Self.event(1, "by: ana\ntype: transfer\nfrom: core\nto: team-a\ncredits: 100\n")
            try world.write(fund, fundText)
            #expect(try world.commit("Fund team A").status == 0)
            #expect(try world.git(["push", "-q", "origin", "main"]).status == 0)

            // An invalid state, committed past the local hook, is rejected by the server.
            let (overdraw, overdrawText) = Self.event(2, "by: ana\ntype: transfer\nfrom: team-a\nto: team-b\ncredits: 101\n")
            try world.write(overdraw, overdrawText)
            #expect(try world.commit("Overdraw team A", verify: false).status == 0)
            let bad = try world.head()
            let rejected = try world.git(["push", "origin", "main"])
            #expect(rejected.status != 0)
            #expect(rejected.stderr.contains("remote: orgsync: rejected refs/heads/main\n"))
            #expect(rejected.stderr.contains("remote:   commit \(bad.prefix(10)) Overdraw team A (ana@acme.example): invalid\n"))
            #expect(rejected.stderr.contains("remote:     \(overdraw):7:10: error: [R7] transfer of 101 exceeds the 100 credits available in 'team-a' at 2099-11-22T09:00:00Z; transfer at most 100 or top up first\n"))
            #expect(rejected.stderr.contains("remote: orgsync: push rejected: 1 of 1 ref update breaks the organization's rules; fix the commits and push again\n"))
            #expect(try world.git(["rev-parse", "main"], in: world.remote).stdout != bad + "\n")

            // The range check in CI flags the same commit.
            let range = try world.orgsync(["validate", "--range", "origin/main..HEAD"])
            #expect(range.status == 1)
            #expect(range.stdout.hasPrefix("commit \(bad.prefix(10)) Overdraw team A (ana@acme.example): invalid\n  \(overdraw):7:10: error: [R7]"))
            #expect(range.stdout.hasSuffix("invalid: 1 of 1 commit in origin/main..HEAD breaks a rule\n"))

            // An unauthorized author is rejected.
            #expect(try world.git(["reset", "-q", "--hard", "origin/main"]).status == 0)
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\n")
            #expect(try world.commit("Rename team B", as: "bo@acme.example", verify: false).status == 0)
            let unauthorized = try world.git(["push", "origin", "main"], as: "bo@acme.example")
            #expect(unauthorized.status != 0)
            #expect(unauthorized.stderr.contains("error: [T4] billing 'bo' (bo@acme.example) may not make this change: changed the name of workspace 'team-b'"))

            // A history that removes a ledger event is rejected, even when every new commit is valid on its own.
            #expect(try world.git(["reset", "-q", "--hard", "origin/main~1"]).status == 0)
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\n")
            #expect(try world.commit("Rename team B").status == 0)
            let rewrite = try world.git(["push", "--force", "origin", "main"])
            #expect(rewrite.status != 0)
            #expect(rewrite.stderr.contains("remote:   refs/heads/main: error: [T1] refs/heads/main is the organization's branch and only moves forward, but this push rewrites it ("))
            #expect(rewrite.stderr.contains("remote:   \(fund): error: [T1] ledger event file \(fund) was removed; ledger files are append-only (F5): restore it, and record a correction as a new event\n"))

            // And so is a commit that deletes one.
            #expect(try world.git(["reset", "-q", "--hard", "origin/main"]).status == 0)
            #expect(try world.git(["rm", "-q", fund]).status == 0)
            #expect(try world.git(["commit", "-q", "--no-verify", "-m", "Forget the funding"]).status == 0)
            let deletion = try world.git(["push", "origin", "main"])
            #expect(deletion.status != 0)
            #expect(deletion.stderr.contains("error: [T1] ledger event file \(fund) was removed"))
            #expect(try world.git(["rev-parse", "main"], in: world.remote).stdout == (try world.git(["rev-parse", "origin/main"]).stdout))

            // The organization's branch cannot be deleted (and so cannot be recreated from an older commit).
            let deleteMain = try world.git(["push", "origin", "--delete", "main"])
            #expect(deleteMain.status != 0)
            #expect(deleteMain.stderr.contains("remote:   refs/heads/main: error: [T1] refs/heads/main is the organization's branch and holds its history; it cannot be deleted\n"))
            // Nor can a pusher swap the program that checks the push.
            let swapped = try runProcess("/usr/bin/env", ["ORGSYNC=/bin/true", "git", "push", "origin", "--delete", "main"], in: world.org,
                                         environment: isolatedEnvironment(home: world.scratch))
            #expect(swapped.status != 0)
            // Other branches come and go.
            #expect(try world.git(["push", "-q", "origin", "origin/main:refs/heads/feature"]).status == 0)
            #expect(try world.git(["push", "-q", "origin", "--delete", "feature"]).status == 0)
        }
    }

    @Test func commitAllUsesTheIndexGitCommits() throws {
        try Self.withWorld { world in
            let before = try world.head()
            // `git commit -a` stages into a temporary index named by GIT_INDEX_FILE; that is what is checked.
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team B\nprimary: true\n")
            let result = try world.git(["commit", "-q", "-a", "-m", "Second primary"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: [R3] 'team-b' and 'core' are both primary"))
            #expect(try world.head() == before)
        }
    }

    @Test func mergesAreCheckedForWhatTheyAdd() throws {
        try Self.withWorld { world in
            // Two transfers that each fit, on two branches; together they overdraw.
            #expect(try world.git(["checkout", "-q", "-b", "side"]).status == 0)
            let (left, leftText) = Self.event(1, "by: bo\ntype: transfer\nfrom: core\nto: team-a\ncredits: 600\n")
            try world.write(left, leftText)
            #expect(try world.commit("Fund team A", as: "bo@acme.example").status == 0)
            #expect(try world.git(["checkout", "-q", "main"]).status == 0)
            let (right, rightText) = Self.event(2, "by: bo\ntype: transfer\nfrom: core\nto: team-b\ncredits: 600\n")
            try world.write(right, rightText)
            #expect(try world.commit("Fund team B", as: "bo@acme.example").status == 0)
            let before = try world.head()
            let merge = try world.git(["merge", "--no-edit", "side"], as: "cy@acme.example")
            #expect(merge.status != 0)
            #expect(merge.stderr.contains("  V1  violation  [R7] \(right):7:10\n      transfer of 600 exceeds the 400 credits available in 'core' at 2099-11-22T09:00:00Z; transfer at most 400 or top up first\n"))
            #expect(try world.head() == before)
            #expect(try world.git(["merge", "--abort"]).status == 0)

            // A clean merge adds nothing of its own, so a member with no rights may make it.
            #expect(try world.git(["checkout", "-q", "-b", "rename", "HEAD~1"]).status == 0)
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\n")
            #expect(try world.commit("Rename team B").status == 0)
            #expect(try world.git(["checkout", "-q", "main"]).status == 0)
            let clean = try world.git(["merge", "--no-edit", "rename"], as: "cy@acme.example")
            #expect(clean.status == 0, "\(clean.stderr)")

            // A conflict resolved with a value from neither side is the merger's own change.
            #expect(try world.git(["checkout", "-q", "-b", "other", "HEAD~1"]).status == 0)
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bravo\n")
            #expect(try world.commit("Rename team B again").status == 0)
            #expect(try world.git(["checkout", "-q", "main"]).status == 0)
            #expect(try world.git(["merge", "--no-edit", "other"], as: "cy@acme.example").status != 0)
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Both\n")
            let resolved = try world.commit("Merge other", as: "cy@acme.example")
            #expect(resolved.status == 1)
            #expect(resolved.stderr.contains("workspaces/team-b.yaml:2:7: error: [T4] member 'cy' (cy@acme.example) may not make this change: changed the name of workspace 'team-b'"))
        }
    }

    @Test func validateStagedActsAsTheGitIdentityOrAs() throws {
        try Self.withWorld { world in
            try world.write("members/dee.yaml", "id: dee\nemail: dee@acme.example\nrole: member\n")
            #expect(try world.git(["add", "-A"]).status == 0)
            let owner = try world.orgsync(["validate", "--staged"])
            #expect(owner.status == 0)
            #expect(owner.stdout == "valid: staged changes in \(world.org) as ana@acme.example (3 workspaces, 4 members, 2 ledger events, 0 usage records)\n")

            let billing = try world.orgsync(["validate", "--staged", "--as", "bo@acme.example", "--format", "json"])
            #expect(billing.status == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(billing.stdout.utf8)) as? [String: Any])
            #expect(object["state"] as? String == "staged")
            let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
            #expect(diagnostic["rule"] as? String == "T4")
            #expect(diagnostic["path"] as? String == "members/dee.yaml")

            let misuse = try world.orgsync(["validate", "--range", "HEAD~1..HEAD", "--staged"])
            #expect(misuse.status == 2)
            #expect(misuse.stderr.hasPrefix("Error: --staged and --range cannot be combined; pick one state to check\n"))
        }
    }

    @Test func hooksLetARepositoryWithoutAnOrganizationBeUntilOneIsCreated() throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            #expect(try world.git(["init", "-q", "-b", "main", world.org], in: scratch).status == 0)
            let installed = try world.orgsync(["hooks", "install"])
            #expect(installed.status == 0)
            #expect(installed.stderr == "note: \(world.org) has no org.yaml at its root yet; the hooks check the organization that is the whole repository, from the commit that adds it on\n")
            try world.write("README.md", "# Acme\n")
            #expect(try world.commit("Readme", as: "anyone@example.com").status == 0)

            let created = try world.orgsync(["init", ".", "--name", "Acme", "--owner", "ana@acme.example"])
            #expect(created.status == 0, "\(created.stderr)")
            #expect(try world.orgsync(["validate", "--range", "main"]).stdout.hasSuffix("valid: 2 commits in main\n"))
            try world.write("README.md", "# Acme Corp\n")
            let refused = try world.commit("Readme", as: "anyone@example.com")
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("README.md: error: [T4] 'anyone@example.com' is not a member of the organization"))
        }
    }

    @Test func installingTwiceChainsAnExistingHookOnce() throws {
        try Self.withWorld { world in
            let hooks = world.org + "/.git/hooks"
            // Replace orgsync's hook with a foreign one, as another tool would, then install again.
            try Data("#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/foreign-ran\"\n".utf8).write(to: URL(fileURLWithPath: hooks + "/pre-commit"))
            #expect(chmod(hooks + "/pre-commit", 0o755) == 0)
            let first = try world.orgsync(["hooks", "install"])
            #expect(first.stdout.contains("kept the existing hook as \(hooks)/pre-commit.orgsync-chained; it runs first\n"))
            // An install killed between keeping the foreign hook and writing its own is picked up again.
            let kept = try Data(contentsOf: URL(fileURLWithPath: hooks + "/pre-commit.orgsync-chained"))
            try kept.write(to: URL(fileURLWithPath: hooks + "/pre-merge-commit"))
            try kept.write(to: URL(fileURLWithPath: hooks + "/pre-merge-commit.orgsync-chained"))
            #expect(chmod(hooks + "/pre-merge-commit", 0o755) == 0)
            let resumed = try world.orgsync(["hooks", "install"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.contains("installed \(hooks)/pre-merge-commit\n"))
            #expect(try String(contentsOfFile: hooks + "/pre-merge-commit", encoding: .utf8).contains("hooks run pre-merge-commit"))
            let second = try world.orgsync(["hooks", "install"])
            #expect(second.status == 0)
            #expect(!second.stdout.contains("kept the existing hook"))
            #expect(second.stdout.contains(".gitattributes already routes the organization's paths to the driver\n"))
            let attributes = try String(contentsOfFile: world.org + "/.gitattributes", encoding: .utf8)
            #expect(attributes.components(separatedBy: "/ledger/** merge=orgsync").count == 2)
            #expect(try world.git(["config", "merge.orgsync.driver"]).stdout.hasSuffix("' merge-driver %O %A %B %P\n"))

            // Both run: the foreign hook first, then orgsync's check.
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\n")
            #expect(try world.commit("Rename team B").status == 0)
            #expect(FileManager.default.fileExists(atPath: world.org + "/.git/foreign-ran"))
            try world.write("workspaces/team-b.yaml", "id: team-b\nname: Team Bee\nprimary: maybe\n")
            let refused = try world.commit("Break it")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("orgsync: commit refused"))
        }
    }
}
