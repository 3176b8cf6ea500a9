import Foundation
import OrgModel
import OrgTestSupport
import Testing

/// What concurrent runs printed, collected under a lock.
private final class Outputs: @unchecked Sendable {
    let lock = NSLock()
    var outputs: [ProcessOutput] = []
}

/// The admin commands end to end: the real binary, the real git CLI, hooks installed, and a bare remote
/// with the server hook that must accept what the commands commit.
@Suite("admin commands")
struct AdminCommandTests {
    struct World {
        let scratch: String
        var org: String { scratch + "/org" }

        func orgsync(_ arguments: [String], as email: String = "ana@acme.example") throws -> ProcessOutput {
            try runProcess(CLITests.orgsync, arguments, in: org, environment: isolatedEnvironment(home: scratch, email: email, name: email))
        }

        @discardableResult
        func git(_ arguments: [String], in directory: String? = nil) throws -> ProcessOutput {
            try runProcess("/usr/bin/env", ["git"] + arguments, in: directory ?? org, environment: isolatedEnvironment(home: scratch))
        }

        func head() throws -> String { try git(["rev-parse", "HEAD"]).stdout }
    }

    static func withWorld(_ body: (World) throws -> Void) throws {
        try withScratchDirectory { scratch in
            let world = World(scratch: scratch)
            let created = try runProcess(CLITests.orgsync, ["init", "org", "--name", "Acme", "--mode", "budget", "--credits", "10000"],
                                         in: scratch, environment: isolatedEnvironment(home: scratch))
            try #require(created.status == 0, "\(created.stderr)")
            try body(world)
        }
    }

    @Test("the README tour: a budget, a transfer, an API key verified and revoked, a deletion; every commit passes the hooks and the server")
    func tour() throws {
        try Self.withWorld { world in
            try #require(try world.orgsync(["hooks", "install"]).status == 0)
            try world.git(["add", ".gitattributes"])
            try #require(try world.git(["commit", "-q", "-m", "Use the orgsync merge driver"]).status == 0)

            let created = try world.orgsync(["workspace", "create", "research", "--name", "Research Lab"])
            #expect(created.status == 0)
            #expect(created.stderr == "")
            #expect(created.stdout.hasPrefix("Create workspace 'research' (Research Lab)\n  + workspaces/research.yaml\nCommitted "))
            #expect(created.stdout.hasSuffix(" as ana (ana@acme.example).\n"))

            let moved = try world.orgsync(["transfer", "--from", "primary", "--to", "research", "--credits", "2500", "--memo", "Q4"])
            #expect(moved.status == 0)
            #expect(moved.stdout.contains("  balances: primary 10,000 → 7,500, research 0 → 2,500\n"))

            let key = try world.orgsync(["key", "create", "--workspace", "research", "--name", "gateway", "--format", "json"])
            #expect(key.status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(key.stdout.utf8)) as? [String: Any])
            let secret = try #require(json["secret"] as? String)
            #expect(json["operation"] as? String == "key-create")
            #expect(secret.hasPrefix("osk_") && secret.count == 44)

            let valid = try world.orgsync(["key", "verify", secret])
            #expect(valid.status == 0)
            #expect(valid.stdout == "valid: key 'gateway' of workspace 'research'\n")
            let invalid = try world.orgsync(["key", "verify", "osk_nope", "--format", "json"])
            #expect(invalid.status == 1)
            #expect(invalid.stdout == "{\n  \"key\": null,\n  \"status\": \"invalid\",\n  \"valid\": false,\n  \"workspace\": null\n}\n")

            #expect(try world.orgsync(["key", "revoke", "gateway"]).status == 0)
            let revoked = try world.orgsync(["key", "verify", secret])
            #expect(revoked.status == 1)
            #expect(revoked.stdout.hasPrefix("revoked: key 'gateway' of workspace 'research' was revoked at "))

            let deleted = try world.orgsync(["workspace", "delete", "research"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(deleted.stdout.contains("  returns its balance of 2,500 credits to 'primary'\n"))
            #expect(deleted.stdout.contains("  balances: primary 7,500 → 10,000, research 2,500 → deleted\n"))

            let list = try world.orgsync(["workspace", "list", "--all"])
            #expect(list.stdout.replacing(#/20\d\d-\d\d-\d\d/#, with: "YYYY-MM-DD") == """
                WORKSPACE  NAME                               BALANCE  CONSUMED  MEMBERS  KEYS
                primary *  Primary Workspace                   10,000         0        1     0
                research   Research Lab (deleted YYYY-MM-DD)        -         0
                * Primary Workspace

                """)

            // No secret anywhere in the repository's objects, and every commit checks out.
            #expect(!(try world.git(["cat-file", "--batch-all-objects", "--batch"]).stdout.contains(String(secret.dropFirst(10)))))
            let range = try world.orgsync(["validate", "--range", "HEAD"])
            #expect(range.status == 0, "\(range.stdout)")
            #expect(try world.git(["status", "--porcelain"]).stdout == "")
            #expect(try world.git(["log", "--format=%(trailers:key=Orgsync-Operation,valueonly,separator=)"]).stdout
                == "workspace-delete\nkey-revoke\nkey-create\ntransfer\nworkspace-create\n\ninit\n")

            // The server's pre-receive hook accepts the whole history.
            try world.git(["init", "-q", "--bare", "-b", "main", world.scratch + "/remote.git"], in: world.scratch)
            let server = try runProcess(CLITests.orgsync, ["hooks", "install", "--server", "--repo", world.scratch + "/remote.git"], in: world.scratch,
                                        environment: isolatedEnvironment(home: world.scratch))
            try #require(server.status == 0, "\(server.stderr)")
            let push = try world.git(["push", "-q", world.scratch + "/remote.git", "HEAD:main"])
            #expect(push.status == 0, "\(push.stderr)")
        }
    }

    @Test("a refusal exits 1, says why on stderr (or as JSON), and leaves HEAD and the files alone")
    func refusal() throws {
        try Self.withWorld { world in
            let head = try world.head()
            let files = try filesBelow(world.org)
            let overdraw = try world.orgsync(["transfer", "--from", "primary", "--to", "primary", "--credits", "5"])
            #expect(overdraw.status == 1)
            #expect(overdraw.stdout == "")
            #expect(overdraw.stderr.hasSuffix(": error: [R7] a transfer needs two different workspaces, but both from and to are 'primary'\nerror: orgsync transfer refused: the result would break a rule (above, in the files it would write); nothing was written\n"))

            let json = try world.orgsync(["workspace", "delete", "primary", "--format", "json"])
            #expect(json.status == 1)
            #expect(json.stdout == """
                {
                  "error": {
                    "diagnostics": [],
                    "kind": "refused",
                    "message": "'primary' is the Primary Workspace, which cannot be deleted (R3)"
                  }
                }

                """)
            let badAmount = try world.orgsync(["topup", "--credits", "1.23456"])
            #expect(badAmount.status == 2)
            #expect(badAmount.stderr.hasPrefix("Error: The value '1.23456' is invalid for '--credits <n>': '1.23456' has more than 4 fractional digits; credits are exact to 0.0001\n"))

            let stranger = try world.orgsync(["topup", "--credits", "5"], as: "eve@evil.example")
            #expect(stranger.status == 1)
            #expect(stranger.stderr == "error: 'eve@evil.example' is not an active member of the organization, so it may change nothing; act as a member (git config user.email, or --as EMAIL)\n")
            #expect(try world.head() == head)
            #expect(try filesBelow(world.org) == files)
        }
    }

    @Test("eight commands at once on one clone, all writing the same file: the lock serializes them, each commits on top of the last, and the clone stays consistent")
    func concurrentCommands() throws {
        try Self.withWorld { world in
            let results = Outputs()
            // One thread each, so all eight run at once (concurrentPerform would run one per core).
            let group = DispatchGroup()
            for index in 0..<8 {
                group.enter()
                Thread.detachNewThread {
                    let output = try? world.orgsync(["workspace", "rename", "primary", "--name", "Main \(index)"])
                    results.lock.withLock { if let output { results.outputs.append(output) } }
                    group.leave()
                }
            }
            group.wait()
            #expect(results.outputs.count == 8)
            for result in results.outputs {
                #expect(result.status == 0, "\(result.stderr)")
            }
            let status = try world.git(["status", "--porcelain"]).stdout
            let commits = try world.git(["rev-list", "--count", "HEAD"]).stdout
            let range = try world.orgsync(["validate", "--range", "HEAD"])
            #expect(status == "")
            #expect(commits == "9\n")
            #expect(range.status == 0)
        }
    }

    @Test("--dry-run --format json reports the plan and commits nothing")
    func dryRun() throws {
        try Self.withWorld { world in
            let head = try world.head()
            let result = try world.orgsync(["member", "add", "bo", "--email", "bo@acme.example", "--role", "billing", "--workspace", "primary:viewer", "--dry-run", "--format", "json"])
            #expect(result.status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(json["dryRun"] as? Bool == true)
            #expect(json["commit"] is NSNull)
            #expect((json["files"] as? [String: [String]]) == ["added": ["members/bo.yaml"], "changed": ["workspaces/primary.yaml"], "removed": []])
            #expect(try world.head() == head)
            #expect(!FileManager.default.fileExists(atPath: world.org + "/members/bo.yaml"))

            let members = try world.orgsync(["member", "list"])
            #expect(members.stdout == "MEMBER  EMAIL             NAME       ROLE   WORKSPACES\nana     ana@acme.example  Ana Lopez  owner  primary:admin\n")
        }
    }

    @Test("provider resolve answers the pin, the default, or exit 1")
    func providerResolve() throws {
        try Self.withWorld { world in
            #expect(try world.orgsync(["provider", "add", "openai-main", "--provider", "openai", "--secret-ref", "env:OPENAI_API_KEY", "--default"]).status == 0)
            let resolved = try world.orgsync(["provider", "resolve", "--workspace", "primary", "--provider", "openai"])
            #expect(resolved.stdout == "openai-main (env:OPENAI_API_KEY): the organization's default for openai\n")
            let missing = try world.orgsync(["provider", "resolve", "--workspace", "primary", "--provider", "anthropic"])
            #expect(missing.status == 1)
            let pasted = try world.orgsync(["provider", "add", "leak", "--provider", "openai", "--secret-ref", "sk-proj-abcdefghijklmnopqrstuvwxyz012345"])
            #expect(pasted.status == 1)
            #expect(!pasted.stderr.contains("abcdefghijklmnopqrstuvwxyz"))
            #expect(FileManager.default.contents(atPath: world.org + "/providers.yaml").map { String(decoding: $0, as: UTF8.self).contains("sk-proj") } == false)
        }
    }
}
