import Foundation
import OrgTestSupport
import Testing

/// The bad-input corpus (SPEC §10): every file under `Tests/BadInput/<category>/` is one hostile or broken
/// input with the outcome it must have. Each case goes through the tools it names, as real processes:
///
/// - `validate`: the payload dropped into a copy of the valid base organization (`Tests/BadInput/base`),
///   checked in the work tree with `orgsync validate --format json`;
/// - `validate-rev`: the same tree committed with the real git CLI (links and gitlinks included), checked
///   straight from git objects with `--rev HEAD`;
/// - `merge-driver`: `orgsync merge-driver BASE OURS THEIRS PATH` as git runs it, with the base
///   organization's file as BASE, a valid edit of it as OURS and the payload as THEIRS;
/// - `usage-import`: `orgsync usage import FILE --format json` with the payload as FILE.
///
/// Each must exit 1 with exactly the expected diagnostics: no crash, no hang, no silent acceptance.
/// The format of a case is in `Tests/BadInput/README.md`.
@Suite("bad-input corpus")
struct BadInputTests {
    static let root = packageRoot + "/Tests/BadInput"

    @Test("the base organization alone is valid, in the work tree and at HEAD")
    func baseIsValid() throws {
        let template = try Template.shared()
        let worked = try run(["validate", "--repo", template.path], in: template.path, home: template.home)
        #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
        #expect(worked.stdout.hasPrefix("valid: "))
        let committed = try run(["validate", "--rev", "HEAD"], in: template.path, home: template.home)
        #expect(committed.status == 0, "\(committed.stdout)\(committed.stderr)")
    }

    @Test("the corpus has at least 200 cases, in every category the spec names, each through a tool")
    func corpusIsComplete() throws {
        let cases = try BadInputCase.all()
        #expect(cases.count >= 200)
        let categories = Set(cases.map(\.category))
        #expect(categories.isSuperset(of: ["yaml-syntax", "json-syntax", "duplicate-keys", "alias-bombs", "nesting", "huge-files",
                                           "encoding", "line-endings", "numbers", "ids", "case-collisions", "tree-entries",
                                           "unknown-keys", "schema-version", "usage-import"]))
        for badCase in cases {
            #expect(!badCase.tools.isEmpty, "\(badCase.name) goes through no tool")
            for tool in badCase.tools { #expect(!badCase.expectations(for: tool).isEmpty, "\(badCase.name) expects nothing of \(tool)") }
        }
        #expect(cases.contains { $0.tools.contains(.validateRev) && $0.entry != .file })
    }

    @Test("every bad input gets its diagnostics and exit 1 from every tool it goes through", arguments: try BadInputCase.all())
    func badInput(_ badCase: BadInputCase) throws {
        let template = try Template.shared()
        try withScratchDirectory { scratch in
            let repo = scratch + "/org"
            try FileManager.default.copyItem(atPath: template.path, toPath: repo)
            for tool in BadInputCase.Tool.allCases where badCase.tools.contains(tool) {
                switch tool {
                case .validate: try validate(badCase, repo: repo, home: template.home, revision: false)
                case .validateRev: try validate(badCase, repo: repo, home: template.home, revision: true)
                case .mergeDriver: try mergeDriver(badCase, repo: repo, scratch: scratch, home: template.home)
                case .usageImport: try usageImport(badCase, repo: repo, scratch: scratch, home: template.home)
                }
            }
        }
    }

    // MARK: The tools

    private func validate(_ badCase: BadInputCase, repo: String, home: String, revision: Bool) throws {
        let tool: BadInputCase.Tool = revision ? .validateRev : .validate
        if revision {
            try badCase.commit(in: repo, home: home)
        } else {
            try badCase.place(in: repo)
        }
        let result = try run(["validate", "--format", "json"] + (revision ? ["--rev", "HEAD"] : []), in: repo, home: home)
        #expect(result.status == 1, "\(badCase.name) [\(tool)]: exit \(result.status)\n\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "\(badCase.name) [\(tool)]: \(result.stdout)\(result.stderr)")
        let diagnostics = (object["diagnostics"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "error" }
        badCase.check(diagnostics, against: badCase.expectations(for: tool), tool: tool)
    }

    private func mergeDriver(_ badCase: BadInputCase, repo: String, scratch: String, home: String) throws {
        let template = try Template.shared()
        let base = try #require(template.files[badCase.path], "\(badCase.name): merge-driver needs a path the base organization has")
        let edit = BadInputCase.ourEdit(of: base, path: badCase.path)
        let files = ["base": base, "ours": edit, "theirs": try badCase.payload()].mapValues { Data($0) }
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: "\(scratch)/\(name)")) }
        let result = try run(["merge-driver", scratch + "/base", scratch + "/ours", scratch + "/theirs", badCase.path], in: repo, home: home)
        #expect(result.status == 1, "\(badCase.name) [merge-driver]: exit \(result.status)\n\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        for expectation in badCase.expectations(for: .mergeDriver) {
            #expect(lines.contains { $0.contains(expectation.driverText) }, "\(badCase.name) [merge-driver]: no '\(expectation.driverText)' in\n\(result.stderr)")
        }
        // The conflict is on record, so 'orgsync status' and 'orgsync resolve' see it.
        let report = try #require(FileManager.default.contents(atPath: repo + "/.git/orgsync/merge.json"), "\(badCase.name): no merge report")
        let conflicts = (try JSONSerialization.jsonObject(with: report) as? [String: Any])?["conflicts"] as? [[String: Any]] ?? []
        #expect(conflicts.contains { $0["path"] as? String == badCase.path }, "\(badCase.name): the report has no conflict for \(badCase.path)")
        // The driver writes either our version (a whole-file conflict) or the merge it checked: never anything else.
        let written = try #require(FileManager.default.contents(atPath: scratch + "/ours"))
        if conflicts.contains(where: { $0["kind"] as? String == "file" }) { #expect([UInt8](written) == edit, "\(badCase.name): ours was not kept") }
    }

    private func usageImport(_ badCase: BadInputCase, repo: String, scratch: String, home: String) throws {
        let name = (badCase.path as NSString).lastPathComponent
        try Data(try badCase.payload()).write(to: URL(fileURLWithPath: scratch + "/" + name))
        let head = try git(["rev-parse", "HEAD"], in: repo, home: home).stdout
        let result = try run(["usage", "import", name, "--repo", repo, "--as", "ana@acme.example", "--format", "json"], in: scratch, home: home)
        #expect(result.status == 1, "\(badCase.name) [usage-import]: exit \(result.status)\n\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "\(badCase.name) [usage-import]: \(result.stdout)\(result.stderr)")
        let error = object["error"] as? [String: Any] ?? [:]
        let diagnostics = (error["diagnostics"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "error" }
        let expectations = badCase.expectations(for: .usageImport)
        if let refusal = expectations.first(where: { $0.rule == "refused" }) {
            #expect(diagnostics.isEmpty, "\(badCase.name) [usage-import]: \(diagnostics)")
            #expect((error["message"] as? String)?.hasPrefix(refusal.fragment) == true, "\(badCase.name) [usage-import]: \(result.stdout)")
        } else {
            badCase.check(diagnostics, against: expectations, tool: .usageImport)
        }
        // Nothing was imported: no commit, no file.
        #expect(try git(["rev-parse", "HEAD"], in: repo, home: home).stdout == head, "\(badCase.name): the import committed")
        #expect(try git(["status", "--porcelain", "--untracked-files=all"], in: repo, home: home).stdout == "", "\(badCase.name): the import wrote files")
    }

    private func run(_ arguments: [String], in directory: String, home: String) throws -> ProcessOutput {
        try runProcess(CLITests.orgsync, arguments, in: directory, environment: isolatedEnvironment(home: home))
    }
}

/// The valid base organization committed in a git repository, made once and copied for every case.
final class Template: Sendable {
    let path: String
    let home: String
    /// The base organization's files, by path.
    let files: [String: [UInt8]]

    private init() throws {
        var template = Array((NSTemporaryDirectory() + "/orgsync-badinput-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        home = String(cString: made)
        path = home + "/org"
        files = try filesBelow(BadInputTests.root + "/base")
        for (relative, bytes) in files {
            let full = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: full))
        }
        for arguments in [["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "The base organization"]] {
            let result = try git(arguments, in: path, home: home)
            guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: result.stderr]) }
        }
    }

    private static let made = Result { try Template() }

    /// The template, made on first use (and removed by the system's temporary-file cleanup).
    static func shared() throws -> Template { try made.get() }
}

/// One case of the corpus: a header of `# key: value` lines, `# ---`, then the payload's raw bytes.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    enum Tool: String, CaseIterable, Sendable {
        case validate
        case validateRev = "validate-rev"
        case mergeDriver = "merge-driver"
        case usageImport = "usage-import"
    }

    /// What the payload's path holds.
    enum Entry: Sendable, Equatable {
        case file
        /// A symbolic link to the target; the payload is empty.
        case symlink(String)
        /// A nested repository in the work tree, a gitlink in a commit.
        case submodule
    }

    /// One expected diagnostic: `path[:line:column]: error: [RULE] message-prefix`, or `refused: message-prefix`
    /// for a refusal that has no diagnostic.
    struct Expectation: Sendable, Equatable {
        var rule: String
        var path: String
        var line: Int
        var column: Int
        var fragment: String

        var location: String { line > 0 ? "\(path):\(line):\(column)" : path }
        /// How the merge driver's conflict message quotes the diagnostic.
        var driverText: String { "\(location): [\(rule)] \(fragment)" }

        init(parsing text: String) throws {
            if text.hasPrefix("refused: ") {
                (rule, path, line, column, fragment) = ("refused", "", 0, 0, String(text.dropFirst(9)))
                return
            }
            guard let marker = text.range(of: ": error: ["), let close = text[marker.upperBound...].range(of: "] ") else {
                throw CaseError("an expectation reads 'path[:line:column]: error: [RULE] message', not '\(text)'")
            }
            rule = String(text[marker.upperBound..<close.lowerBound])
            fragment = String(text[close.upperBound...])
            let location = text[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            if location.count >= 3, let line = Int(location[location.count - 2]), let column = Int(location[location.count - 1]) {
                (path, self.line, self.column) = (location.dropLast(2).joined(separator: ":"), line, column)
            } else {
                (path, line, column) = (String(text[..<marker.lowerBound]), 0, 0)
            }
        }

        func matches(_ diagnostic: [String: Any]) -> Bool {
            diagnostic["rule"] as? String == rule && diagnostic["path"] as? String == path && diagnostic["line"] as? Int == line
                && diagnostic["column"] as? Int == column && (diagnostic["message"] as? String)?.hasPrefix(fragment) == true
        }
    }

    struct CaseError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let name: String
    let category: String
    /// Where the payload goes, relative to the organization (for `usage-import`, the file's name).
    let path: String
    let tools: [Tool]
    let entry: Entry
    private let general: [Expectation]
    private let specific: [String: [Expectation]]
    private let body: [UInt8]
    private let repeats: Int?

    var testDescription: String { name }

    func expectations(for tool: Tool) -> [Expectation] { specific[tool.rawValue] ?? general }

    /// The payload: the bytes after the header, with the one `@@[…]@@` block repeated `repeat` times when the
    /// header asks for it, so a case of many megabytes stays small in the repository.
    func payload() throws -> [UInt8] {
        guard let repeats else { return body }
        let open = Array("@@[".utf8), close = Array("]@@".utf8)
        guard let start = body.firstRange(of: open), let end = body[start.upperBound...].firstRange(of: close) else {
            throw CaseError("\(name): 'repeat' needs one @@[…]@@ block in the payload")
        }
        let unit = body[start.upperBound..<end.lowerBound]
        var out = [UInt8](body[..<start.lowerBound])
        out.reserveCapacity(out.count + unit.count * repeats + body.count)
        for _ in 0..<repeats { out += unit }
        out += body[end.upperBound...]
        return out
    }

    /// Every case under the corpus folder, by name.
    static func all() throws -> [BadInputCase] {
        let root = BadInputTests.root
        let enumerator = FileManager.default.enumerator(atPath: root)
        var cases: [BadInputCase] = []
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".case") else { continue }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
            cases.append(try BadInputCase(name: String(relative.dropLast(5)), bytes: bytes))
        }
        return cases.sorted { $0.name < $1.name }
    }

    init(name: String, bytes: [UInt8]) throws {
        self.name = name
        category = String(name.prefix { $0 != "/" })
        guard let separator = bytes.firstRange(of: Array("\n# ---\n".utf8)) else { throw CaseError("\(name): no '# ---' line ends the header") }
        body = Array(bytes[separator.upperBound...])
        var fields: [String: [String]] = [:]
        for line in String(decoding: bytes[..<separator.lowerBound], as: UTF8.self).split(separator: "\n") {
            guard line.hasPrefix("# "), let colon = line.firstIndex(of: ":") else { continue }
            let key = line[line.index(line.startIndex, offsetBy: 2)..<colon].trimmingCharacters(in: .whitespaces)
            fields[key, default: []].append(String(line[line.index(after: colon)...].dropFirst()))
        }
        let known = ["about", "path", "through", "entry", "repeat", "expect"] + Tool.allCases.map { "expect \($0.rawValue)" }
        if let unknown = fields.keys.first(where: { !known.contains($0) }) { throw CaseError("\(name): unknown header key '\(unknown)'") }
        guard let path = fields["path"]?.first else { throw CaseError("\(name): no 'path'") }
        self.path = path
        tools = try (fields["through"]?.first ?? "").split(separator: " ").map { word in
            guard let tool = Tool(rawValue: String(word)) else { throw CaseError("\(name): unknown tool '\(word)'") }
            return tool
        }
        switch fields["entry"]?.first {
        case nil, "file": entry = .file
        case "submodule": entry = .submodule
        case let other?:
            guard other.hasPrefix("symlink ") else { throw CaseError("\(name): entry is file, submodule or 'symlink TARGET'") }
            entry = .symlink(String(other.dropFirst(8)))
        }
        general = try (fields["expect"] ?? []).map(Expectation.init(parsing:))
        var specific: [String: [Expectation]] = [:]
        for tool in Tool.allCases {
            if let lines = fields["expect \(tool.rawValue)"] { specific[tool.rawValue] = try lines.map(Expectation.init(parsing:)) }
        }
        self.specific = specific
        repeats = try fields["repeat"]?.first.map { text in
            guard let count = Int(text), count > 0 else { throw CaseError("\(name): repeat takes a count") }
            return count
        }
    }

    // MARK: Placing the payload

    /// Puts the payload (or the link, or the nested repository) at `path` in the work tree of `repo`, in place
    /// of the base organization's file there, if any.
    func place(in repo: String) throws {
        let full = repo + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: full)
        switch entry {
        case .file:
            try Data(try payload()).write(to: URL(fileURLWithPath: full))
        case .symlink(let target):
            try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        case .submodule:
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            try Data("gitdir: ../.git/modules/sub\n".utf8).write(to: URL(fileURLWithPath: full + "/.git"))
        }
    }

    /// Commits the case with the real git CLI: the payload or link as a file, a submodule as a gitlink.
    func commit(in repo: String, home: String) throws {
        try place(in: repo)
        if entry == .submodule { try FileManager.default.removeItem(atPath: repo + "/" + path) }
        func git(_ arguments: [String]) throws {
            let result = try OrgTestSupport.git(arguments, in: repo, home: home)
            guard result.status == 0 else { throw CaseError("\(name): git \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
        try git(["add", "-A"])
        if entry == .submodule {
            try git(["update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,\(path)"])
        }
        try git(["commit", "-q", "--allow-empty", "--no-verify", "-m", "Bad input: \(name)"])
    }

    /// A valid edit of `base` that changes its bytes and not its meaning (a comment, a blank line, one more
    /// usage record), as OURS for the merge driver: whatever the merge takes from THEIRS is what the payload says.
    static func ourEdit(of base: [UInt8], path: String) -> [UInt8] {
        if path.hasSuffix(".jsonl") {
            return base + Array(#"{"id":"r-ours","at":"2026-11-20T12:00:00Z","member":"ana","tool":"chat","credits":0.5}"#.utf8) + [0x0A]
        }
        if path.hasSuffix(".json") { return base + [0x0A] }
        return base + Array("# edited on our side\n".utf8)
    }

    // MARK: Checking

    /// Each expected diagnostic is there, and nothing else is an error.
    func check(_ diagnostics: [[String: Any]], against expectations: [Expectation], tool: Tool) {
        var unmatched = diagnostics
        for expectation in expectations {
            if let index = unmatched.firstIndex(where: expectation.matches) {
                unmatched.remove(at: index)
            } else {
                Issue.record("\(name) [\(tool.rawValue)]: expected '\(expectation.location): error: [\(expectation.rule)] \(expectation.fragment)…', got \(Self.render(diagnostics))")
            }
        }
        for extra in unmatched { Issue.record("\(name) [\(tool.rawValue)]: unexpected \(Self.render([extra]))") }
    }

    private static func render(_ diagnostics: [[String: Any]]) -> String {
        diagnostics.map { d in
            let line = d["line"] as? Int ?? 0
            let location = line > 0 ? "\(d["path"] ?? ""):\(line):\(d["column"] ?? "")" : "\(d["path"] ?? "")"
            return "\n  \(location): error: [\(d["rule"] ?? "")] \(d["message"] ?? "")"
        }.joined()
    }
}
