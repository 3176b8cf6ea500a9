import Crypto
import Foundation
@testable import OrgModel
import OrgTestSupport
import Testing
@testable import OrgSync

/// An organization made by `orgsync init` in a scratch folder, changed through `Administrator` as `ana`
/// (owner), `bo` (billing) or `cy` (member), with times that advance one minute per operation.
final class Org {
    let scratch: String
    var directory: String { scratch + "/org" }
    private var minute = 0

    init(scratch: String, mode: CreditMode = .budget) throws {
        self.scratch = scratch
        var options = InitOptions(directory: scratch + "/org", name: "Acme")
        options.ownerEmail = "ana@acme.example"
        options.mode = mode
        options.credits = Credits(whole: 10_000)
        options.now = try Timestamp(parsing: "2026-11-21T10:00:00Z")
        _ = try Initializer.run(options)
    }

    var now: Timestamp { Timestamp(seconds: 1_795_255_200 + Int64(minute) * 60) } // 2026-11-21T10:00:00Z + minutes

    /// Performs `operation` as `email`, one minute after the previous one.
    @discardableResult
    func perform(_ operation: AdminOperation, as email: String = "ana@acme.example", dryRun: Bool = false) throws -> OperationOutcome {
        minute += 1
        return try Administrator(reader: StateReader(directory: directory), actorEmail: email).perform(operation, dryRun: dryRun, now: now)
    }

    /// The refusal `operation` meets, checking that nothing on disk or in refs changed.
    func refusal(_ operation: AdminOperation, as email: String = "ana@acme.example") throws -> OrgSyncError {
        let before = try frozen()
        defer { #expect((try? frozen()) == before, "a refused \(operation.name) changed the repository") }
        do {
            try perform(operation, as: email)
        } catch let error as OrgSyncError {
            return error
        }
        Issue.record("\(operation.name) was not refused")
        return OrgSyncError(.environment, "not refused")
    }

    /// Everything a refusal must leave alone: the work tree, the index file and every ref.
    struct Frozen: Equatable {
        var files: [String: [UInt8]]
        var index: Data?
        var refs: String
    }

    func frozen() throws -> Frozen {
        Frozen(files: try filesBelow(directory), index: FileManager.default.contents(atPath: directory + "/.git/index"),
               refs: try git(["for-each-ref", "--format=%(refname) %(objectname)"]) + (try git(["rev-parse", "HEAD"])))
    }

    func git(_ arguments: [String]) throws -> String {
        let output = try OrgTestSupport.git(arguments, in: directory, home: scratch)
        #expect(output.status == 0, "git \(arguments.joined(separator: " ")): \(output.stderr)")
        return output.stdout
    }

    func file(_ path: String) -> String? {
        FileManager.default.contents(atPath: directory + "/" + path).map { String(decoding: $0, as: UTF8.self) }
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (directory + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + path))
    }

    /// Commits hand-written files as ana, through git.
    func commitByHand(_ message: String) throws {
        _ = try git(["add", "-A"])
        _ = try git(["commit", "-q", "-m", message])
    }

    var state: OrgState { get throws { OrgState(try SnapshotLoader.workTree(at: directory)) } }

    /// Every commit since the organization was created checks out: state, transition and author.
    func expectHistoryValid() throws {
        let repository = try StateReader(directory: directory).repository()
        for verdict in try CommitChecker(repository: repository).check(range: "HEAD") {
            #expect(verdict.diagnostics == [], "\(verdict.commit.summary)")
        }
        #expect(try git(["status", "--porcelain"]) == "")
        #expect(try git(["fsck", "--no-progress", "--no-dangling"]) == "")
    }

    /// `members/bo.yaml` (billing), `members/cy.yaml` (member) and workspace `research`, funded with `credits`.
    func addTeam(funding credits: Int64 = 2_500) throws {
        try perform(.addMember(id: "bo", email: "bo@acme.example", name: "Bo", role: .billing, workspaces: []))
        try perform(.addMember(id: "cy", email: "cy@acme.example", name: nil, role: .member, workspaces: []))
        try perform(.createWorkspace(id: "research", name: "Research Lab"))
        if credits > 0 { try perform(.transfer(from: "primary", to: "research", credits: try #require(Credits(whole: credits)), memo: nil)) }
    }
}

private func withOrg(mode: CreditMode = .budget, _ body: (Org) throws -> Void) throws {
    try withScratchDirectory { scratch in try body(try Org(scratch: scratch, mode: mode)) }
}

private func credits(_ text: String) throws -> Credits { try Credits(parsing: text) }

@Suite("admin operations")
struct AdministratorTests {
    // MARK: Happy paths

    @Test("workspace create writes the canonical file and one commit with its trailer")
    func createWorkspace() throws {
        try withOrg { org in
            let outcome = try org.perform(.createWorkspace(id: "research", name: "Research Lab"))
            #expect(outcome.added == ["workspaces/research.yaml"])
            #expect(org.file("workspaces/research.yaml") == "id: research\nname: Research Lab\n")
            #expect(try org.git(["log", "-1", "--format=%an <%ae>%n%B"])
                == "ana <ana@acme.example>\nCreate workspace 'research' (Research Lab)\n\nOrgsync-Operation: workspace-create\n\n")
            #expect(outcome.commit?.hex == (try org.git(["rev-parse", "HEAD"])).trimmingCharacters(in: .newlines))
            try org.expectHistoryValid()
        }
    }

    @Test("a line break cannot end the commit subject or forge a trailer; names refuse control characters")
    func messagesStayOnOneLine() throws {
        try withOrg { org in
            #expect(try org.refusal(.createWorkspace(id: "lab", name: "Lab\n\nOrgsync-Operation: transfer")).message
                == "the workspace name contains a line break or another control character; use one line of text")
            try org.perform(.topup(credits: try credits("5"), reference: "INV-1\n\nOrgsync-Operation: transfer"))
            #expect(try org.git(["log", "-1", "--format=%s%n%(trailers:key=Orgsync-Operation,valueonly)"])
                == "Top up 5 credits (INV-1  Orgsync-Operation: transfer)\ntopup\n\n")
            try org.expectHistoryValid()
        }
    }

    @Test("transfer writes one event, names it in a trailer, and moves exact balances")
    func transfer() throws {
        try withOrg { org in
            try org.addTeam(funding: 0)
            let outcome = try org.perform(.transfer(from: "primary", to: "research", credits: try credits("2500.0001"), memo: "Q4 budget"))
            let id = try #require(outcome.edit.events.first)
            #expect(outcome.edit.events.count == 1)
            #expect(org.file("ledger/2026/11/\(id).yaml") == """
                id: \(id)
                at: 2026-11-21T10:04:00Z
                by: ana
                type: transfer
                from: primary
                to: research
                credits: 2500.0001
                memo: Q4 budget

                """)
            #expect(outcome.balances == [
                BalanceChange(workspace: "primary", name: "Primary Workspace", isPrimary: true, status: .existing, before: try credits("10000"), after: try credits("7499.9999")),
                BalanceChange(workspace: "research", name: "Research Lab", isPrimary: false, status: .existing, before: .zero, after: try credits("2500.0001")),
            ])
            #expect(try org.git(["log", "-1", "--format=%B"])
                == "Transfer 2,500.0001 credits from 'primary' to 'research'\n\nOrgsync-Operation: transfer\nOrgsync-Event: \(id)\n\n")
            try org.expectHistoryValid()
        }
    }

    @Test("two dependent transfers in the same second replay in the order they were made")
    func sameSecondTransfers() throws {
        try withOrg { org in
            try org.addTeam(funding: 0)
            let now = org.now
            let admin = Administrator(reader: StateReader(directory: org.directory), actorEmail: "ana@acme.example")
            for _ in 0..<3 {
                _ = try admin.perform(.transfer(from: "primary", to: "research", credits: try credits("100"), memo: nil), now: now)
                _ = try admin.perform(.transfer(from: "research", to: "primary", credits: try credits("100"), memo: nil), now: now)
            }
            #expect(try org.state.report.replay?.balances["research"] == .zero)
            try org.expectHistoryValid()
        }
    }

    @Test("member add assigns to the Primary by default; assign, role, unassign and remove edit the files")
    func members() throws {
        try withOrg { org in
            try org.addTeam(funding: 0)
            #expect(org.file("members/bo.yaml") == "id: bo\nemail: bo@acme.example\nname: Bo\nrole: billing\n")
            #expect(org.file("workspaces/primary.yaml") == """
                id: primary
                name: Primary Workspace
                primary: true
                members:
                  - member: ana
                    role: admin
                  - member: bo
                    role: member
                  - member: cy
                    role: member

                """)
            try org.perform(.addMember(id: "di", email: "di@acme.example", name: nil, role: .admin,
                                       workspaces: [.init(workspace: "research", role: .admin), .init(workspace: "primary", role: .viewer)]))
            try org.perform(.assign(member: "cy", workspace: "research", role: .viewer))
            try org.perform(.assign(member: "cy", workspace: "research", role: .member))
            try org.perform(.setRole(member: "cy", role: .admin))
            try org.perform(.unassign(member: "bo", workspace: "primary"))
            #expect(org.file("workspaces/research.yaml") == """
                id: research
                name: Research Lab
                members:
                  - member: di
                    role: admin
                  - member: cy
                    role: member

                """)
            let outcome = try org.perform(.removeMember(id: "cy"))
            #expect(outcome.edit.notes == ["unassigned from 'primary'", "unassigned from 'research'"])
            #expect(org.file("members/cy.yaml") == "id: cy\nemail: cy@acme.example\nrole: admin\nremoved:\n  at: 2026-11-21T10:09:00Z\n  by: ana\n")
            #expect(org.file("workspaces/research.yaml")?.contains("cy") == false)
            try org.expectHistoryValid()
        }
    }

    @Test("workspace delete follows R10 in one commit: refund, tombstone, keys and usage files gone, consumption recorded")
    func deleteWorkspace() throws {
        try withOrg { org in
            try org.addTeam(funding: 2_500)
            try org.perform(.createKey(workspace: "research", name: "gateway", id: nil, expiresAt: nil))
            try org.write("usage/research/2026/11/21-gw1.jsonl", """
                {"id":"u1","at":"2026-11-21T10:05:30Z","member":"cy","tool":"chat","credits":12.5}
                {"id":"u2","at":"2026-11-21T10:05:40Z","member":"cy","tool":"image","credits":0.0001}

                """)
            try org.commitByHand("Usage")
            let outcome = try org.perform(.deleteWorkspace(id: "research"))
            #expect(outcome.removed == ["usage/research/2026/11/21-gw1.jsonl"])
            #expect(outcome.edit.notes == ["returns its balance of 2,487.4999 credits to 'primary'",
                                           "its tombstone records 12.5001 credits consumed", "removes 1 API key", "removes 1 usage file"])
            #expect(org.file("workspaces/research.yaml") == """
                id: research
                name: Research Lab
                deleted:
                  at: 2026-11-21T10:06:00Z
                  by: ana
                  consumed: 12.5001

                """)
            let refund = try #require(outcome.edit.events.first)
            #expect(org.file("ledger/2026/11/\(refund).yaml")?.hasSuffix("from: research\nto: primary\ncredits: 2487.4999\nreason: deletion\n") == true)
            #expect(!FileManager.default.fileExists(atPath: org.directory + "/usage"))
            let replay = try #require(try org.state.report.replay)
            #expect(replay.primaryBalance == (try credits("9987.4999")))
            #expect(replay.consumedByWorkspace["research"] == (try credits("12.5001")))
            try org.expectHistoryValid()
            #expect(try org.refusal(.createWorkspace(id: "research", name: "Again")).message
                == "workspace 'research' was deleted at 2026-11-21T10:06:00Z, and ids are never reused (R2); choose another id")
        }
    }

    @Test("mode shared returns every workspace balance to the Primary with mode-switch transfers, then switches")
    func modeShared() throws {
        try withOrg { org in
            try org.addTeam(funding: 2_500)
            try org.perform(.createWorkspace(id: "ops", name: "Ops"))
            try org.perform(.transfer(from: "research", to: "ops", credits: try credits("0.5"), memo: nil))
            let outcome = try org.perform(.setMode(.shared))
            #expect(outcome.edit.events.count == 3)
            #expect(outcome.edit.notes == ["returns 0.5 credits from 'ops' to 'primary'", "returns 2,499.5 credits from 'research' to 'primary'"])
            let texts = outcome.edit.events.compactMap { org.file("ledger/2026/11/\($0).yaml") }
            #expect(texts[0].hasSuffix("type: transfer\nfrom: ops\nto: primary\ncredits: 0.5\nreason: mode-switch\n"))
            #expect(texts[1].hasSuffix("type: transfer\nfrom: research\nto: primary\ncredits: 2499.5\nreason: mode-switch\n"))
            #expect(texts[2].hasSuffix("type: mode\nmode: shared\n"))
            let replay = try #require(try org.state.report.replay)
            #expect(replay.mode == .shared)
            #expect(replay.primaryBalance == (try credits("10000")))
            #expect(try org.refusal(.setMode(.shared)).message == "the organization is already in shared mode")
            try org.perform(.setMode(.budget))
            try org.expectHistoryValid()
        }
    }

    @Test("key create stores only a prefix and hash; verify answers valid, invalid, expired or revoked")
    func apiKeys() throws {
        try withOrg { org in
            try org.addTeam(funding: 0)
            let outcome = try org.perform(.createKey(workspace: "research", name: "Chat gateway", id: nil,
                                                     expiresAt: try Timestamp(parsing: "2027-01-01T00:00:00Z")))
            let secret = try #require(outcome.edit.secret?.value)
            #expect(secret.wholeMatch(of: #/osk_[0-9A-Za-z]{40}/#) != nil)
            let digest = SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(org.file("workspaces/research.yaml") == """
                id: research
                name: Research Lab
                keys:
                  - id: chat-gateway
                    name: Chat gateway
                    prefix: \(secret.prefix(10))
                    hash: sha256:\(digest)
                    createdBy: ana
                    createdAt: 2026-11-21T10:04:00Z
                    expiresAt: 2027-01-01T00:00:00Z

                """)
            // The secret is nowhere: not in any file, object or message of the repository.
            let objects = try org.git(["cat-file", "--batch-all-objects", "--batch"])
            #expect(!objects.contains(String(secret.dropFirst(10))))

            let organization = try org.state.organization
            let later = try Timestamp(parsing: "2026-12-01T00:00:00Z")
            #expect(organization.verify(secret: secret, at: later) == .valid(workspace: "research", key: "chat-gateway"))
            #expect(organization.verify(secret: secret + "x", at: later) == .invalid)
            #expect(organization.verify(secret: "osk_" + String(repeating: "A", count: 40), at: later) == .invalid)
            let expiry = try Timestamp(parsing: "2027-01-01T00:00:00Z")
            #expect(organization.verify(secret: secret, at: expiry) == .expired(workspace: "research", key: "chat-gateway", at: expiry))

            // A second key with the same name gets the next free id; the two secrets differ.
            let second = try org.perform(.createKey(workspace: "primary", name: "Chat gateway", id: nil, expiresAt: nil))
            #expect(second.edit.summary == "Create API key 'chat-gateway-2' (Chat gateway) for workspace 'primary'")
            #expect(second.edit.secret?.value != secret)
            #expect("\(String(describing: second.edit.secret))".contains("redacted"))
            #expect(!"\(second)".contains(second.edit.secret?.value ?? "osk_"))

            try org.perform(.revokeKey(id: "chat-gateway"))
            let revokedAt = org.now
            #expect(try org.state.organization.verify(secret: secret, at: later) == .revoked(workspace: "research", key: "chat-gateway", at: revokedAt))
            #expect(try org.refusal(.revokeKey(id: "chat-gateway")).message == "API key 'chat-gateway' was already revoked at 2026-11-21T10:06:00Z")
            #expect(try org.refusal(.revokeKey(id: "chat-gatewy")).message == "no API key 'chat-gatewy'; did you mean 'chat-gateway'?; list them with 'orgsync key list'")
            try org.expectHistoryValid()
        }
    }

    @Test("provider keys: add, default moves, pin re-enables, disable unpins, resolve follows pin then default then error")
    func providers() throws {
        try withOrg { org in
            try org.addTeam(funding: 0)
            try org.perform(.addProvider(id: "openai-main", provider: "openai", secretRef: "env:OPENAI_API_KEY", isDefault: true))
            let moved = try org.perform(.addProvider(id: "openai-eu", provider: "openai", secretRef: "vault:secret/openai/eu", isDefault: true))
            #expect(moved.edit.notes == ["'openai-eu' replaces 'openai-main' as the default key for openai"])
            try org.perform(.addProvider(id: "anthropic-main", provider: "anthropic", secretRef: "file:/run/secrets/anthropic", isDefault: false))
            #expect(org.file("providers.yaml") == """
                providers:
                  - id: openai-main
                    provider: openai
                    secretRef: env:OPENAI_API_KEY
                  - id: openai-eu
                    provider: openai
                    secretRef: vault:secret/openai/eu
                    default: true
                  - id: anthropic-main
                    provider: anthropic
                    secretRef: file:/run/secrets/anthropic

                """)
            func resolve(_ provider: String, _ workspace: String) throws -> String {
                switch try org.state.organization.resolveProvider(provider, for: workspace) {
                case .success(let resolution): return "\(resolution.key.id) (\(resolution.source.rawValue))"
                case .failure(let refusal): return refusal.message
                }
            }
            #expect(try resolve("openai", "research") == "openai-eu (default)")
            #expect(try resolve("anthropic", "research")
                == "workspace 'research' pins no key for 'anthropic' and the organization has no default for it; pin one with 'orgsync provider pin --workspace research --key ID' (keys: anthropic-main)")
            try org.perform(.disableProvider(workspace: "research", key: "openai-eu"))
            #expect(try resolve("openai", "research")
                == "workspace 'research' has disabled 'openai-eu', the default key for 'openai', and pins no other; pin one with 'orgsync provider pin --workspace research --key ID'")
            try org.perform(.pinProvider(workspace: "research", key: "openai-main"))
            #expect(try resolve("openai", "research") == "openai-main (pin)")
            let reenabled = try org.perform(.pinProvider(workspace: "research", key: "openai-eu"))
            #expect(reenabled.edit.notes == ["replaces the pin of 'openai-main'", "'openai-eu' was disabled in 'research' and is enabled again"])
            let unpinned = try org.perform(.disableProvider(workspace: "research", key: "openai-eu"))
            #expect(unpinned.edit.notes == ["'openai-eu' was pinned for openai in 'research' and is unpinned"])
            #expect(try resolve("mistral", "research") == "no provider key for 'mistral' in providers.yaml (providers: anthropic, openai); add one with 'orgsync provider add ID --provider mistral --secret-ref env:NAME --default'")
            try org.expectHistoryValid()
        }
    }

    @Test("a workspace kept as JSON is edited as JSON, in place")
    func jsonFilesStayJSON() throws {
        try withOrg { org in
            try org.write("workspaces/ops.json", #"{"id": "ops", "name": "Ops"}"#)
            try org.commitByHand("Ops, as JSON")
            try org.perform(.renameWorkspace(id: "ops", name: "Operations"))
            try org.perform(.assign(member: "ana", workspace: "ops", role: .admin))
            #expect(org.file("workspaces/ops.json") == """
                {
                  "id": "ops",
                  "name": "Operations",
                  "members": [
                    {
                      "member": "ana",
                      "role": "admin"
                    }
                  ]
                }

                """)
            #expect(org.file("workspaces/ops.yaml") == nil)
            try org.expectHistoryValid()
        }
    }

    @Test("--dry-run checks everything and writes nothing")
    func dryRun() throws {
        try withOrg { org in
            let before = try org.frozen()
            let outcome = try org.perform(.topup(credits: try credits("500"), reference: "INV-7"), dryRun: true)
            #expect(outcome.commit == nil)
            #expect(outcome.added.count == 1)
            #expect(outcome.balances == [BalanceChange(workspace: "primary", name: "Primary Workspace", isPrimary: true, status: .existing, before: try credits("10000"), after: try credits("10500"))])
            #expect(try org.frozen() == before)
        }
    }

    @Test("a dry run of key create shows no secret: nobody could ever store it")
    func dryRunKeyHasNoSecret() throws {
        try withOrg { org in
            let outcome = try org.perform(.createKey(workspace: "primary", name: "ci", id: nil, expiresAt: nil), dryRun: true)
            #expect(outcome.edit.secret == nil)
            #expect(outcome.changed == ["workspaces/primary.yaml"])
        }
    }

    @Test("files checked out with core.autocrlf are not mistaken for local edits")
    func autocrlfCheckout() throws {
        try withOrg { org in
            _ = try org.git(["config", "core.autocrlf", "true"])
            try FileManager.default.removeItem(atPath: org.directory + "/workspaces/primary.yaml")
            _ = try org.git(["checkout", "--", "workspaces/primary.yaml"])
            #expect(org.file("workspaces/primary.yaml")?.contains("\r\n") == true)
            try org.perform(.renameWorkspace(id: "primary", name: "Main"))
            #expect(try org.git(["show", "HEAD:workspaces/primary.yaml"]).hasPrefix("id: primary\nname: Main\n"))
        }
    }

    @Test("a write waits for the orgsync lock another holder has, and refuses after ORGSYNC_LOCK_TIMEOUT seconds")
    func writeLock() throws {
        try withOrg { org in
            // Another holder: the same lock file through its own open file, as a second process has it.
            try org.write(".git/orgsync/lock", "4242\n")
            let holder = open(org.directory + "/.git/orgsync/lock", O_RDWR)
            try #require(holder >= 0 && flock(holder, LOCK_EX) == 0)
            setenv("ORGSYNC_LOCK_TIMEOUT", "0", 1)
            #expect(try org.refusal(.createWorkspace(id: "ops", name: "Ops")).message
                == "another orgsync command (pid 4242) is writing to this repository and still was after 0 s; nothing was changed: run the command again when it has finished (ORGSYNC_LOCK_TIMEOUT sets how long to wait)")
            unsetenv("ORGSYNC_LOCK_TIMEOUT")
            // Released while the write waits: the write goes ahead, on top of whatever the holder committed.
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { close(holder) }
            try org.perform(.createWorkspace(id: "ops", name: "Ops"))
            #expect(org.file(".git/orgsync/lock") == "\(getpid())\n")
            try org.expectHistoryValid()
        }
    }

    // MARK: Refusals: each leaves HEAD, the index and the work tree byte-identical

    @Test("refusals say what is wrong and what to do, and change nothing")
    func refusals() throws {
        try withOrg { org in
            try org.addTeam(funding: 2_500)
            func diagnostics(_ error: OrgSyncError) -> [String] { error.diagnostics.map { "[\($0.rule)] \($0.message)" } }

            let overdraw = try org.refusal(.transfer(from: "research", to: "primary", credits: try credits("2500.0001"), memo: nil))
            #expect(overdraw.kind == .refused)
            #expect(overdraw.message == "orgsync transfer refused: the result would break a rule (above, in the files it would write); nothing was written")
            #expect(diagnostics(overdraw) == ["[R7] transfer of 2500.0001 exceeds the 2500 credits available in 'research' at 2026-11-21T10:05:00Z; transfer at most 2500 or top up first"])

            let selfTransfer = try org.refusal(.transfer(from: "research", to: "research", credits: try credits("1"), memo: nil))
            #expect(diagnostics(selfTransfer) == ["[R7] a transfer needs two different workspaces, but both from and to are 'research'"])

            let unknown = try org.refusal(.transfer(from: "primary", to: "reserch", credits: try credits("1"), memo: nil))
            #expect(diagnostics(unknown) == ["[REF] transfer to 'reserch', which is not a workspace; did you mean 'research'?"])
            #expect(try org.refusal(.renameWorkspace(id: "reserch", name: "X")).message
                == "no workspace 'reserch'; did you mean 'research'?; list them with 'orgsync workspace list'")

            #expect(try org.refusal(.deleteWorkspace(id: "primary")).message == "'primary' is the Primary Workspace, which cannot be deleted (R3)")

            let duplicate = try org.refusal(.addMember(id: "bo2", email: "BO@Acme.Example", name: nil, role: .member, workspaces: []))
            #expect(diagnostics(duplicate) == ["[DUP] email 'BO@Acme.Example' is also the email of member 'bo'; emails are unique, ignoring case"])

            let lastOwner = "'ana' is the organization's last owner and cannot be %@: the organization always keeps an owner (R11); make another member owner first (orgsync member role ID owner)"
            #expect(try org.refusal(.removeMember(id: "ana")).message == lastOwner.replacingOccurrences(of: "%@", with: "removed"))
            #expect(try org.refusal(.setRole(member: "ana", role: .admin)).message == lastOwner.replacingOccurrences(of: "%@", with: "made admin"))

            let noRole = try org.refusal(.createWorkspace(id: "ops", name: "Ops"), as: "bo@acme.example")
            #expect(diagnostics(noRole) == ["[T4] billing 'bo' (bo@acme.example) may not make this change: added workspace 'ops'; billing may only add ledger events (top-ups, transfers and mode changes)"])
            let member = try org.refusal(.topup(credits: try credits("5"), reference: nil), as: "cy@acme.example")
            #expect(diagnostics(member).count == 1 && diagnostics(member)[0].hasPrefix("[T4] member 'cy' (cy@acme.example) may not make this change: added ledger event"))
            #expect(try org.refusal(.topup(credits: try credits("5"), reference: nil), as: "eve@evil.example").message
                == "'eve@evil.example' is not an active member of the organization, so it may change nothing; act as a member (git config user.email, or --as EMAIL)")

            try org.perform(.setMode(.shared))
            let shared = try org.refusal(.transfer(from: "primary", to: "research", credits: try credits("1"), memo: nil))
            #expect(diagnostics(shared) == ["[R7] transfers are possible only in budget mode, and the organization is in shared mode at \(org.now); add a mode event switching to budget before this transfer"])
        }
    }

    @Test("an id whose committed file cannot be read is not free: creating it would replace that file")
    func unreadableFileIsNotReplaced() throws {
        try withOrg { org in
            try org.write("workspaces/ops.yaml", "id: ops\nname: [unclosed\n")
            try org.commitByHand("A broken workspace file")
            #expect(try org.refusal(.createWorkspace(id: "ops", name: "Ops")).message
                == "workspaces/ops exists but cannot be read; fix it first (orgsync validate --rev HEAD)")
        }
    }

    @Test("uncommitted edits and staged changes are never overwritten")
    func dirtyWorkTree() throws {
        try withOrg { org in
            try org.write("workspaces/primary.yaml", "id: primary\nname: Primary Workspace # my edit\nprimary: true\n")
            #expect(try org.refusal(.assign(member: "ana", workspace: "primary", role: .viewer)).message
                == "workspaces/primary.yaml has uncommitted changes, and this operation writes it; commit, stash or move it first (git status)")
            _ = try org.git(["checkout", "--", "workspaces/primary.yaml"])
            try org.write("README.md", "notes\n")
            _ = try org.git(["add", "README.md"])
            #expect(try org.refusal(.topup(credits: try credits("1"), reference: nil)).message
                == "the index has staged changes; commit or unstage them (git status) before running orgsync")
        }
    }

    @Test("a failure after the work tree is written puts the work tree and index back, and the branch stays")
    func rollBack() throws {
        try withOrg { org in
            // git's lock on the index makes writing it fail after the work tree has been written.
            try org.write(".git/index.lock", "")
            let error = try org.refusal(.createWorkspace(id: "ops", name: "Ops"))
            #expect(error.kind == .environment)
            #expect(error.message.hasPrefix("cannot write the index"))
            #expect(!FileManager.default.fileExists(atPath: org.directory + "/workspaces/ops.yaml"))
            try FileManager.default.removeItem(atPath: org.directory + "/.git/index.lock")
            try org.perform(.createWorkspace(id: "ops", name: "Ops"))
            try org.expectHistoryValid()
        }
    }
}
