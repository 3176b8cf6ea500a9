import Foundation
import Testing
@testable import OrgModel

/// The examples in docs/FORMAT.md and README.md are real files: each must decode without a diagnostic.
@Suite("Documented examples")
struct FormatDocTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func blocks(_ file: String, language: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```\(language)" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current.map { $0.joined(separator: "\n") + "\n" } ?? "")
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// Decodes one example as the kind of file it shows, returning what the decoder said.
    private func diagnostics(of example: String) -> (kind: String, diagnostics: [Diagnostic]) {
        guard case .success(let node) = SourceReader.parse(Array(example.utf8), format: .yaml, path: "example.yaml") else {
            return ("unparsable", [.error(.syntax, "does not parse", at: SourceLocation(path: "example.yaml"))])
        }
        let decoder = FileDecoder(path: "example.yaml")
        let kind: String
        if example.hasPrefix("schema:") {
            kind = "org"
            _ = OrgConfig.decode(node, decoder)
        } else if example.hasPrefix("providers:") {
            kind = "providers"
            _ = ProviderKey.decodeFile(node, decoder)
        } else if example.contains("\nemail:") {
            kind = "member"
            _ = Member.decode(node, decoder)
        } else if example.contains("\ntype:") {
            kind = "event"
            _ = LedgerEvent.decode(node, decoder)
        } else {
            kind = "workspace"
            _ = Workspace.decode(node, decoder)
        }
        return (kind, decoder.diagnostics)
    }

    @Test func everyYAMLExampleInTheFormatReferenceDecodes() throws {
        let examples = try Self.blocks("docs/FORMAT.md", language: "yaml")
        let kinds = examples.map { example -> String in
            let (kind, problems) = diagnostics(of: example)
            #expect(problems == [], "\(example)")
            return kind
        }
        #expect(kinds == ["org", "providers", "member", "workspace", "workspace", "event", "event", "event"])
    }

    @Test func theUsageExampleDecodes() throws {
        let examples = try Self.blocks("docs/FORMAT.md", language: "json")
        #expect(examples.count == 1)
        let path = "usage/chat-prod/2026/11/03-gw-1.jsonl"
        let file = try #require(UsageFilePath(path))
        let (records, problems) = UsageRecord.decodeFile(Array(examples[0].utf8), file: file, path: path)
        #expect(problems == [])
        #expect(records.map(\.id) == ["01JD0A1B2C3D4E5F6G7H8J9K0M", "inv-2026-11-03-000017"])
        #expect(records.map(\.credits.description) == ["1.25", "8"])
    }

    @Test func theReadmeTourFilesDecode() throws {
        let examples = try Self.blocks("README.md", language: "yaml").map { String($0.drop { $0 != "\n" }.dropFirst()) }
        #expect(examples.count == 2)
        for example in examples {
            #expect(diagnostics(of: example).diagnostics == [], "\(example)")
        }
    }
}
