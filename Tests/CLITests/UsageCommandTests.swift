import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import OrgModel
import OrgTestSupport
import Testing

/// `orgsync usage record | import | report` and `orgsync export`, end to end with the real binary and git.
@Suite("usage and export commands")
struct UsageCommandTests {
    typealias World = AdminCommandTests.World

    /// Budget mode with 100 credits in `team-a`, where bo is a member capped at 25 a day.
    static func withTeam(_ body: (World) throws -> Void) throws {
        try AdminCommandTests.withWorld { world in
            for arguments in [
                ["workspace", "create", "team-a", "--name", "Team A"],
                ["member", "add", "bo", "--email", "bo@acme.example", "--workspace", "team-a"],
                ["transfer", "--from", "primary", "--to", "team-a", "--credits", "100"],
            ] {
                let result = try world.orgsync(arguments)
                try #require(result.status == 0, "\(arguments): \(result.stderr)")
            }
            try body(world)
        }
    }

    @Test("usage record charges exactly the balance, then exits 1 with 'blocked:' and changes nothing")
    func recordAndBlock() throws {
        try Self.withTeam { world in
            let base = ["usage", "record", "--workspace", "team-a", "--member", "bo", "--tool", "chat", "--at", "2099-01-01T10:00:00Z"]
            let spent = try world.orgsync(base + ["--credits", "100", "--id", "req-1", "--model", "m1"])
            #expect(spent.status == 0, "\(spent.stderr)")
            #expect(spent.stdout.hasPrefix("Record 100 credits of chat by 'bo' in 'team-a'\n  + usage/team-a/2099/01/01-ana.jsonl\n  balances: team-a 100 → 0\n"))
            let head = try world.head()
            let blocked = try world.orgsync(base + ["--credits", "0.0001"])
            #expect(blocked.status == 1)
            #expect(blocked.stderr == "blocked: a charge of 0.0001 credits to 'team-a' by 'bo' exceeds the 0 credits available in 'team-a' (R8); transfer credits into 'team-a', or charge at most 0\n")
            #expect(try world.head() == head)
            #expect(try world.git(["status", "--porcelain"]).stdout == "")
            let json = try world.orgsync(base + ["--credits", "1", "--format", "json"])
            #expect(json.status == 1)
            #expect(json.stdout.contains("\"kind\": \"blocked\""))
            let again = try world.orgsync(base + ["--credits", "0", "--id", "req-1"])
            #expect(again.stderr == "error: usage record 'req-1' is already recorded; record ids are unique, so each charge is made once\n")
        }
    }

    @Test("usage import is idempotent: a second import of the same file adds nothing and makes no commit")
    func importTwice() throws {
        try Self.withTeam { world in
            let file = world.scratch + "/usage.csv"
            try """
                id,at,workspace,member,tool,credits,model,tokens
                r-1,2099-01-01T09:00:00Z,team-a,bo,chat,12.5,m1,900
                r-2,2099-01-02T09:00:00Z,team-a,bo,image,7.25,,

                """.write(toFile: file, atomically: true, encoding: .utf8)
            let first = try world.orgsync(["usage", "import", file, "--writer", "import-1"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.hasPrefix("Import 2 usage records (19.75 credits) in 'team-a'\n  + usage/team-a/2099/01/01-import-1.jsonl\n  + usage/team-a/2099/01/02-import-1.jsonl\n"))
            let head = try world.head()
            let second = try world.orgsync(["usage", "import", file, "--writer", "import-1"])
            #expect(second.status == 0)
            #expect(second.stdout == "Nothing to import: all 2 records of \(file) are already recorded.\n")
            #expect(try world.head() == head)

            try "r-1,2099-01-01T09:00:00Z,team-a,bo,chat,99\n".write(toFile: file, atomically: true, encoding: .utf8)
            try "id,at,workspace,member,tool,credits\nr-1,2099-01-01T09:00:00Z,team-a,bo,chat,99\n".write(toFile: file, atomically: true, encoding: .utf8)
            let conflict = try world.orgsync(["usage", "import", file])
            #expect(conflict.status == 1)
            #expect(conflict.stderr.hasPrefix("\(file):2:1: error: [DUP] record id 'r-1' is already used by another record"))
            #expect(try world.head() == head)

            let balances = try world.orgsync(["balances", "--format", "json"])
            #expect(balances.stdout.contains("\"consumed\": 19.75"))
        }
    }

    @Test("usage report: totals equal the replay's; CSV, Markdown and JSON; the SVG parses as XML; the HTML page is self-contained")
    func report() throws {
        try withScratchDirectory { scratch in
            let sample = packageRoot + "/samples/acme"
            let csv = try run(["usage", "report", "--repo", sample, "--by", "tool", "--format", "csv", "--svg", scratch + "/chart.svg", "--html", scratch + "/report.html"])
            #expect(csv.status == 0, "\(csv.stderr)")
            #expect(csv.stdout == """
                tool,total,records
                image,6804,236
                video,3852,46
                chat,2537.5566,466
                (deleted workspaces),2108.1017,0
                audio,1578.12,110
                speech,1469.257,125
                total,18349.0353,983

                """)
            let balances = try run(["balances", "--repo", sample, "--format", "json"])
            #expect(balances.stdout.contains("\"consumed\": 18349.0353"))

            let svg = try #require(FileManager.default.contents(atPath: scratch + "/chart.svg"))
            let parser = XMLParser(data: svg)
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
            let svgText = String(decoding: svg, as: UTF8.self)
            for label in ["Credits", "Tool", "image", "(deleted workspaces)", "18,349.0353"] {
                #expect(svgText.contains(label), "the chart lacks '\(label)'")
            }
            let html = try String(contentsOfFile: scratch + "/report.html", encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.contains("<svg"))
            #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("<script"))

            let days = try run(["usage", "report", "--repo", sample, "--by", "day", "--since", "2026-11-19", "--until", "2026-11-20", "--format", "markdown"])
            #expect(days.stdout == """
                ## Acme Corp: usage by day

                2026-11-19 to 2026-11-20 (UTC), in credits.

                | day | chat | image | video | audio | speech | total | records |
                | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                | 2026-11-19 | 68.7528 | 352 | 0 | 65.44 | 94.295 | 580.4878 | 33 |
                | 2026-11-20 | 137.7217 | 156 | 212 | 48.58 | 83.616 | 637.9177 | 43 |
                | **total** | **206.4745** | **508** | **212** | **114.02** | **177.911** | **1,218.4055** | **76** |

                """)
            let json = try run(["usage", "report", "--repo", sample, "--by", "workspace", "--format", "json"])
            #expect(json.stdout.contains("\"key\": \"promo-staging\""))
            let bad = try run(["usage", "report", "--repo", sample, "--since", "yesterday"])
            #expect(bad.status == 2)
        }
    }

    @Test("export writes one workspace's data into a new folder, and refuses an existing one")
    func export() throws {
        try withScratchDirectory { scratch in
            let sample = packageRoot + "/samples/acme"
            let result = try run(["export", "--repo", sample, "--workspace", "search-prod", "--output", scratch + "/out"])
            #expect(result.status == 0, "\(result.stderr)")
            let files = try filesBelow(scratch + "/out")
            #expect(files.keys.filter { !$0.hasPrefix("usage/") && !$0.hasPrefix("members/") }.sorted() == ["balance-history.csv", "manifest.json", "workspaces/search-prod.yaml"])
            for (path, bytes) in files {
                for other in ["core-prod", "chat-prod", "chat-staging", "image-dev", "image-prod", "voice-prod", "promo-staging"] {
                    #expect(!String(decoding: bytes, as: UTF8.self).contains(other), "\(path) names \(other)")
                }
            }
            let again = try run(["export", "--repo", sample, "--workspace", "search-prod", "--output", scratch + "/out"])
            #expect(again.status == 2)
            #expect(again.stderr.contains("already exists and is not an empty folder"))
            let unknown = try run(["export", "--repo", sample, "--workspace", "search", "--output", scratch + "/other"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "error: no workspace 'search'; list them with 'orgsync workspace list'\n")
        }
    }
}
