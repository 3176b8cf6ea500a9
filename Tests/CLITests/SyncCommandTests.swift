import Foundation
import OrgModel
import OrgTestSupport
import Testing

/// Offline editing and sync end to end (SPEC §6): clones made with `orgsync clone` of a bare remote that has
/// the server hook, offline commits, and `orgsync sync` with the real git server side (upload-pack,
/// receive-pack and its pre-receive hook).
@Suite("offline editing and sync")
struct SyncCommandTests {
    struct World {
        let scratch: String
        var remote: String { scratch + "/remote.git" }
        static let emails = ["ana": "ana@acme.example", "bo": "bo@acme.example", "carl": "carl@acme.example"]

        func path(_ clone: String) -> String { scratch + "/" + clone }

        func orgsync(_ arguments: [String], in clone: String) throws -> ProcessOutput {
            let email = Self.emails[clone] ?? "ana@acme.example"
            return try runProcess(CLITests.orgsync, arguments, in: path(clone), environment: isolatedEnvironment(home: scratch, email: email, name: clone))
        }

        /// Runs an orgsync command with `--format json` and returns its exit status and decoded output.
        func json(_ arguments: [String], in clone: String) throws -> (status: Int32, object: [String: Any], stderr: String) {
            let output = try orgsync(arguments + ["--format", "json"], in: clone)
            let object = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
            return (output.status, object, output.stderr)
        }

        /// Runs a command that must succeed and returns the ids of the events it wrote.
        @discardableResult
        func run(_ arguments: [String], in clone: String) throws -> [String] {
            let result = try json(arguments, in: clone)
            try #require(result.status == 0, "\(arguments) in \(clone): \(result.object) \(result.stderr)")
            return result.object["events"] as? [String] ?? []
        }

        @discardableResult
        func git(_ arguments: [String], in directory: String) throws -> ProcessOutput {
            try runProcess("/usr/bin/env", ["git"] + arguments, in: directory, environment: isolatedEnvironment(home: scratch))
        }

        func revision(_ name: String, in directory: String) throws -> String {
            try git(["rev-parse", name], in: directory).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// The ids of the ledger events at HEAD of `directory`.
        func eventIds(in directory: String, at revision: String = "HEAD") throws -> Set<String> {
            let listing = try git(["ls-tree", "-r", "--name-only", revision, "ledger"], in: directory).stdout
            return Set(listing.split(separator: "\n").map { String($0.split(separator: "/").last ?? "").replacingOccurrences(of: ".yaml", with: "") })
        }
    }

    /// Ana's organization (10,000 credits, 3,000 of them in `research`; bo and carl admins) with the hooks,
    /// published by `orgsync sync` to a bare remote that has the server hook, and cloned for bo and carl with
    /// `orgsync clone`.
    static func withWorld(_ body: (World) throws -> Void) throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            let created = try world.orgsync(["init", "ana", "--name", "Acme", "--mode", "budget", "--credits", "10000"], in: "")
            try #require(created.status == 0, "\(created.stderr)")
            try #require(try world.orgsync(["hooks", "install"], in: "ana").status == 0)
            try world.git(["add", ".gitattributes"], in: world.path("ana"))
            try #require(try world.git(["commit", "-q", "-m", "Use the orgsync merge driver"], in: world.path("ana")).status == 0)
            try world.run(["workspace", "create", "research", "--name", "Research Lab"], in: "ana")
            try world.run(["transfer", "--from", "primary", "--to", "research", "--credits", "3000"], in: "ana")
            try world.run(["member", "add", "bo", "--email", "bo@acme.example", "--name", "Bo", "--role", "admin"], in: "ana")
            try world.run(["member", "add", "carl", "--email", "carl@acme.example", "--name", "Carl", "--role", "admin"], in: "ana")

            try world.git(["init", "-q", "--bare", "-b", "main", world.remote], in: scratch)
            try #require(try world.orgsync(["hooks", "install", "--server", "--repo", world.remote], in: "").status == 0)
            try world.git(["remote", "add", "origin", world.remote], in: world.path("ana"))
            let first = try world.json(["sync"], in: "ana")
            try #require(first.status == 0, "\(first.object) \(first.stderr)")
            #expect(first.object["result"] as? String == "pushed")
            #expect(first.object["published"] as? Int == 6)
            // The first push makes the branch track the remote, as git push -u does.
            #expect(try world.git(["config", "branch.main.remote"], in: world.path("ana")).stdout == "origin\n")
            for clone in ["bo", "carl"] {
                let cloned = try world.orgsync(["clone", world.remote, clone], in: "")
                try #require(cloned.status == 0, "\(cloned.stderr)")
            }
            try body(world)
        }
    }

    @Test("clone checks out the organization with the hooks installed and nothing to commit; a used folder and a missing remote are clear errors")
    func clone() throws {
        try Self.withWorld { world in
            let cloned = try world.orgsync(["clone", world.remote, "dora"], in: "")
            #expect(cloned.status == 0)
            #expect(cloned.stdout.hasPrefix("Cloned \(world.remote) into \(world.scratch)/dora (main at \(try world.revision("main", in: world.remote).prefix(10))).\n  Acme (acme): 2 workspaces, 3 members, 3 ledger events; valid.\n  Installed the hooks and the merge driver.\n"), "\(cloned.stdout)")
            #expect(FileManager.default.isExecutableFile(atPath: world.scratch + "/dora/.git/hooks/pre-commit"))
            #expect(try world.git(["config", "merge.orgsync.driver"], in: world.path("dora")).stdout.hasSuffix(" merge-driver %O %A %B %P\n"))
            #expect(try world.git(["status", "--porcelain"], in: world.path("dora")).stdout == "")

            let again = try world.orgsync(["clone", world.remote, "dora"], in: "")
            #expect(again.status == 2)
            #expect(again.stderr == "error: \(world.scratch)/dora exists and is not empty; clone into a new folder\n")
            let missing = try world.orgsync(["clone", world.scratch + "/nowhere.git", "eve", "--format", "json"], in: "")
            #expect(missing.status == 2)
            #expect(missing.stdout.contains("\"message\": \"cannot clone \(world.scratch)/nowhere.git: '\(world.scratch)/nowhere.git' is not a git repository, or cannot be reached\""), "\(missing.stdout)")
            #expect(!FileManager.default.fileExists(atPath: world.scratch + "/eve"))
        }
    }

    @Test("offline transfers sync: the later sync merges, re-stamps its unpublished event after the published one, and the server accepts the merge")
    func restamp() throws {
        try Self.withWorld { world in
            // Bo works offline first; Ana later, and she publishes first.
            let bos = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "600", "--memo", "offline"], in: "bo")
            // Events keep whole seconds, and two clones' ids within one second order at random: a second later.
            usleep(1_050_000)
            let anas = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "500"], in: "ana")
            let bosCommit = try world.revision("HEAD", in: world.path("bo"))
            #expect(try world.json(["sync"], in: "ana").object["result"] as? String == "pushed")

            let sync = try world.orgsync(["sync"], in: "bo")
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(sync.stdout.contains("Merged origin/main ("), "\(sync.stdout)")
            #expect(sync.stdout.contains("  Re-stamped 1 unpublished event of yours to replay after the published ones (S3):\n    \(bos[0]) → "))
            #expect(sync.stdout.contains("  balances: primary 7,600 → 8,100, research 2,400 → 1,900\n"))
            #expect(sync.stdout.hasSuffix("Pushed 2 commits to origin (main): main and origin/main are at \(try world.revision("HEAD", in: world.path("bo")).prefix(10)).\n"))

            // Bo's own commit is untouched; the merge commit moves his event after Ana's and says so.
            let head = world.path("bo")
            #expect(try world.revision("HEAD^1", in: head) == bosCommit)
            let message = try world.git(["log", "-1", "--format=%B"], in: head).stdout
            let trailer = try #require(message.split(separator: "\n").first { $0.hasPrefix("Orgsync-Restamped: \(bos[0]) -> ") })
            let newID = String(trailer.split(separator: " ").last ?? "")
            #expect(try world.eventIds(in: head) == (try world.eventIds(in: head, at: "HEAD^2")).union([newID]))
            #expect(newID > anas[0])
            #expect(try world.revision("main", in: world.remote) == (try world.revision("HEAD", in: head)))

            // Ana brings it in by a fast-forward; everyone is at one valid head.
            let back = try world.json(["sync"], in: "ana")
            #expect(back.object["result"] as? String == "fast-forward")
            #expect(try world.orgsync(["validate", "--range", "HEAD"], in: "ana").status == 0)
            #expect(try world.json(["sync"], in: "ana").object["result"] as? String == "up-to-date")
        }
    }

    @Test("two offline transfers that together overdraw: sync stops on the violation, pushes nothing and loses nothing; resolve, and sync again publishes")
    func violation() throws {
        try Self.withWorld { world in
            let anas = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "2000"], in: "ana")
            #expect(try world.orgsync(["sync"], in: "ana").status == 0)
            let made = try world.run(["transfer", "--from", "research", "--to", "primary", "--credits", "1500"], in: "carl")
            let local = try world.revision("HEAD", in: world.path("carl"))
            let published = try world.revision("main", in: world.remote)

            let stopped = try world.orgsync(["sync"], in: "carl")
            #expect(stopped.status == 1)
            // Carl's event is his under its id, or under a new one when it was made in the same second as Ana's
            // and ordered before it (re-stamped); either way the violation is his, never Ana's published one.
            let restamp = stopped.stdout.components(separatedBy: "    \(made[0]) → ").dropFirst().first?.prefix(26)
            let carls = [restamp.map(String.init) ?? made[0]]
            #expect(stopped.stdout.contains("      ours: event \(carls[0]), transfer of 1500 from 'research' to 'primary'\n      theirs: event \(anas[0]), transfer of 2000 from 'research' to 'primary'\n      fix: orgsync resolve V1 --drop \(carls[0])   (ours, not published yet)\n"), "\(stopped.stdout)")
            #expect(stopped.stdout.hasSuffix("\nSync stopped: the merge of origin/main needs you. Nothing was pushed, and every local commit is still on main.\n  Settle what is listed above with 'orgsync resolve', then run 'orgsync sync' again: it commits the merge and pushes.\n  Or put everything back with 'orgsync merge --abort'.\n"))
            #expect(try world.revision("HEAD", in: world.path("carl")) == local)
            #expect(try world.revision("main", in: world.remote) == published)

            // Sync refuses to go on while the violation stands.
            let early = try world.orgsync(["sync"], in: "carl")
            #expect(early.status == 1)
            #expect(early.stdout.hasPrefix("Merge in progress: "), "\(early.stdout)")
            #expect(early.stdout.contains("0 conflicts and 1 violation to settle.\n"))
            #expect(early.stdout.hasSuffix("\nSync stopped: the merge of origin/main needs you. Nothing was pushed, and every local commit is still on main.\n  Settle what is listed above with 'orgsync resolve', then run 'orgsync sync' again: it commits the merge and pushes.\n  Or put everything back with 'orgsync merge --abort'.\n"))

            try world.run(["resolve", "V1", "--drop", carls[0]], in: "carl")
            let resumed = try world.json(["sync"], in: "carl")
            #expect(resumed.status == 0)
            #expect(resumed.object["result"] as? String == "pushed")
            #expect(try world.revision("HEAD^1", in: world.path("carl")) == local)
            #expect(try world.revision("main", in: world.remote) == (try world.revision("HEAD", in: world.path("carl"))))
            #expect((try world.eventIds(in: world.remote, at: "main")).isDisjoint(with: [carls[0], made[0]]))
            #expect(try world.git(["fsck", "--strict"], in: world.path("carl")).status == 0)
        }
    }

    @Test("the server's hook refuses the push: sync shows the remote's message, keeps every local commit, and a commit that breaks a rule is never pushed")
    func refusals() throws {
        try Self.withWorld { world in
            // A stricter server: a hook of its own, kept and run before orgsync's.
            let chained = world.remote + "/hooks/pre-receive.orgsync-chained"
            try Data("#!/bin/sh\necho 'frozen for the audit until Monday' >&2\nexit 1\n".utf8).write(to: URL(fileURLWithPath: chained))
            chmod(chained, 0o755)
            try world.run(["workspace", "rename", "research", "--name", "Research (EU)"], in: "bo")
            let local = try world.revision("HEAD", in: world.path("bo"))
            let refused = try world.orgsync(["sync"], in: "bo")
            #expect(refused.status == 1)
            #expect(refused.stderr == "error: 'origin' refused refs/heads/main: pre-receive hook declined\n  remote: frozen for the audit until Monday\nNothing is lost: your commits stay on main. Settle what the remote names (rewriting an unpublished commit it refuses) and sync again\n")
            #expect(try world.revision("HEAD", in: world.path("bo")) == local)
            unlink(chained)

            // A commit made around the hooks that breaks a rule: sync checks before it pushes.
            let file = world.path("bo") + "/workspaces/research.yaml"
            try Data("id: research\nname: Research\nbudget: 5\n".utf8).write(to: URL(fileURLWithPath: file))
            try world.git(["commit", "-q", "--no-verify", "-am", "Add a budget field"], in: world.path("bo"))
            let invalid = try world.orgsync(["sync"], in: "bo")
            #expect(invalid.status == 1)
            #expect(invalid.stderr.contains("workspaces/research.yaml:3:1: error: [F4]"), "\(invalid.stderr)")
            #expect(invalid.stderr.hasSuffix("(Add a budget field) breaks the organization's rules (above); nothing was pushed. The server checks every commit it receives, so a later fix does not help: rewrite that unpublished commit (git rebase -i origin/main, or git commit --amend if it is the last), then sync again; 'orgsync validate --range origin/main..HEAD' checks them all\n"))
            #expect(try world.revision("main", in: world.remote) != (try world.revision("HEAD", in: world.path("bo"))))
        }
    }

    @Test("offline: a remote that cannot be reached is an environment error that loses nothing, and the next sync publishes")
    func offline() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research (offline)"], in: "carl")
            let local = try world.revision("HEAD", in: world.path("carl"))
            try FileManager.default.moveItem(atPath: world.remote, toPath: world.remote + ".away")
            let unreachable = try world.orgsync(["sync"], in: "carl")
            #expect(unreachable.status == 2)
            #expect(unreachable.stderr == "error: cannot fetch from 'origin'; your commits are safe in this clone: sync again when the remote can be reached: '\(world.remote)' is not a git repository, or cannot be reached\n")
            #expect(try world.revision("HEAD", in: world.path("carl")) == local)
            try FileManager.default.moveItem(atPath: world.remote + ".away", toPath: world.remote)
            #expect(try world.json(["sync"], in: "carl").object["result"] as? String == "pushed")
            #expect(try world.revision("main", in: world.remote) == local)

            let unknown = try world.orgsync(["sync", "upstream"], in: "carl")
            #expect(unknown.status == 2)
            #expect(unknown.stderr == "error: there is no remote 'upstream'; the remotes are origin (git remote -v)\n")
        }
    }

    @Test("two syncs and two transfers at once on one clone: the lock serializes them, all succeed, and the remote ends at the clone's head")
    func concurrentSyncs() throws {
        try Self.withWorld { world in
            try world.run(["workspace", "rename", "research", "--name", "Research (EU)"], in: "ana")
            let commands: [[String]] = [["sync"], ["transfer", "--from", "research", "--to", "primary", "--credits", "10"],
                                        ["sync"], ["transfer", "--from", "research", "--to", "primary", "--credits", "20"]]
            let lock = NSLock()
            nonisolated(unsafe) var outputs: [ProcessOutput] = []
            let group = DispatchGroup()
            for command in commands {
                group.enter()
                Thread.detachNewThread {
                    let output = try? world.orgsync(command, in: "bo")
                    lock.withLock { if let output { outputs.append(output) } }
                    group.leave()
                }
            }
            group.wait()
            #expect(outputs.count == 4)
            for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
            // Whatever the order, one more sync publishes whatever is left; then all agree.
            #expect(try world.orgsync(["sync"], in: "bo").status == 0)
            #expect(try world.revision("main", in: world.remote) == (try world.revision("HEAD", in: world.path("bo"))))
            #expect(try world.git(["status", "--porcelain"], in: world.path("bo")).stdout == "")
            #expect(try world.orgsync(["validate", "--range", "HEAD"], in: "bo").status == 0)
        }
    }

    @Test("a write killed between the work tree and the branch: the next orgsync command puts the files and the index back, removes git's lock files, and goes on")
    func recovery() throws {
        try Self.withWorld { world in
            let clone = world.path("bo")
            let head = try world.revision("HEAD", in: clone)
            // What a commit killed mid-way leaves: its file written and staged, the branch not moved, the
            // index's lock file, and the journal naming all of it.
            let original = try #require(FileManager.default.contents(atPath: clone + "/workspaces/research.yaml"))
            try Data("id: research\nname: Half written\n".utf8).write(to: URL(fileURLWithPath: clone + "/workspaces/research.yaml"))
            try world.git(["add", "workspaces/research.yaml"], in: clone)
            try FileManager.default.createDirectory(atPath: clone + "/.git/orgsync", withIntermediateDirectories: true)
            try Data("{\"pid\":4242,\"operation\":\"commit\",\"reference\":\"refs/heads/main\",\"head\":\"\(head)\",\"target\":\"0123456789012345678901234567890123456789\",\"paths\":[\"workspaces/research.yaml\"],\"locks\":[\"index.lock\",\"refs/heads/main.lock\"]}".utf8)
                .write(to: URL(fileURLWithPath: clone + "/.git/orgsync/journal.json"))
            FileManager.default.createFile(atPath: clone + "/.git/index.lock", contents: Data())

            let next = try world.orgsync(["workspace", "rename", "research", "--name", "Research (EU)"], in: "bo")
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr == "orgsync: undid the interrupted commit (pid 4242): 1 file put back as HEAD has it\n")
            #expect(try world.revision("HEAD^", in: clone) == head)
            #expect(try world.git(["status", "--porcelain"], in: clone).stdout == "")
            #expect(!FileManager.default.fileExists(atPath: clone + "/.git/index.lock"))
            #expect(!FileManager.default.fileExists(atPath: clone + "/.git/orgsync/journal.json"))
            #expect(try world.git(["show", "HEAD:workspaces/research.yaml"], in: clone).stdout
                == String(decoding: original, as: UTF8.self).replacingOccurrences(of: "name: Research Lab", with: "name: Research (EU)"))
        }
    }

    @Test("a journal left by a killed write when the branch has moved since: the newer work is left alone, and said so")
    func recoveryAfterTheBranchMoved() throws {
        try Self.withWorld { world in
            let clone = world.path("bo")
            let head = try world.revision("HEAD", in: clone)
            try FileManager.default.createDirectory(atPath: clone + "/.git/orgsync", withIntermediateDirectories: true)
            try Data("{\"pid\":4242,\"operation\":\"commit\",\"reference\":\"refs/heads/main\",\"head\":\"\(head)\",\"target\":\"0123456789012345678901234567890123456789\",\"paths\":[\"workspaces/research.yaml\"],\"locks\":[\"index.lock\"]}".utf8)
                .write(to: URL(fileURLWithPath: clone + "/.git/orgsync/journal.json"))
            // Someone commits with git before any orgsync command runs again.
            try Data("id: research\nname: Research (by hand)\n".utf8).write(to: URL(fileURLWithPath: clone + "/workspaces/research.yaml"))
            #expect(try world.git(["commit", "-q", "--no-verify", "-am", "By hand"], in: clone).status == 0)
            let byHand = try world.revision("HEAD", in: clone)
            let next = try world.orgsync(["transfer", "--from", "primary", "--to", "research", "--credits", "1"], in: "bo")
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr == "orgsync: an orgsync commit (pid 4242) was interrupted before its branch moved, and the branch has moved since; its files were left as they are: check 'git status'\n")
            #expect(try world.revision("HEAD^", in: clone) == byHand)
            #expect(try world.git(["show", "HEAD:workspaces/research.yaml"], in: clone).stdout == "id: research\nname: Research (by hand)\n")
        }
    }
}
