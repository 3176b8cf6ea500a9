import Foundation
@testable import OrgModel
import OrgTestSupport
import GitKit
import Testing
@testable import OrgSync

@Suite("The embedded sample")
struct SampleOrganizationTests {
    @Test("is byte for byte samples/acme (run scripts/embed-sample.py after changing the sample)")
    func embeddedSampleMatchesTheFolder() throws {
        let onDisk = try filesBelow(packageRoot + "/samples/acme")
        let embedded = Dictionary(uniqueKeysWithValues: SampleOrganization.files.map { ($0.path, Array($0.contents.utf8)) })
        #expect(Set(embedded.keys) == Set(onDisk.keys))
        for (path, bytes) in onDisk where embedded[path] != bytes {
            Issue.record("\(path) differs from the embedded copy")
        }
    }

    @Test("validates with no diagnostics and replays to exact balances")
    func sampleBalances() throws {
        let report = Validator.validate(Demo.snapshot)
        #expect(report.diagnostics == [])
        let sheet = try #require(BalanceSheet(report))
        #expect(sheet.mode == .budget)
        #expect(sheet.rows.map { "\($0.id) \($0.balance)" } == [
            "core-prod 16196.8522", "chat-prod 942.6251", "chat-staging 424.6417", "image-dev 1129.3518",
            "image-prod 5142.8008", "search-prod 817.2244", "voice-prod 1997.4687",
        ])
        let replay = sheet.replay
        #expect(replay.totalAdded.description == "45000")
        #expect(replay.totalTransferred.description == "29958.4723")
        #expect(replay.totalConsumed.description == "18349.0353")
        #expect(replay.consumedByWorkspace["promo-staging"]?.description == "2108.1017")
        // R6, and conservation: what was added is what is left plus what was consumed.
        let derived = try replay.totalAdded.subtracting(replay.primaryTransferredOut).adding(replay.primaryTransferredIn).subtracting(replay.primaryCharged)
        #expect(derived == replay.primaryBalance)
        #expect(try sheet.rows.map(\.balance).sum().adding(replay.totalConsumed) == replay.totalAdded)
        #expect(Set(replay.consumedByTool.keys) == Set(Tool.allCases))
    }

    @Test("rewritten by hand — JSON, other key order, comments, flow style — validates the same way")
    func handWrittenFormsAreEquivalent() throws {
        let original = Demo.snapshot
        var rewritten = Snapshot()
        for (path, entry) in original.entries {
            guard path.hasSuffix(".yaml"), case .success(let node) = SourceReader.parse(entry.bytes, format: .yaml, path: path) else {
                rewritten.entries[path] = entry
                continue
            }
            // Members and ledger events as JSON; everything else as YAML in reverse key order, flow style and comments.
            if path.hasPrefix("members/") || path.hasPrefix("ledger/") {
                rewritten[String(path.dropLast(5)) + ".json"] = Array(HandWritten.json(node).utf8)
            } else {
                rewritten[path] = Array(("# written by hand\n" + HandWritten.yaml(node) + "\n").utf8)
            }
        }
        let before = Validator.validate(original)
        let after = Validator.validate(rewritten)
        #expect(after.diagnostics == [])
        let beforeSheet = try #require(BalanceSheet(before))
        let afterSheet = try #require(BalanceSheet(after))
        #expect(afterSheet.rows == beforeSheet.rows)
        #expect(afterSheet.replay.totalConsumed == beforeSheet.replay.totalConsumed)
        #expect(after.organization.workspaces == before.organization.workspaces)
        #expect(after.organization.members == before.organization.members)
        #expect(after.organization.events.sorted { $0.id < $1.id } == before.organization.events.sorted { $0.id < $1.id })
    }
}

/// Writes a parsed tree back in other, equivalent forms, keeping every scalar's exact text.
enum HandWritten {
    static func json(_ node: SourceNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .scalar(let text, let quoted):
            if !quoted, text == "true" || text == "false" || DataValue.isJSONNumber(text) { return text }
            var out = ""
            JSONValue.writeString(text, to: &out)
            return out
        case .sequence(let items): return "[" + items.map(json).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{\n  " + entries.reversed().map { entry in
                var key = ""
                JSONValue.writeString(entry.key, to: &key)
                return key + ": " + json(entry.value)
            }.joined(separator: ",\n  ") + "\n}"
        }
    }

    /// Flow-style YAML: `{key: value, ...}` with keys in reverse order; strings single-quoted.
    static func yaml(_ node: SourceNode) -> String {
        switch node.kind {
        case .null: return "~"
        case .scalar(let text, let quoted):
            if !quoted, text == "true" || text == "false" || DataValue.isJSONNumber(text) { return text }
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .sequence(let items): return "[" + items.map(yaml).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.reversed().map { "\($0.key): \(yaml($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}

@Suite("orgsync init")
struct InitTests {
    private func options(_ directory: String) throws -> InitOptions {
        var options = InitOptions(directory: directory, name: "Acme Corp")
        options.ownerEmail = "Ana.Lopez@acme.example"
        options.mode = .budget
        options.credits = try Credits(parsing: "10000.5")
        options.now = try Timestamp(parsing: "2026-11-21T10:00:00Z")
        return options
    }

    @Test func createsAValidOrganizationAndItsFirstCommit() throws {
        try withScratchDirectory { scratch in
            let directory = scratch + "/org"
            let result = try Initializer.run(try options(directory))
            #expect(result.organization == "acme-corp")
            #expect(result.owner == "ana-lopez")
            #expect(result.files.filter { !$0.hasPrefix("ledger/") } == ["members/ana-lopez.yaml", "org.yaml", "workspaces/primary.yaml"])
            #expect(result.files.filter { $0.hasPrefix("ledger/2026/11/") }.count == 2)
            #expect(String(decoding: try #require(FileManager.default.contents(atPath: directory + "/org.yaml")), as: UTF8.self)
                == "schema: 1\nid: acme-corp\nname: Acme Corp\n")

            let log = try git(["log", "--format=%H %ae%n%B"], in: directory, home: scratch)
            #expect(log.stdout == "\(result.commit.hex) Ana.Lopez@acme.example\nInitialize organization 'Acme Corp'\n\nOrgsync-Operation: init\n\n")
            #expect(try git(["status", "--porcelain"], in: directory, home: scratch).stdout == "")

            let report = Validator.validate(try StateReader(directory: directory).revision("HEAD"))
            #expect(report.diagnostics == [])
            let sheet = try #require(BalanceSheet(report))
            #expect(sheet.mode == .budget)
            #expect(sheet.rows.map { "\($0.id) \($0.balance)" } == ["primary 10000.5"])
        }
    }

    @Test func refusesAFolderThatHoldsAnOrganizationAndChangesNothing() throws {
        try withScratchDirectory { scratch in
            let directory = scratch + "/org"
            _ = try Initializer.run(try options(directory))
            let head = try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout
            let files = try filesBelow(directory)
            #expect {
                try Initializer.run(try options(directory))
            } throws: { error in
                (error as? OrgSyncError)?.message == "'\(directory)' already holds organization files (org.yaml); run orgsync init in a new folder"
                    && (error as? OrgSyncError)?.kind == .refused
            }
            #expect(try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout == head)
            #expect(try filesBelow(directory) == files)
        }
    }

    @Test func leavesNothingBehindWhenItFails() throws {
        try withScratchDirectory { scratch in
            var bad = try options(scratch + "/new")
            bad.primaryID = "Primary"
            #expect(throws: OrgSyncError.self) { try Initializer.run(bad) }
            #expect(!FileManager.default.fileExists(atPath: scratch + "/new"))

            var zero = try options(scratch + "/new")
            zero.credits = .zero
            #expect(throws: OrgSyncError.self) { try Initializer.run(zero) }
            #expect(!FileManager.default.fileExists(atPath: scratch + "/new"))
        }
    }

    /// A git repository in `scratch/repo` with one file added to the index, and committed unless `commit` is false.
    private func repository(in scratch: String, staging file: String, _ text: String, commit: Bool = false) throws -> String {
        let directory = scratch + "/repo"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main"], in: directory, home: scratch)
        try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
        try git(["add", file], in: directory, home: scratch)
        if commit { try git(["commit", "-qm", "Start"], in: directory, home: scratch) }
        return directory
    }

    private func repository(in scratch: String, committing file: String, _ text: String) throws -> String {
        try repository(in: scratch, staging: file, text, commit: true)
    }

    @Test("a held index lock fails the commit, and the branch, the index and the work tree stay as they were")
    func lockedIndexChangesNothing() throws {
        try withScratchDirectory { scratch in
            let directory = try repository(in: scratch, committing: "README.md", "# Our org\n")
            let head = try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout
            let index = FileManager.default.contents(atPath: directory + "/.git/index")
            FileManager.default.createFile(atPath: directory + "/.git/index.lock", contents: Data())

            #expect(throws: OrgSyncError.self) { try Initializer.run(try options(directory)) }
            try FileManager.default.removeItem(atPath: directory + "/.git/index.lock")
            #expect(try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout == head)
            #expect(FileManager.default.contents(atPath: directory + "/.git/index") == index)
            #expect(try git(["status", "--porcelain"], in: directory, home: scratch).stdout == "")
            #expect(try filesBelow(directory).keys.sorted() == ["README.md"])
        }
    }

    @Test("files the user staged before the first commit are not swept into it")
    func stagedFilesInANewRepositoryAreRefused() throws {
        try withScratchDirectory { scratch in
            let directory = try repository(in: scratch, staging: "notes.txt", "private\n")
            #expect {
                try Initializer.run(try options(directory))
            } throws: { error in
                (error as? OrgSyncError)?.message == "the index has staged changes; commit or unstage them (git status) before running orgsync"
            }
            #expect(try git(["status", "--porcelain"], in: directory, home: scratch).stdout == "A  notes.txt\n")
            #expect(try filesBelow(directory).keys.sorted() == ["notes.txt"])
        }
    }

    @Test("init never writes through a link or into a folder it did not make")
    func linksAndParents() throws {
        try withScratchDirectory { scratch in
            try FileManager.default.createDirectory(atPath: scratch + "/outside", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: scratch + "/repo", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: scratch + "/repo/members", withDestinationPath: scratch + "/outside")
            #expect(throws: OrgSyncError.self) { try Initializer.run(try options(scratch + "/repo")) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch + "/outside") == [])

            try "x\n".write(toFile: scratch + "/afile", atomically: true, encoding: .utf8)
            #expect {
                try Initializer.run(try options(scratch + "/afile"))
            } throws: { error in
                (error as? OrgSyncError)?.message == "'\(scratch)/afile' is a file; pass a new or existing folder"
            }
            #expect(try String(contentsOfFile: scratch + "/afile", encoding: .utf8) == "x\n")

            try FileManager.default.createDirectory(atPath: scratch + "/empty/ledger", withIntermediateDirectories: true)
            #expect(throws: OrgSyncError.self) { try Initializer.run(try options(scratch + "/empty")) }
            #expect(FileManager.default.fileExists(atPath: scratch + "/empty/ledger"))
        }
    }

    @Test func commitsOnTopOfAnExistingRepositoryWithoutTouchingItsFiles() throws {
        try withScratchDirectory { scratch in
            let directory = try repository(in: scratch, committing: "README.md", "# Our org\n")
            let start = try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            let result = try Initializer.run(try options(directory))
            #expect(try git(["rev-parse", "HEAD^"], in: directory, home: scratch).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == start)
            #expect(try git(["rev-parse", "HEAD"], in: directory, home: scratch).stdout.hasPrefix(result.commit.hex))
            #expect(try git(["status", "--porcelain"], in: directory, home: scratch).stdout == "")
            #expect(try git(["show", "HEAD:README.md"], in: directory, home: scratch).stdout == "# Our org\n")
        }
    }
}

@Suite("Reading states")
struct StateReaderTests {
    @Test func aRevisionOfASubfolderIsScopedToIt() throws {
        try withScratchDirectory { scratch in
            let project = scratch + "/project"
            try FileManager.default.createDirectory(atPath: project + "/samples/org/members", withIntermediateDirectories: true)
            try git(["init", "-q", "-b", "main"], in: project, home: scratch)
            try "schema: 1\nid: acme\nname: Acme\n".write(toFile: project + "/samples/org/org.yaml", atomically: true, encoding: .utf8)
            try "id: ana\nemail: ana@acme.example\nrole: owner\n".write(toFile: project + "/samples/org/members/ana.yaml", atomically: true, encoding: .utf8)
            try "not part of it\n".write(toFile: project + "/README.md", atomically: true, encoding: .utf8)
            try git(["add", "-A"], in: project, home: scratch)
            try git(["commit", "-qm", "Add"], in: project, home: scratch)
            // A later, uncommitted edit must not be seen at HEAD.
            try "schema: 2\n".write(toFile: project + "/samples/org/org.yaml", atomically: true, encoding: .utf8)

            let snapshot = try StateReader(directory: project + "/samples/org").revision("HEAD")
            #expect(snapshot.entries.keys.sorted() == ["members/ana.yaml", "org.yaml"])
            #expect(snapshot["org.yaml"] == Array("schema: 1\nid: acme\nname: Acme\n".utf8))
            #expect(throws: OrgSyncError.self) { try StateReader(directory: project).revision("no-such-branch") }
        }
    }

    @Test func theWorkTreeRecordsSymlinksWithoutFollowingThem() throws {
        try withScratchDirectory { scratch in
            try FileManager.default.createDirectory(atPath: scratch + "/members", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: scratch + "/members/eve.yaml", withDestinationPath: "/etc/passwd")
            let snapshot = try SnapshotLoader.workTree(at: scratch)
            #expect(snapshot.entries["members/eve.yaml"]?.kind == .symlink)
            #expect(snapshot.entries["members/eve.yaml"]?.bytes == [])
            let report = Validator.validate(snapshot)
            #expect(report.diagnostics.map { "\($0.location) [\($0.rule)]" }.contains("members/eve.yaml [LAYOUT]"))
        }
    }
}

@Suite("orgsync demo")
struct DemoTests {
    @Test func commitsTheSampleAndValidatesItFromGitObjects() throws {
        try withScratchDirectory { scratch in
            let result = try Demo.run(in: scratch + "/demo", now: try Timestamp(parsing: "2026-11-21T10:00:00Z"))
            #expect(result.report.diagnostics == [])
            #expect(result.fileCount == SampleOrganization.files.count)
            #expect(result.sheet?.rows.first?.balance.description == "16196.8522")
            #expect(try git(["status", "--porcelain"], in: scratch + "/demo", home: scratch).stdout == "")
            #expect(try git(["log", "--format=%ae %s", "--topo-order"], in: scratch + "/demo", home: scratch).stdout == """
            ana.lopez@acme.example Merge carl-offline into main
            carl.nguyen@acme.example Transfer 500 credits from 'chat-prod' to 'core-prod'
            carl.nguyen@acme.example Assign 'jun' to workspace 'chat-prod' as viewer
            carl.nguyen@acme.example Rename workspace 'chat-prod' from 'Chat Assistant (production)' to 'Chat Assistant (production, EU)'
            ana.lopez@acme.example Transfer 600 credits from 'chat-prod' to 'core-prod'
            ana.lopez@acme.example Assign 'mira' to workspace 'chat-prod' as member
            \(result.author) Import the Acme sample organization

            """)
            // Two admins offline: git's line merge conflicts on the file both changed, orgsync's does not; the two
            // transfers together overdraw chat-prod (942.6251), and dropping ana's unpublished one settles it.
            let story = try #require(result.offline)
            #expect(story.lineMergeConflicts)
            #expect(story.outcome.result == .stopped)
            #expect(story.outcome.report?.conflicts.isEmpty == true)
            let violation = try #require(story.outcome.report?.violations.first)
            #expect(violation.message.hasPrefix("transfer of 600 exceeds the 442.6251 credits available in 'chat-prod'"))
            #expect(violation.causes.map { "\($0.side) \($0.summary)" } == ["ours transfer of 600 from 'chat-prod' to 'core-prod'", "theirs transfer of 500 from 'chat-prod' to 'core-prod'"])
            #expect(story.merged.hasPrefix("id: chat-prod\nname: Chat Assistant (production, EU)\nmembers:\n"))
            #expect(story.merged.contains("  - member: jun\n    role: viewer\n  - member: mira\n    role: member\n"))
            #expect(story.balances?.rows.first { $0.id == "chat-prod" }?.balance.description == "442.6251")
            #expect(Validator.validate(try SnapshotLoader.commit(story.commit, in: try GitKit.Repository.open(scratch + "/demo"))).isValid)
            #expect(throws: OrgSyncError.self) { try Demo.run(in: scratch + "/demo") }
        }
    }
}
