import Foundation
import OrgModel
import OrgTestSupport
import Testing

/// The semantic merge end to end: two clones of a bare remote that has the server hook, the real `git
/// merge` and `git pull` with orgsync's merge driver and hooks, and `orgsync merge` in process.
@Suite("semantic merge")
struct MergeCommandTests {
    struct World {
        let scratch: String
        var remote: String { scratch + "/remote.git" }
        /// Ana's clone (where the organization was made) and Bo's.
        var ana: String { scratch + "/org" }
        var bo: String { scratch + "/bo" }

        func orgsync(_ arguments: [String], in directory: String) throws -> ProcessOutput {
            try runProcess(CLITests.orgsync, arguments, in: directory, environment: isolatedEnvironment(home: scratch))
        }

        @discardableResult
        func git(_ arguments: [String], in directory: String) throws -> ProcessOutput {
            try runProcess("/usr/bin/env", ["git"] + arguments, in: directory, environment: isolatedEnvironment(home: scratch))
        }

        /// Runs an orgsync command that must succeed, and returns the ids of the events it wrote.
        @discardableResult
        func run(_ arguments: [String], in directory: String) throws -> [String] {
            let output = try orgsync(arguments + ["--format", "json"], in: directory)
            try #require(output.status == 0, "\(arguments): \(output.stdout)\(output.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
            return object?["events"] as? [String] ?? []
        }

        func file(_ path: String, in directory: String) -> String? {
            FileManager.default.contents(atPath: directory + "/" + path).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// An organization with 10,000 credits, a workspace `research` holding 1,000, the hooks and the merge
    /// driver installed, pushed to a bare remote with the server hook, and cloned for Bo.
    static func withWorld(_ body: (World) throws -> Void) throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            let created = try world.orgsync(["init", "org", "--name", "Acme", "--mode", "budget", "--credits", "10000"], in: scratch)
            try #require(created.status == 0, "\(created.stderr)")
            try #require(try world.orgsync(["hooks", "install"], in: world.ana).status == 0)
            try world.git(["add", ".gitattributes"], in: world.ana)
            try #require(try world.git(["commit", "-q", "-m", "Use the orgsync merge driver"], in: world.ana).status == 0)
            try world.run(["workspace", "create", "research", "--name", "Research Lab"], in: world.ana)
            try world.run(["transfer", "--from", "primary", "--to", "research", "--credits", "1000"], in: world.ana)
            try world.run(["member", "add", "bo", "--email", "bo@acme.example", "--name", "Bo"], in: world.ana)

            try world.git(["init", "-q", "--bare", "-b", "main", world.remote], in: scratch)
            try #require(try world.orgsync(["hooks", "install", "--server", "--repo", world.remote], in: scratch).status == 0)
            try world.git(["remote", "add", "origin", world.remote], in: world.ana)
            try #require(try world.git(["push", "-q", "-u", "origin", "main"], in: world.ana).status == 0)
            try #require(try world.git(["clone", "-q", world.remote, world.bo], in: scratch).status == 0)
            try #require(try world.orgsync(["hooks", "install"], in: world.bo).status == 0)
            try body(world)
        }
    }

    @Test("two transfers that fit together merge through git pull, and the server accepts the merge")
    func fittingTransfers() throws {
        try Self.withWorld { world in
            try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "300"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "400"], in: world.ana)
            let pull = try world.git(["pull", "-q", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(pull.status == 0, "\(pull.stderr)")
            let balances = try world.orgsync(["balances", "--format", "json"], in: world.ana)
            #expect(balances.stdout.contains("\"id\": \"research\""))
            let sheet = try world.orgsync(["workspace", "show", "research"], in: world.ana)
            #expect(sheet.stdout.contains("300"), "\(sheet.stdout)")
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
        }
    }

    @Test("different fields of one file merge through git merge and the driver")
    func differentFields() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research (EU)"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["member", "assign", "bo", "--workspace", "research", "--role", "admin"], in: world.ana)
            try world.git(["fetch", "-q"], in: world.ana)
            let merge = try world.git(["merge", "-q", "--no-edit", "origin/main"], in: world.ana)
            #expect(merge.status == 0, "\(merge.stderr)")
            #expect(world.file("workspaces/research.yaml", in: world.ana) == """
            id: research
            name: Research (EU)
            members:
              - member: bo
                role: admin

            """)
            #expect(try world.git(["status", "--porcelain"], in: world.ana).stdout == "")
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
        }
    }

    @Test("two transfers that together overdraw: a violation naming both events, no local commit lost, settled by dropping the unpublished one")
    func overdraw() throws {
        try Self.withWorld { world in
            let theirs = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "600"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            let ours = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "700", "--memo", "offline"], in: world.ana)
            let local = try world.git(["rev-parse", "HEAD"], in: world.ana).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(ours.count == 1 && theirs.count == 1)

            // The ledger files differ, so git merges them cleanly; the pre-merge-commit hook replays the result.
            let pull = try world.git(["pull", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(pull.status != 0)
            #expect(pull.stderr.contains("V1  violation  [R7] ledger/"), "\(pull.stderr)")
            #expect(pull.stderr.contains("      ours: event \(ours[0]), transfer of 700 from 'research' to 'primary'\n"))
            #expect(pull.stderr.contains("      theirs: event \(theirs[0]), transfer of 600 from 'research' to 'primary'\n"))
            #expect(pull.stderr.contains("      fix: orgsync resolve V1 --drop \(ours[0])   (ours, not published yet)\n"))
            // Nothing is lost: HEAD is still the local commit, and both events are in the work tree.
            #expect(try world.git(["rev-parse", "HEAD"], in: world.ana).stdout == local + "\n")
            #expect(try world.git(["rev-parse", "-q", "--verify", "MERGE_HEAD"], in: world.ana).status == 0)

            let status = try world.orgsync(["status", "--format", "json"], in: world.ana)
            #expect(status.status == 1)
            let merge = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["merge"] as? [String: Any])
            let violations = try #require(merge["violations"] as? [[String: Any]])
            #expect(violations.map { $0["id"] as? String } == ["V1"])
            #expect((violations.first?["causes"] as? [[String: Any]])?.map { "\($0["side"] ?? "") \($0["id"] ?? "")" } == ["ours \(ours[0])", "theirs \(theirs[0])"])

            // What the merged-in side brings may be published: it is not offered, and not taken.
            let published = try world.orgsync(["resolve", "V1", "--drop", theirs[0]], in: world.ana)
            #expect(published.status == 1)
            #expect(published.stderr == "error: \(theirs[0]) cannot be dropped: it comes from the side being merged in, which may be published already, and a merge keeps all of it; drop one of \(ours[0])\n")
            // Nor can a merge commit leave it out by hand: the hook refuses (and so would the server).
            try world.git(["rm", "-q", "-f", try #require(try world.git(["diff", "--cached", "--name-only", "HEAD"], in: world.ana).stdout.split(separator: "\n").map(String.init).first { $0.contains(theirs[0]) })], in: world.ana)
            let byHand = try world.git(["commit", "-q", "--no-edit"], in: world.ana)
            #expect(byHand.status != 0)
            #expect(byHand.stderr.contains("[T1] ledger event file ledger/"))
            try world.git(["merge", "--abort"], in: world.ana)
            #expect(try world.git(["rev-parse", "HEAD"], in: world.ana).stdout == local + "\n")

            // Merge again, and drop our own, unpublished event.
            let again = try world.git(["pull", "-q", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(again.status != 0, "\(again.stdout)\(again.stderr)")
            let dropped = try world.orgsync(["resolve", "V1", "--drop", ours[0]], in: world.ana)
            #expect(dropped.status == 0, "\(dropped.stderr)")
            #expect(dropped.stdout == "Settled V1: dropped event \(ours[0]) (ours: transfer of 700 from 'research' to 'primary').\nNothing is left to settle; commit the merge with 'orgsync merge --continue' or 'git commit'.\n")
            #expect(try world.git(["commit", "-q", "--no-edit"], in: world.ana).status == 0)
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
            // The dropped event's commit is still in history.
            #expect(try world.git(["merge-base", "--is-ancestor", local, "HEAD"], in: world.ana).status == 0)
            #expect(try world.orgsync(["status"], in: world.ana).status == 0)
        }
    }

    @Test("the same field set differently: a conflict with no markers, commits refused until 'orgsync resolve' settles it")
    func conflict() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research US"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["workspace", "rename", "research", "--name", "Research EU"], in: world.ana)
            let pull = try world.git(["pull", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(pull.status == 1)
            #expect(pull.stdout.contains("CONFLICT (content): Merge conflict in workspaces/research.yaml"))
            #expect(pull.stderr.contains("orgsync: C1 workspaces/research.yaml: name: name was changed on both sides to different values; the file keeps ours\n"))
            #expect(world.file("workspaces/research.yaml", in: world.ana) == "id: research\nname: Research EU\n")

            let status = try world.orgsync(["status"], in: world.ana)
            #expect(status.status == 1)
            #expect(status.stdout.hasSuffix("""
            1 conflict and 0 violations to settle.

              C1  conflict  workspaces/research.yaml: name
                  name was changed on both sides to different values
                  base: "Research Lab"
                  ours: "Research EU"  (what the merge wrote)
                  theirs: "Research US"
                  settle: orgsync resolve C1 --take ours|theirs, or edit the file and --edited

            """))
            // git itself refuses while the file is unmerged; after a plain 'git add', the hook still does.
            #expect(try world.git(["commit", "-q", "--no-edit"], in: world.ana).status != 0)
            try world.git(["add", "workspaces/research.yaml"], in: world.ana)
            let refused = try world.git(["commit", "-q", "--no-edit"], in: world.ana)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("commit refused: the merge has 1 unsettled conflict"))

            let settled = try world.orgsync(["resolve", "C1", "--take", "theirs"], in: world.ana)
            #expect(settled.stdout == "Settled C1: took theirs for workspaces/research.yaml: name.\nNothing is left to settle; commit the merge with 'orgsync merge --continue' or 'git commit'.\n")
            #expect(world.file("workspaces/research.yaml", in: world.ana) == "id: research\nname: Research US\n")
            #expect(try world.git(["commit", "-q", "--no-edit"], in: world.ana).status == 0)
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
            let after = try world.orgsync(["status"], in: world.ana)
            #expect(after.status == 0)
            #expect(!FileManager.default.fileExists(atPath: world.ana + "/.git/orgsync/merge.json"))
        }
    }

    @Test("a workspace deleted on one side and renamed on the other: a conflict the deletion wins")
    func deleteAgainstEdit() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research Lab II"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["workspace", "delete", "research"], in: world.ana)
            try world.git(["fetch", "-q"], in: world.ana)
            let tombstone = world.file("workspaces/research.yaml", in: world.ana)
            let merge = try world.orgsync(["merge", "origin/main"], in: world.ana)
            #expect(merge.status == 1, "\(merge.stderr)")
            #expect(merge.stdout.contains("C1  conflict  workspaces/research.yaml\n      workspace 'research' was deleted on our side and edited on theirs; a deletion is permanent, so the merge keeps the tombstone and the edit is not applied\n      settle: orgsync resolve C1 --take ours\n"))
            #expect(!merge.stdout.contains("balances:"))
            #expect(world.file("workspaces/research.yaml", in: world.ana) == tombstone)
            let revive = try world.orgsync(["resolve", "C1", "--take", "theirs"], in: world.ana)
            #expect(revive.status == 1)
            #expect(revive.stderr.contains("A tombstone cannot be revived, so only --take ours settles it"))
            #expect(try world.orgsync(["merge", "--continue"], in: world.ana).stderr.contains("the merge still has 1 conflict and 0 violations to settle"))
            #expect(try world.orgsync(["resolve", "C1", "--take", "ours"], in: world.ana).status == 0)
            let committed = try world.orgsync(["merge", "--continue"], in: world.ana)
            #expect(committed.status == 0, "\(committed.stderr)")
            #expect(committed.stdout.hasPrefix("Committed the merge "))
            #expect(try world.git(["log", "-1", "--format=%s%n%(trailers:key=Orgsync-Operation,valueonly)"], in: world.ana).stdout == "Merge origin/main into main\nmerge\n\n")
            #expect(try world.git(["status", "--porcelain"], in: world.ana).stdout == "")
            #expect(try world.orgsync(["validate", "--rev", "HEAD"], in: world.ana).status == 0)
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
        }
    }

    @Test("git merge of a branch that breaks a rule in a file both sides changed: the driver names it, and status and resolve settle it")
    func driverRefusesAnInvalidMerge() throws {
        try Self.withWorld { world in
            // A branch made without the hooks, with a typo in a key.
            try world.git(["checkout", "-q", "-b", "typo"], in: world.ana)
            let typo = "id: research\nname: Research Lab\nsetings:\n  region: eu\n"
            try Data(typo.utf8).write(to: URL(fileURLWithPath: world.ana + "/workspaces/research.yaml"))
            try #require(try world.git(["commit", "-q", "--no-verify", "-am", "Region"], in: world.ana).status == 0)
            try world.git(["checkout", "-q", "main"], in: world.ana)
            try world.run(["workspace", "rename", "research", "--name", "Research EU"], in: world.ana)

            let merge = try world.git(["merge", "--no-edit", "typo"], in: world.ana)
            #expect(merge.status == 1)
            #expect(merge.stderr.contains("orgsync: C1 workspaces/research.yaml: the merged file breaks a rule on its own: workspaces/research.yaml:3:1: [F4] unknown key 'setings' in a workspace; did you mean 'settings'?; the file holds the merge: fix it and settle with --edited, or take a side\n"),
                    "\(merge.stderr)")
            #expect(world.file("workspaces/research.yaml", in: world.ana) == "id: research\nname: Research EU\nsetings:\n  region: eu\n")

            let status = try world.orgsync(["status"], in: world.ana)
            #expect(status.status == 1)
            #expect(status.stdout.contains("""
              C1  conflict  workspaces/research.yaml
                  the merged file breaks a rule on its own: workspaces/research.yaml:3:1: [F4] unknown key 'setings' in a workspace; did you mean 'settings'?
                  settle: orgsync resolve C1 --take ours|theirs, or edit the file and --edited

            """), "\(status.stdout)")
            // Fixed by hand, settled as edited, and the merge commits through the hooks.
            try Data("id: research\nname: Research EU\nsettings:\n  region: eu\n".utf8).write(to: URL(fileURLWithPath: world.ana + "/workspaces/research.yaml"))
            let settled = try world.orgsync(["resolve", "C1", "--edited"], in: world.ana)
            #expect(settled.status == 0, "\(settled.stderr)")
            let committed = try world.git(["commit", "-q", "--no-edit"], in: world.ana)
            #expect(committed.status == 0, "\(committed.stderr)")
            #expect(try world.orgsync(["validate", "--rev", "HEAD"], in: world.ana).status == 0)
        }
    }

    @Test("one event id written twice: theirs keeps it, ours is made again under a new id, and the server accepts the merge")
    func oneIdTwice() throws {
        try Self.withWorld { world in
            let id = "01M7Y2QGX89R10JXA4CND71M0P"
            func event(_ credits: String) -> String {
                "id: \(id)\nat: 2099-11-21T10:00:00Z\nby: ana\ntype: transfer\nfrom: research\nto: primary\ncredits: \(credits)\n"
            }
            let path = "ledger/2099/11/\(id).yaml"
            for (clone, credits) in [(world.bo, "10"), (world.ana, "20")] {
                try FileManager.default.createDirectory(atPath: clone + "/ledger/2099/11", withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: clone + "/" + path, contents: Data(event(credits).utf8))
                try world.git(["add", path], in: clone)
                try #require(try world.git(["commit", "-q", "-m", "Move \(credits)"], in: clone).status == 0)
            }
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            let pull = try world.git(["pull", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(pull.status == 1)
            #expect(world.file(path, in: world.ana) == event("20"))
            #expect(try world.orgsync(["resolve", "C1", "--take", "ours"], in: world.ana).stderr.contains("--take theirs"))
            let settled = try world.orgsync(["resolve", "C1", "--take", "theirs"], in: world.ana)
            #expect(settled.status == 0, "\(settled.stderr)")
            #expect(world.file(path, in: world.ana) == event("10"))
            #expect(try world.git(["commit", "-q", "--no-edit"], in: world.ana).status == 0)
            // Both transfers are in the ledger: 1,000 − 10 − 20 is left in research.
            let show = try world.orgsync(["workspace", "show", "research", "--format", "json"], in: world.ana)
            #expect(show.stdout.contains("\"balance\": 970"), "\(show.stdout)")
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
        }
    }

    @Test("usage the other side recorded for a workspace deleted offline cannot be merged away")
    func usageOfADeletedWorkspace() throws {
        try Self.withWorld { world in
            let usage = "usage/research/2099/11/21-gw.jsonl"
            try FileManager.default.createDirectory(atPath: world.bo + "/usage/research/2099/11", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: world.bo + "/" + usage, contents: Data("{\"id\":\"u1\",\"at\":\"2099-11-21T10:00:00Z\",\"member\":\"bo\",\"tool\":\"chat\",\"credits\":250}\n".utf8))
            try world.git(["add", usage], in: world.bo)
            try #require(try world.git(["commit", "-q", "-m", "Usage"], in: world.bo).status == 0)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["workspace", "delete", "research"], in: world.ana)
            let pull = try world.git(["pull", "--no-rebase", "--no-edit"], in: world.ana)
            #expect(pull.status != 0)
            #expect(pull.stderr.contains("[T3] 'research' is deleted on one side of this merge, and the other side recorded 1 usage record (250 credits) for it that its tombstone does not count"))
            let status = try world.orgsync(["status"], in: world.ana)
            #expect(status.stdout.contains("theirs: record u1, usage of 250 by 'bo' (chat) in 'research'"), "\(status.stdout)")
            #expect(status.stdout.contains("fix: 'research' is deleted on one side and has usage from the other"))
            let drop = try world.orgsync(["resolve", "V1", "--drop", "u1"], in: world.ana)
            #expect(drop.status == 1)
            #expect(drop.stderr.contains("u1 cannot be dropped: it comes from the side being merged in"))
            #expect(try world.git(["merge", "--abort"], in: world.ana).status == 0)
        }
    }

    @Test("an id clash settled for theirs, whose reissued event then overdraws: the drop offered is ours, under its new id")
    func clashThenOverdraw() throws {
        try Self.withWorld { world in
            let id = "01M7Y2QGX89R10JXA4CND71M0P", path = "ledger/2099/11/01M7Y2QGX89R10JXA4CND71M0P.yaml"
            for (clone, credits) in [(world.bo, "900"), (world.ana, "500")] {
                let text = "id: \(id)\nat: 2099-11-21T10:00:00Z\nby: ana\ntype: transfer\nfrom: research\nto: primary\ncredits: \(credits)\n"
                try FileManager.default.createDirectory(atPath: clone + "/ledger/2099/11", withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: clone + "/" + path, contents: Data(text.utf8))
                try world.git(["add", path], in: clone)
                try #require(try world.git(["commit", "-q", "-m", "Move \(credits)"], in: clone).status == 0)
            }
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            #expect(try world.git(["pull", "-q", "--no-rebase", "--no-edit"], in: world.ana).status == 1)
            let settled = try world.orgsync(["resolve", "C1", "--take", "theirs"], in: world.ana)
            #expect(settled.status == 0)
            let again = try #require(settled.stdout.split(separator: "\n").first.flatMap { line in line.range(of: "our event is now ").map { String(line[$0.upperBound...].dropLast()) } })
            let newID = String(again.split(separator: "/").last?.dropLast(5) ?? "")
            #expect(settled.stdout.contains("V2  violation  [R7] \(again)"), "\(settled.stdout)")
            #expect(settled.stdout.contains("ours: event \(newID), transfer of 500 from 'research' to 'primary'"))
            #expect(settled.stdout.contains("theirs: event \(id), transfer of 900 from 'research' to 'primary'"))
            #expect(try world.orgsync(["resolve", "V2", "--drop", id], in: world.ana).status == 1)
            #expect(try world.orgsync(["resolve", "V2", "--drop", newID], in: world.ana).status == 0)
            #expect(world.file(path, in: world.ana)?.contains("credits: 900") == true)
            #expect(try world.orgsync(["merge", "--continue"], in: world.ana).status == 0)
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)
        }
    }

    @Test("our usage of a workspace the other side deleted goes with the merge; a published event of ours is not offered")
    func ownUsageAndPublishedEvents() throws {
        try Self.withWorld { world in
            // Bo deletes research and pushes; Ana recorded usage there offline.
            try world.run(["workspace", "delete", "research"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            let usage = "usage/research/2099/11/21-gw.jsonl"
            try FileManager.default.createDirectory(atPath: world.ana + "/usage/research/2099/11", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: world.ana + "/" + usage, contents: Data("{\"id\":\"u1\",\"at\":\"2099-11-21T10:00:00Z\",\"member\":\"bo\",\"tool\":\"chat\",\"credits\":250}\n".utf8))
            try world.git(["add", usage], in: world.ana)
            try #require(try world.git(["commit", "-q", "-m", "Usage"], in: world.ana).status == 0)
            #expect(try world.git(["pull", "-q", "--no-rebase", "--no-edit"], in: world.ana).status != 0)
            let dropped = try world.orgsync(["resolve", "V1", "--drop", "u1"], in: world.ana)
            #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
            #expect(!FileManager.default.fileExists(atPath: world.ana + "/" + usage))
            #expect(try world.orgsync(["merge", "--continue"], in: world.ana).status == 0)
            #expect(try world.git(["push", "-q"], in: world.ana).status == 0)

            // A local branch moves 600 out of lab while main moves 700 and publishes it: merging the branch into
            // main, ours (main's 700) is published, so only merging the other way round can drop one.
            try world.run(["workspace", "create", "lab", "--name", "Lab"], in: world.ana)
            try world.run(["transfer", "--from", "primary", "--to", "lab", "--credits", "1000"], in: world.ana)
            try world.git(["checkout", "-q", "-b", "feat"], in: world.ana)
            try world.run(["transfer", "--from", "lab", "--to", "primary", "--credits", "600"], in: world.ana)
            try world.git(["checkout", "-q", "main"], in: world.ana)
            let published = try world.run(["transfer", "--from", "lab", "--to", "primary", "--credits", "700"], in: world.ana)
            try #require(try world.git(["push", "-q"], in: world.ana).status == 0)
            let merge = try world.orgsync(["merge", "feat"], in: world.ana)
            #expect(merge.status == 1)
            #expect(!merge.stdout.contains("--drop \(published[0])"), "\(merge.stdout)")
            #expect(merge.stdout.contains("note: \(published[0]) is published on origin/main, so it stays"))
            #expect(try world.orgsync(["resolve", "V1", "--drop", published[0]], in: world.ana).stderr.contains("it is published on origin/main"))
            #expect(try world.orgsync(["merge", "--abort"], in: world.ana).status == 0)
        }
    }

    @Test("orgsync merge --abort puts every touched file back and ends the merge")
    func abort() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research US"], in: world.bo)
            try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "5"], in: world.bo)
            try #require(try world.git(["push", "-q"], in: world.bo).status == 0)
            try world.run(["workspace", "rename", "research", "--name", "Research EU"], in: world.ana)
            try world.git(["fetch", "-q"], in: world.ana)
            let before = try filesBelow(world.ana).filter { !$0.key.hasPrefix(".git/") }
            let head = try world.git(["rev-parse", "HEAD"], in: world.ana).stdout
            #expect(try world.orgsync(["merge", "origin/main"], in: world.ana).status == 1)
            #expect(try world.orgsync(["merge", "origin/main"], in: world.ana).stderr.contains("a merge is already in progress"))
            let aborted = try world.orgsync(["merge", "--abort"], in: world.ana)
            #expect(aborted.stdout == "Aborted the merge; 2 files put back as HEAD has them.\n", "\(aborted.stderr)")
            #expect(try filesBelow(world.ana).filter { !$0.key.hasPrefix(".git/") } == before)
            #expect(try world.git(["status", "--porcelain"], in: world.ana).stdout == "")
            #expect(try world.git(["rev-parse", "HEAD"], in: world.ana).stdout == head)
            #expect(!FileManager.default.fileExists(atPath: world.ana + "/.git/MERGE_HEAD"))
            #expect(!FileManager.default.fileExists(atPath: world.ana + "/.git/orgsync/merge.json"))
            #expect(try world.orgsync(["merge", "--abort"], in: world.ana).status == 1)

            // git's own abort works on a merge orgsync left in progress, as on one git made.
            #expect(try world.orgsync(["merge", "origin/main"], in: world.ana).status == 1)
            let gitAbort = try world.git(["merge", "--abort"], in: world.ana)
            #expect(gitAbort.status == 0, "\(gitAbort.stderr)")
            #expect(try filesBelow(world.ana).filter { !$0.key.hasPrefix(".git/") } == before)
            #expect(try world.orgsync(["status"], in: world.ana).status == 0)
        }
    }

    @Test("the merge driver follows git's protocol: the result in %A, exit 0 clean and 1 on a conflict")
    func driverProtocol() throws {
        try withScratchDirectory { scratch in
            func write(_ name: String, _ text: String) -> String {
                FileManager.default.createFile(atPath: scratch + "/" + name, contents: Data(text.utf8))
                return scratch + "/" + name
            }
            let base = write("base", "id: a\nname: A\n"), theirs = write("theirs", "id: a\nname: A\nsettings:\n  region: eu\n")
            let ours = write("ours", "# ours\nid: a\nname: Alpha\n")
            let clean = try runProcess(CLITests.orgsync, ["merge-driver", base, ours, theirs, "workspaces/a.yaml"], in: scratch, environment: isolatedEnvironment(home: scratch))
            #expect(clean.status == 0, "\(clean.stderr)")
            #expect(String(decoding: FileManager.default.contents(atPath: ours) ?? Data(), as: UTF8.self) == "id: a\nname: Alpha\nsettings:\n  region: eu\n")

            let mine = write("mine", "id: a\nname: Mine\n"), other = write("other", "id: a\nname: Other\n")
            let conflict = try runProcess(CLITests.orgsync, ["merge-driver", base, mine, other, "workspaces/a.yaml"], in: scratch, environment: isolatedEnvironment(home: scratch))
            #expect(conflict.status == 1)
            #expect(String(decoding: FileManager.default.contents(atPath: mine) ?? Data(), as: UTF8.self) == "id: a\nname: Mine\n")
        }
    }

    @Test("orgsync merge: 1,000 files changed in different fields on each side merge with 0 conflicts")
    func thousandFiles() throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            try #require(try world.orgsync(["init", "org", "--name", "Acme", "--credits", "10"], in: scratch).status == 0)
            try world.run(["member", "add", "bo", "--email", "bo@acme.example"], in: world.ana)
            let ids = (0..<1000).map { String(format: "ws-%04d", $0) }
            func commitAll(_ text: (String) -> String, _ message: String) throws {
                for id in ids { FileManager.default.createFile(atPath: world.ana + "/workspaces/\(id).yaml", contents: Data(text(id).utf8)) }
                try world.git(["add", "-A"], in: world.ana)
                try #require(try world.git(["commit", "-q", "-m", message], in: world.ana).status == 0)
            }
            try commitAll({ "id: \($0)\nname: Team \($0)\n" }, "1,000 workspaces")
            try world.git(["branch", "members"], in: world.ana)
            try commitAll({ "id: \($0)\nname: Renamed \($0)\n" }, "Rename them all")
            try world.git(["checkout", "-q", "members"], in: world.ana)
            try commitAll({ "id: \($0)\nname: Team \($0)\nmembers:\n  - member: bo\n    role: viewer\n" }, "Bo views them all")
            try world.git(["checkout", "-q", "main"], in: world.ana)

            let lineMerge = try world.git(["merge-tree", "--write-tree", "--name-only", "main", "members"], in: world.ana)
            #expect(lineMerge.stdout.components(separatedBy: "CONFLICT (content)").count - 1 == 1000)

            let merge = try world.orgsync(["merge", "members", "--format", "json"], in: world.ana)
            #expect(merge.status == 0, "\(merge.stderr)")
            let result = try JSONSerialization.jsonObject(with: Data(merge.stdout.utf8)) as? [String: Any]
            #expect(result?["result"] as? String == "merged")
            #expect((result?["mergedFiles"] as? [String])?.count == 1000)
            #expect(world.file("workspaces/ws-0042.yaml", in: world.ana) == "id: ws-0042\nname: Renamed ws-0042\nmembers:\n  - member: bo\n    role: viewer\n")
            #expect(try world.git(["status", "--porcelain"], in: world.ana).stdout == "")
            #expect(try world.git(["rev-list", "--parents", "-n", "1", "HEAD"], in: world.ana).stdout.split(separator: " ").count == 3)
            #expect(try world.orgsync(["validate", "--rev", "HEAD"], in: world.ana).status == 0)
        }
    }
}
