import FuzzSupport
import FuzzerMain
import OrgModel

/// Fuzzes the readers: the input is read as YAML and as JSON (SourceReader), as an organization file at
/// several paths of a small valid organization (the decoders and the validator), and as a usage import in
/// JSON Lines and CSV (UsageImport).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    ParsersTarget.documents(bytes)
    ParsersTarget.organizationFiles(bytes)
    ParsersTarget.usageImport(bytes)
    return 0
}

enum ParsersTarget {
    // MARK: YAML and JSON

    static func documents(_ bytes: [UInt8]) {
        for (format, path) in [(FileFormat.yaml, "fuzz.yaml"), (.json, "fuzz.json")] {
            switch SourceReader.parse(bytes, format: format, path: path) {
            case .failure(let diagnostic):
                requireWellFormed([diagnostic], context: "reading \(path)")
                require(diagnostic.location.path == path, "a \(format) error names \(diagnostic.location.path), not the file read")
                require([RuleID.syntax, .limit].contains(diagnostic.rule) && diagnostic.severity == .error,
                        "a \(format) reading error is neither a syntax error nor a limit: \(diagnostic)")
            case .success(let node):
                requireReadTree(node, format: format)
                requireCanonicalRoundTrip(node, from: format)
            }
        }
    }

    /// What every tree a reader returns promises: a position for every value, nesting within
    /// `ParseLimits.maxDepth`, and one value per key in each mapping (duplicate keys are refused).
    static func requireReadTree(_ root: SourceNode, format: FileFormat) {
        walk(root) { node, depth in
            require(node.line >= 1 && node.column >= 1, "a \(format) value at line \(node.line), column \(node.column)")
            require(depth <= ParseLimits.maxDepth, "a \(format) value nested \(depth) levels deep")
            if case .mapping(let entries) = node.kind {
                var keys = Set<String>()
                for entry in entries {
                    require(keys.insert(entry.key).inserted, "the \(format) key \(entry.key.debugDescription) is read twice in one mapping at line \(entry.keyLine)")
                    require(entry.keyLine >= 1 && entry.keyColumn >= 1, "a \(format) key at line \(entry.keyLine), column \(entry.keyColumn)")
                }
            }
        }
    }

    /// The canonical writer's text of a read document reads back as the same document, in YAML and in JSON.
    /// This is how the merge writes every merged file (M6: merged files stay parseable), and YAMLNode's
    /// contract: text is written plain only when it reads back as the same text, double-quoted otherwise.
    static func requireCanonicalRoundTrip(_ node: SourceNode, from format: FileFormat) {
        let original = Meaning(node)
        let tree = yamlNode(node)
        for output in [FileFormat.yaml, .json] {
            let text = CanonicalYAML.render(tree, as: output)
            let again = CanonicalYAML.render(tree, as: output)
            require(text == again, "the canonical writer wrote one document two ways")
            switch SourceReader.parse(Array(text.utf8), format: output, path: "canonical") {
            case .failure(let problem):
                require(false, "the canonical \(output) of a \(format) document does not read back: \(problem.message)\n--- written:\n\(text)")
            case .success(let read):
                // Yams reads every scalar through Foundation, which drops a byte-order mark at its start: no YAML
                // text can begin with U+FEFF (docs/FUZZING.md, known limits).
                if output == .yaml, startsWithBOM(node) { continue }
                let meaning = Meaning(read)
                require(meaning == original, "the canonical \(output) of a \(format) document reads back differently:\n  read:    \(original)\n  written: \(meaning)\n--- written:\n\(text)")
            }
        }
    }

    /// Whether a key or text of the document begins with U+FEFF.
    static func startsWithBOM(_ root: SourceNode) -> Bool {
        var found = false
        walk(root) { node, _ in
            switch node.kind {
            case .scalar(let text, _): if text.unicodeScalars.first == "\u{FEFF}" { found = true }
            case .mapping(let entries): if entries.contains(where: { $0.key.unicodeScalars.first == "\u{FEFF}" }) { found = true }
            case .null, .sequence: break
            }
        }
        return found
    }

    // MARK: Organization files

    /// A small valid organization: the owner ana, the Primary hq, a workspace a, and a top-up.
    static let base: [String: String] = [
        "org.yaml": "schema: 1\nid: acme\nname: Acme\n",
        "members/ana.yaml": "id: ana\nemail: ana@acme.example\nrole: owner\n",
        "members/bo.yaml": "id: bo\nemail: bo@acme.example\nrole: member\n",
        "workspaces/hq.yaml": "id: hq\nname: HQ\nprimary: true\nmembers:\n  - member: ana\n    role: admin\n",
        "workspaces/a.yaml": "id: a\nname: Team A\nmembers:\n  - member: bo\n    role: member\n",
        "ledger/2026/11/01JD0000000000000000000001.yaml": "id: 01JD0000000000000000000001\nat: 2026-11-01T09:00:00Z\nby: ana\ntype: topup\ncredits: 1000\n",
        "usage/hq/2026/11/02-gw-1.jsonl": "{\"id\":\"u1\",\"at\":\"2026-11-02T09:00:00Z\",\"member\":\"ana\",\"tool\":\"chat\",\"credits\":1.5}\n",
    ]

    /// Where the input is put: an entity of each kind, in YAML and JSON, and a usage file.
    static let paths = [
        "members/x.yaml",
        "workspaces/x.json",
        "workspaces/y.yaml",
        "ledger/2026/11/01JD0000000000000000000009.yaml",
        "ledger/2026/11/01JD0000000000000000000008.json",
        "providers.yaml",
        "usage/a/2026/11/03-gw-1.jsonl",
    ]

    static let baseSnapshot: Snapshot = {
        let snapshot = Snapshot(files: base)
        let report = Validator.validate(snapshot)
        require(report.isValid, "the parsers target's base organization is invalid:\n\(DiagnosticRenderer.text(report.diagnostics))")
        return snapshot
    }()

    static func organizationFiles(_ bytes: [UInt8]) {
        // Every path at once: the files are decoded apart, and the rules across files see them all.
        var snapshot = baseSnapshot
        for path in paths { snapshot[path] = bytes }
        requireValidationWorks(snapshot, context: "the input at \(paths)")

        // In place of org.yaml, which every other rule depends on.
        var config = baseSnapshot
        config["org.yaml"] = bytes
        requireValidationWorks(config, context: "the input as org.yaml")
    }

    static func requireValidationWorks(_ snapshot: Snapshot, context: @autoclosure () -> String) {
        let report = Validator.validate(snapshot)
        requireWellFormed(report.diagnostics, context: context())
        for (earlier, later) in zip(report.diagnostics, report.diagnostics.dropFirst()) {
            require(!(later < earlier), "the validator's diagnostics are not sorted by location (\(context()))")
        }
        require(Set(report.diagnostics).count == report.diagnostics.count, "the validator reports one diagnostic twice (\(context()))")
        require(report.isValid == !report.diagnostics.contains { $0.severity == .error }, "isValid disagrees with the diagnostics")
        if let replay = report.replay {
            for (workspace, balance) in replay.balances {
                require(!balance.isNegative || replay.failure != nil, "workspace \(workspace) ends at \(balance) after a replay without failure (\(context()))")
            }
        }
    }

    // MARK: Usage import

    static func usageImport(_ bytes: [UInt8]) {
        for (format, path) in [(UsageImport.Format.jsonl, "import.jsonl"), (.csv, "import.csv")] {
            let (records, diagnostics) = UsageImport.parse(bytes, format: format, path: path)
            requireWellFormed(diagnostics, context: "importing \(path)")
            for diagnostic in diagnostics {
                require(diagnostic.location.path == path, "an import diagnostic names \(diagnostic.location.path), not the file imported")
            }
            guard !records.isEmpty else { continue }
            for record in records {
                require(record.location.path == path && record.location.line >= 1, "a record read from \(path) is at \(record.location)")
                require(IdentifierKind.recordID.matches(record.id), "an imported record has the id \(record.id.debugDescription)")
                require(IdentifierKind.slug.matches(record.workspace) && IdentifierKind.slug.matches(record.member),
                        "an imported record names workspace \(record.workspace.debugDescription) and member \(record.member.debugDescription)")
                require(!record.credits.isNegative, "an imported record spends \(record.credits)")
            }
            // The records as orgsync writes them (one canonical JSON line each, with its workspace) import
            // again as the same records: `usage import` reads what `usage record` and the gateway write.
            let lines = records.map { record -> String in
                var line = "{\"workspace\":\"\(record.workspace)\","
                line += record.jsonLine.dropFirst()
                return line
            }
            let again = UsageImport.parse(Array(lines.joined(separator: "\n").utf8), format: .jsonl, path: "again.jsonl")
            require(again.diagnostics.isEmpty, "records written as JSON lines do not import again:\n\(DiagnosticRenderer.text(again.diagnostics))\(lines.joined(separator: "\n"))")
            require(again.records.count == records.count, "\(records.count) records written as JSON lines import as \(again.records.count)")
            for (record, read) in zip(records, again.records) {
                require(record.id == read.id && record.at == read.at && record.workspace == read.workspace && record.member == read.member
                        && record.tool == read.tool && record.credits == read.credits && record.model == read.model
                        && record.tokens == read.tokens && record.cost == read.cost,
                        "the record \(record.jsonLine) imports again as \(read.jsonLine)")
            }
        }
    }
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver.
@_cdecl("FuzzParsers_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    orgsync_fuzzer_main(argc, argv)
}
