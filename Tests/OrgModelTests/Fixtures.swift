@testable import OrgModel

/// Small organizations written as files, the way a person would write them.
enum Fixture {
    /// A valid ULID for test event `n`; ids sort in the order of `n`.
    static func ulid(_ n: Int) -> String {
        let digits = String(n)
        return "01JD" + String(repeating: "0", count: 22 - digits.count) + digits
    }

    static func time(day: Int, hour: Int = 9) -> String {
        "2026-11-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):00:00Z"
    }

    /// org.yaml, the owner ana, the Primary `hq`, and live workspaces `a` and `b`.
    static func base() -> [String: String] {
        [
            "org.yaml": "schema: 1\nid: acme\nname: Acme\n",
            "members/ana.yaml": "id: ana\nemail: ana@acme.example\nrole: owner\n",
            "members/bo.yaml": "id: bo\nemail: bo@acme.example\nrole: member\n",
            "workspaces/hq.yaml": "id: hq\nname: HQ\nprimary: true\nmembers:\n  - member: ana\n    role: admin\n",
            "workspaces/a.yaml": "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: member\n",
            "workspaces/b.yaml": "id: b\nname: Team B\n",
        ]
    }

    static func eventPath(_ n: Int) -> String { "ledger/2026/11/\(ulid(n)).yaml" }

    static func topup(_ n: Int, day: Int, credits: String) -> (String, String) {
        (eventPath(n), "id: \(ulid(n))\nat: \(time(day: day))\nby: ana\ntype: topup\ncredits: \(credits)\n")
    }

    static func transfer(_ n: Int, day: Int, from: String, to: String, credits: String, reason: String? = nil, hour: Int = 9) -> (String, String) {
        var text = "id: \(ulid(n))\nat: \(time(day: day, hour: hour))\nby: ana\ntype: transfer\nfrom: \(from)\nto: \(to)\ncredits: \(credits)\n"
        if let reason { text += "reason: \(reason)\n" }
        return (eventPath(n), text)
    }

    static func mode(_ n: Int, day: Int, _ mode: String, hour: Int = 9) -> (String, String) {
        (eventPath(n), "id: \(ulid(n))\nat: \(time(day: day, hour: hour))\nby: ana\ntype: mode\nmode: \(mode)\n")
    }

    static func usage(workspace: String, day: Int, _ lines: [(id: String, hour: Int, credits: String)]) -> (String, String) {
        let text = lines.map { line in
            "{\"id\":\"\(line.id)\",\"at\":\"\(time(day: day, hour: line.hour))\",\"member\":\"bo\",\"tool\":\"chat\",\"credits\":\(line.credits)}\n"
        }.joined()
        return ("usage/\(workspace)/2026/11/\(day < 10 ? "0" : "")\(day)-gw-1.jsonl", text)
    }

    static func snapshot(_ files: [String: String], _ extra: [(String, String)]) -> Snapshot {
        var all = files
        for (path, text) in extra { all[path] = text }
        return Snapshot(files: all)
    }

    static func validate(_ extra: [(String, String)], base: [String: String] = base()) -> ValidationReport {
        Validator.validate(snapshot(base, extra))
    }

    /// The terminal rendering of a report's diagnostics, for exact comparisons.
    static func rendered(_ report: ValidationReport) -> String {
        DiagnosticRenderer.text(report.diagnostics)
    }
}
