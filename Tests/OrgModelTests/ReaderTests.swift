import OrgTestSupport
import Testing
import Yams
@testable import OrgModel

@Suite("Readers keep positions")
struct ReaderTests {
    private func parse(_ text: String, _ format: FileFormat) -> Result<SourceNode, Diagnostic> {
        SourceReader.parse(Array(text.utf8), format: format, path: "f")
    }

    private func entries(_ node: SourceNode) -> [SourceEntry] {
        if case .mapping(let entries) = node.kind { return entries }
        return []
    }

    @Test func yamlValuesCarryLineAndColumn() throws {
        let node = try parse("# comment\nid: chat\nmembers:\n  - member: ana\n    role: \"admin\"\n", .yaml).get()
        let top = entries(node)
        #expect(top.map(\.key) == ["id", "members"])
        #expect((top[0].keyLine, top[0].keyColumn, top[0].value.line, top[0].value.column) == (2, 1, 2, 5))
        guard case .sequence(let items) = top[1].value.kind else { Issue.record("not a list"); return }
        let member = entries(items[0])
        #expect((member[1].value.line, member[1].value.column) == (5, 11))
        guard case .scalar("admin", quoted: true) = member[1].value.kind else { Issue.record("quoted scalar expected"); return }
    }

    @Test func jsonValuesCarryLineAndColumnInScalars() throws {
        let node = try parse("{\n  \"name\": \"Zoë\",\n  \"credits\": 12.50\n}", .json).get()
        let top = entries(node)
        #expect((top[1].keyLine, top[1].keyColumn, top[1].value.line, top[1].value.column) == (3, 3, 3, 14))
        guard case .scalar("12.50", quoted: false) = top[1].value.kind else { Issue.record("exact number text expected"); return }
        guard case .scalar("Zoë", quoted: true) = top[0].value.kind else { Issue.record("string expected"); return }
    }

    @Test func jsonColumnsCountUnicodeScalars() throws {
        let node = try parse("{\"é\": \"ü\", \"k\": 1}", .json).get()
        #expect(entries(node)[1].keyColumn == 12)
    }

    @Test(arguments: [
        ("{\"a\": 1, \"a\": 2}", "f:1:10: error: [SYNTAX] duplicate key 'a' in one object; keep one of them\n"),
        ("{\"a\": 01}", "f:1:8: error: [SYNTAX] malformed JSON: expected ',' or '}'\n"),
        ("{\"a\": NaN}", "f:1:7: error: [SYNTAX] malformed JSON: unexpected character; expected a value\n"),
        ("{\"a\": \"x\n\"}", "f:1:9: error: [SYNTAX] malformed JSON: control characters must be escaped inside strings\n"),
        ("[1, 2", "f:1:6: error: [SYNTAX] malformed JSON: unexpected end of file inside a list\n"),
        ("{} {}", "f:1:4: error: [SYNTAX] malformed JSON: unexpected text after the JSON value\n"),
    ])
    func malformedJSONIsLocated(text: String, expected: String) {
        guard case .failure(let diagnostic) = parse(text, .json) else { Issue.record("accepted \(text)"); return }
        #expect(DiagnosticRenderer.text([diagnostic]) == expected)
    }

    @Test func yamlDuplicateKeysAliasesAndBadSyntaxAreRefused() {
        let cases: [(String, String)] = [
            ("a: 1\nb: 2\na: 3\n", "f:3:1: error: [SYNTAX] duplicate key 'a' in one mapping; keep one of them\n  f:1:1: note: first written here\n"),
            ("x:\n  - name: a\n    role: b\n    \"name\": c\n", "f:4:5: error: [SYNTAX] duplicate key 'name' in one mapping; keep one of them\n  f:2:5: note: first written here\n"),
            ("base: &b {x: 1}\nother: *b\n", "f:1:7: error: [SYNTAX] anchors and aliases (&name, *name) are not allowed in orgsync files; write the value out\n"),
            ("a: [1, 2\n", "f:2:1: error: [SYNTAX] malformed YAML: did not find expected ',' or ']' while parsing a flow sequence; fix the syntax at this position\n"),
            ("a: 1\n b: 2\n", "f:2:3: error: [SYNTAX] malformed YAML: mapping values are not allowed in this context; fix the syntax at this position\n"),
            ("--- 1\n--- 2\n", "f:2:1: error: [SYNTAX] malformed YAML: expected a single document in the stream, but found another document; fix the syntax at this position\n"),
        ]
        for (text, expected) in cases {
            guard case .failure(let diagnostic) = parse(text, .yaml) else { Issue.record("accepted \(text)"); continue }
            #expect(DiagnosticRenderer.text([diagnostic]) == expected)
        }
    }

    @Test func deepNestingIsRefusedBeforeRecursing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        for format in [FileFormat.yaml, .json] {
            guard case .failure(let diagnostic) = parse(deep, format) else { Issue.record("accepted deep nesting"); continue }
            #expect(diagnostic.message.contains("nested more than 64 levels"))
        }
    }

    @Test func invalidUTF8IsRefusedWithItsLineAndABOMIsSkipped() throws {
        let bytes: [UInt8] = Array("a: 1\nb: ".utf8) + [0xFF, 0xFE] + Array("\n".utf8)
        guard case .failure(let diagnostic) = SourceReader.parse(bytes, format: .yaml, path: "f") else { Issue.record("accepted"); return }
        #expect(DiagnosticRenderer.text([diagnostic]) == "f:2:1: error: [SYNTAX] file is not valid UTF-8; save it as UTF-8\n")
        let withBOM = try SourceReader.parse([0xEF, 0xBB, 0xBF] + Array("a: 1\n".utf8), format: .yaml, path: "f").get()
        #expect(entries(withBOM).map(\.key) == ["a"])
    }
}

@Suite("Canonical YAML")
struct CanonicalYAMLTests {
    @Test(arguments: ["plain", "ana@acme.example", "Chat (production)", "01JD3Q4X6Y7Z8A9B0C1D2E3F4G", "env:OPENAI_API_KEY",
                      "yes", "No", "null", "~", "true", "123", "1.5", "-1", ".5", "0x1F", "1e3", "2026-11-21", "2026-budget",
                      "a: b", "a #b", "#x", "- x", "[x]", "{x}", "*x", "&x", "!x", "|x", ">x", "'x'", "\"x\"", "%x", "@x", "`x",
                      " lead", "trail ", "line\nbreak", "tab\there", "x:", "émoji 🚀", "",
                      // Found by the parsers fuzz target: characters libyaml refuses, folds or drops, plain or quoted.
                      "c1\u{80}control", "\u{9F}", "nel\u{85}line", "a \u{2028} b", "para\u{2029}", "mid\u{FEFF}bom", "non\u{FFFE}char", "\u{FFFF}"])
    func stringsReadBackAsTheSameText(text: String) throws {
        let yaml = CanonicalYAML.render(.map([("k", .string(text))]))
        let parsed = try Yams.load(yaml: yaml) as? [String: Any]
        #expect(parsed?["k"] as? String == text, "\(yaml)")
    }

    @Test func writingTheSameDataTwiceGivesTheSameBytes() throws {
        let snapshot = Fixture.snapshot(Fixture.base(), [Fixture.topup(1, day: 1, credits: "10.5")])
        let (org, diagnostics) = Organization.load(snapshot)
        #expect(diagnostics == [])
        for workspace in org.workspaces {
            let text = CanonicalYAML.render(workspace.yaml)
            #expect(text == CanonicalYAML.render(workspace.yaml))
            #expect(text == snapshot.entries[Workspace.path(for: workspace.id)].map { String(decoding: $0.bytes, as: UTF8.self) })
        }
        #expect(CanonicalYAML.render(org.events[0].yaml) == "id: 01JD0000000000000000000001\nat: 2026-11-01T09:00:00Z\nby: ana\ntype: topup\ncredits: 10.5\n")
    }

    @Test func everyEntityRoundTripsThroughItsCanonicalForm() throws {
        let workspace = Workspace(
            id: "chat-prod", name: "Chat: production", isPrimary: true,
            members: [.init(member: "ana", role: .admin), .init(member: "bo", role: .viewer, limits: Limits(daily: Credits(units: 50_000)))],
            providers: .init(pin: ["openai": "openai-main"], disabled: ["anthropic-old"]),
            keys: [APIKey(id: "k1", name: "Backend", prefix: "osk_7fQ2", hash: "sha256:" + String(repeating: "ab", count: 32),
                          createdBy: "ana", createdAt: try Timestamp(parsing: "2026-11-02T09:30:00Z"),
                          expiresAt: try Timestamp(parsing: "2027-11-02T09:30:00Z"))],
            limits: Limits(monthly: try Credits(parsing: "9000.5"), alertAt: 80),
            settings: ["routing": .map(["model": .string("gpt-4o"), "retries": .number("3"), "fallback": .list([.string("yes"), .bool(true), .null])])])
        let text = CanonicalYAML.render(workspace.yaml)
        #expect(text == """
            id: chat-prod
            name: "Chat: production"
            primary: true
            members:
              - member: ana
                role: admin
              - member: bo
                role: viewer
                limits:
                  daily: 5
            providers:
              pin:
                openai: openai-main
              disabled:
                - anthropic-old
            keys:
              - id: k1
                name: Backend
                prefix: osk_7fQ2
                hash: sha256:abababababababababababababababababababababababababababababababab
                createdBy: ana
                createdAt: 2026-11-02T09:30:00Z
                expiresAt: 2027-11-02T09:30:00Z
            limits:
              monthly: 9000.5
              alertAt: 80
            settings:
              routing:
                fallback:
                  - "yes"
                  - true
                  - null
                model: gpt-4o
                retries: 3

            """)
        let decoded = try #require(decode(text, path: "workspaces/chat-prod.yaml", Workspace.decode))
        #expect(decoded == workspace)

        let member = Member(id: "ana", email: "ana@acme.example", name: "Ana", role: .owner, github: "ana-l",
                            removed: .init(at: try Timestamp(parsing: "2026-11-20T09:00:00Z"), by: "bo"))
        #expect(try #require(decode(CanonicalYAML.render(member.yaml), path: "members/ana.yaml", Member.decode)) == member)

        var rule = ApprovalRule.Conditions()
        rule.transferAtLeast = Credits(units: 50_000_000)
        rule.paths = ["ledger/**"]
        let config = OrgConfig(id: "acme", name: "Acme", policy: Policy(signedCommits: .required, approvals: [
            ApprovalRule(name: "big", when: rule, require: 2, from: [.owner, .billing]),
        ]))
        #expect(try #require(decode(CanonicalYAML.render(config.yaml), path: "org.yaml", OrgConfig.decode)) == config)

        for kind: LedgerEvent.Kind in [.topup(credits: Credits(units: 1), reference: "INV-1"), .mode(.budget),
                                       .transfer(Transfer(from: "a", to: "b", credits: Credits(units: 30_000), memo: "# not a comment", reason: .modeSwitch))] {
            let event = LedgerEvent(id: Fixture.ulid(7), at: try Timestamp(parsing: "2026-11-01T00:00:00Z"), by: "ana", kind: kind)
            #expect(try #require(decode(CanonicalYAML.render(event.yaml), path: "e.yaml", LedgerEvent.decode)) == event)
        }
    }

    private func decode<T>(_ text: String, path: String, _ decode: (SourceNode, FileDecoder) -> T?) -> T? {
        guard case .success(let node) = SourceReader.parse(Array(text.utf8), format: .yaml, path: path) else { return nil }
        let decoder = FileDecoder(path: path)
        let value = decode(node, decoder)
        #expect(decoder.diagnostics == [])
        return value
    }
}

@Suite("Secret scan")
struct SecretScannerTests {
    @Test func findsSecretsWithTheirPositions() {
        let text = """
            ok: osk_7fQ2
            leak: osk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789
              openai: "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
            aws: AKIAIOSFODNN7EXAMPLE
            -----BEGIN OPENSSH PRIVATE KEY-----
            hash: sha256:abababababababababababababababababababababababababababababababab
            task-ABCDEFGHIJKLMNOPQRSTUVWX, mask-sk-but-not-a-key
            """
        #expect(SecretScanner.scan(Array(text.utf8)) == [
            .init(kind: "an orgsync API key", line: 2, column: 7),
            .init(kind: "a provider API key (sk-…)", line: 3, column: 12),
            .init(kind: "an AWS access key id", line: 4, column: 6),
            .init(kind: "a private key block", line: 5, column: 1),
        ])
    }

    @Test func findsEveryProviderShapeAtWordBoundariesOnly() {
        let body40 = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCd"
        let lines = [
            ("stripe: sk_live_\(body40)", "a Stripe secret key"),
            ("stripe: rk_live_\(body40)", "a Stripe restricted key"),
            ("gh: gho_\(body40)", "a GitHub token"),
            ("gh: ghs_\(body40)", "a GitHub token"),
            ("gitlab: glpat-\(body40)", "a GitLab token"),
            ("hf: hf_\(body40)", "a Hugging Face token"),
            ("groq: gsk_\(body40)", "a Groq API key"),
            ("xai: xai-\(body40)", "an xAI API key"),
            ("pplx: pplx-\(body40)", "a Perplexity API key"),
            ("replicate: r8_\(body40)", "a Replicate API token"),
            ("slack: xoxp-\(body40)", "a Slack token"),
            ("anthropic: sk-ant-api03-\(body40)", "a provider API key (sk-…)"),
        ]
        let text = lines.map(\.0).joined(separator: "\n")
        #expect(SecretScanner.scan(Array(text.utf8)) == lines.enumerated().map { index, line in
            .init(kind: line.1, line: index + 1, column: line.0.firstIndex(of: " ").map { line.0.distance(from: line.0.startIndex, to: $0) + 2 } ?? 0)
        })
        // Inside a word, or too short to be a key: not a secret.
        let nearMisses = "flash_\(body40) shf_\(body40) ghs_short xai-grok-2 pplx-api tasks_live_\(body40) r8_1"
        #expect(SecretScanner.scan(Array(nearMisses.utf8)) == [])
    }

    @Test func theSampleOrganizationHoldsNoSecret() throws {
        var scanned = 0
        for (path, bytes) in try filesBelow(packageRoot + "/samples/acme") {
            #expect(SecretScanner.scan(bytes) == [], "\(path)")
            scanned += 1
        }
        #expect(scanned > 60)
    }

    @Test func aSecretInAnyFileFailsValidation() {
        let report = Fixture.validate([("docs/notes.md", "rotate osk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 soon\n")])
        #expect(Fixture.rendered(report) == """
            docs/notes.md:1:8: error: [SECRET] this looks like an orgsync API key in plaintext; remove it from the file and from history, rotate it, and store only a reference (provider keys) or a hash and prefix (API keys)

            """)
    }
}

@Suite("Secret scan stays linear")
struct SecretScanScaleTests {
    @Test("a megabyte of near-misses scans at once, and columns stay right after many findings")
    func largeInputs() {
        let beginMisses = Array(String(repeating: "-----BEGIN ", count: 100_000).utf8)
        #expect(SecretScanner.scan(beginMisses) == [])
        let line = String(repeating: "sk-abcdefghijklmnopqrstuvwxyz ", count: 20_000)
        let findings = SecretScanner.scan(Array(line.utf8))
        #expect(findings.count == 20_000)
        #expect(findings.last == .init(kind: "a provider API key (sk-…)", line: 1, column: 19_999 * 30 + 1))
    }
}
