import Foundation
import OrgModel
import OrgTestSupport
import Testing

/// The built `orgsync` executable, next to the test bundle.
let orgsync: String = {
    let candidates: [String] = [
        Bundle.main.executableURL?.deletingLastPathComponent().path,
        URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().path,
        packageRoot + "/.build/debug",
    ].compactMap { $0 }
    return candidates.map { $0 + "/orgsync" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "orgsync"
}()

func run(_ arguments: [String], in directory: String = packageRoot, home: String = NSTemporaryDirectory(), email: String? = "ana@acme.example") throws -> ProcessOutput {
    try runProcess(orgsync, arguments, in: directory, environment: isolatedEnvironment(home: home, email: email))
}

let invalidCases: [String] = {
    let folder = packageRoot + "/samples/invalid"
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
        FileManager.default.fileExists(atPath: "\(folder)/\($0)/expected.txt")
    }.sorted()
}()

@Suite("orgsync validate")
struct ValidateCommandTests {
    @Test("every samples/invalid case gives exactly its expected diagnostics", arguments: invalidCases)
    func invalidSample(name: String) throws {
        let directory = packageRoot + "/samples/invalid/" + name
        let expected = try String(contentsOfFile: directory + "/expected.txt", encoding: .utf8)
            .replacingOccurrences(of: "{dir}", with: directory)
        let result = try run(["validate", "--repo", directory])
        #expect(result.stdout == expected)
        #expect(result.stderr == "")
        #expect(result.status == (name.hasPrefix("warning-") ? 0 : 1))
    }

    @Test func thereIsACaseForEveryRuleFamily() {
        let families = Set(invalidCases.map { $0.split(separator: "-").first.map(String.init) ?? "" })
        #expect(families.isSuperset(of: ["r3", "r7", "r8", "r9", "r10", "r11", "r14", "r15", "f1", "f2", "f3", "f4", "f6",
                                         "syntax", "schema", "ref", "dup", "secret", "layout", "json", "warning"]))
        #expect(invalidCases.count >= 38)
    }

    @Test func theSampleOrganizationIsValid() throws {
        let directory = packageRoot + "/samples/acme"
        let result = try run(["validate", "--repo", directory])
        #expect(result.stdout == "valid: \(directory) (8 workspaces, 17 members, 33 ledger events, 983 usage records)\n")
        #expect(result.status == 0)
    }

    @Test func jsonHasRuleSeverityMessagePathLineAndColumn() throws {
        let result = try run(["validate", "--repo", packageRoot + "/samples/invalid/r7-overdraw", "--format", "json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        #expect(object["errors"] as? Int == 1)
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["rule"] as? String == "R7")
        #expect(diagnostic["severity"] as? String == "error")
        #expect(diagnostic["path"] as? String == "ledger/2026/11/01JD0000000000000000000003.yaml")
        #expect(diagnostic["line"] as? Int == 7)
        #expect(diagnostic["column"] as? Int == 10)
        #expect((diagnostic["message"] as? String)?.hasPrefix("transfer of 1500 exceeds the 1000 credits available in 'primary'") == true)
        // Keys are sorted, so the output is stable for diffs and golden files.
        #expect(result.stdout.contains("\"column\": 10,\n      \"line\": 7,\n      \"message\""))
    }

    @Test func usageAndEnvironmentErrorsExitTwo() throws {
        let unknownOption = try run(["validate", "--bogus"])
        #expect(unknownOption.status == 2)
        #expect(unknownOption.stderr.hasPrefix("Error: Unknown option '--bogus'"))

        let noFolder = try run(["validate", "--repo", "/nonexistent/org"])
        #expect(noFolder.status == 2)
        #expect(noFolder.stderr == "error: '/nonexistent/org' is not a folder; pass the organization's folder with --repo\n")

        let unknownRevision = try run(["validate", "--repo", packageRoot + "/samples/acme", "--rev", "no-such-rev"])
        #expect(unknownRevision.status == 2)
        #expect(unknownRevision.stderr == "error: unknown revision 'no-such-rev': revspec 'no-such-rev' not found\n")

        let json = try run(["balances", "--repo", "/nonexistent/org", "--format", "json"])
        #expect(json.status == 2)
        #expect(json.stdout.contains("\"kind\": \"environment\""))
    }
}

@Suite("orgsync init, status, balances and demo")
struct WorkflowTests {
    @Test func initThenInspect() throws {
        try withScratchDirectory { scratch in
            let created = try run(["init", "org", "--name", "Acme Corp", "--mode", "budget", "--credits", "10000", "--primary", "core-prod"],
                                  in: scratch, home: scratch)
            #expect(created.status == 0)
            #expect(created.stdout.hasPrefix("Created organization 'Acme Corp' (acme-corp) in \(scratch)/org\n"))

            let status = try run(["status", "--repo", "org"], in: scratch, home: scratch)
            #expect(status.status == 0)
            #expect(status.stdout.contains("Mode          budget\nPrimary       core-prod, 10,000 credits\n"))
            #expect(status.stdout.hasSuffix("Validation    valid\n"))

            let balances = try run(["balances", "--repo", "org", "--format", "json"], in: scratch, home: scratch)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(balances.stdout.utf8)) as? [String: Any])
            #expect((object["primaryDerivation"] as? [String: Any])?["balance"] as? Int == 10000)

            let again = try run(["init", "org", "--name", "Other"], in: scratch, home: scratch)
            #expect(again.status == 1)
            #expect(again.stderr == "error: '\(scratch)/org' already holds organization files (org.yaml); run orgsync init in a new folder\n")
        }
    }

    @Test func initWithoutAnIdentityExplainsAndLeavesNothing() throws {
        try withScratchDirectory { scratch in
            // Every folder init made on the way, and the repository, go again.
            let result = try run(["init", "a/b/org", "--name", "Acme"], in: scratch, home: scratch, email: nil)
            #expect(result.status == 2)
            #expect(result.stderr == "error: no owner: pass --owner EMAIL, or set your identity with 'git config --global user.email EMAIL'\n")
            #expect(!FileManager.default.fileExists(atPath: scratch + "/a"))
        }
    }

    @Test func balancesRefuseALedgerThatDoesNotReplay() throws {
        let result = try run(["balances", "--repo", packageRoot + "/samples/invalid/r7-overdraw"])
        #expect(result.status == 1)
        #expect(result.stderr.hasSuffix("error: the ledger cannot be replayed until these errors are fixed\n"))
        #expect(result.stderr.contains("[R7] transfer of 1500 exceeds"))
    }

    @Test func theDemoRunsTheMainJob() throws {
        try withScratchDirectory { scratch in
            let result = try run(["demo", "--output", scratch + "/demo"], in: scratch, home: scratch)
            #expect(result.status == 0)
            #expect(result.stdout.contains("   valid: no errors, no warnings.\n"))
            #expect(result.stdout.contains("45,000 added − 26,650.25 transferred out + 307.7223 transferred in − 2,460.6201 usage = 16,196.8522"))
            let validate = try run(["validate", "--repo", scratch + "/demo", "--rev", "HEAD"], in: scratch, home: scratch)
            #expect(validate.status == 0)
            // Step 5: a remote with the server hook, a clone, offline work and sync; the admin's earlier
            // transfer is re-stamped after the owner's, and everyone ends at the remote's valid head.
            #expect(result.stdout.contains("\n5. The same admins in two clones of a remote, offline, then 'orgsync sync':\n   Published the repository to \(scratch)/demo-sync/remote.git, whose pre-receive hook checks every push:\n"), "\(result.stdout)")
            #expect(result.stdout.contains("   re-stamped it to replay after the published one (the merge commit records it, his commit is untouched):\n"))
            #expect(result.stdout.contains("     pushed 2 commits, each checked by the server's hook.\n   ana syncs again: a fast-forward.\n   Both clones and the remote are at "))
            #expect(result.stdout.contains(": one organization, valid, with everything both did.\n"))
            let remoteHead = try runProcess("/usr/bin/env", ["git", "-C", scratch + "/demo-sync/remote.git", "rev-parse", "main"], in: scratch, environment: isolatedEnvironment(home: scratch))
            let demoHead = try runProcess("/usr/bin/env", ["git", "-C", scratch + "/demo", "rev-parse", "HEAD"], in: scratch, environment: isolatedEnvironment(home: scratch))
            #expect(remoteHead.stdout == demoHead.stdout)
        }
    }
}
