import Testing
@testable import OrgModel

/// The resource limits (SPEC §10) that the bad-input corpus cannot reach with real files, and the messages
/// that make hostile text visible.
@Suite("Limits and hostile text")
struct LimitTests {
    @Test("a tree of more than ParseLimits.maxFiles files is one LIMIT error, and none of its files is read")
    func tooManyFiles() {
        var snapshot = Snapshot()
        snapshot.entries.reserveCapacity(ParseLimits.maxFiles + 1)
        let broken = Snapshot.Entry(bytes: Array("id: [".utf8))
        for index in 0...ParseLimits.maxFiles { snapshot.entries["members/m\(index).yaml"] = broken }
        let report = Validator.validate(snapshot)
        #expect(report.diagnostics == [
            .error(.limit, "the tree holds more than 1000000 files, over the limit of 1000000 per organization; nothing was read: remove the files that do not belong, or split the organization into several repositories",
                   at: SourceLocation(path: ".")),
        ])
        #expect(report.organization.members.isEmpty)
    }

    @Test("the limits stay far above the reference large organization (SPEC §10)")
    func limitsLeaveRoomForTheLargeOrganization() {
        // ~187,600 files; a workspace listing all 50,000 members, each with a role and caps, holds under 500,000 values.
        #expect(ParseLimits.maxFiles >= 5 * 187_600)
        #expect(ParseLimits.maxValues >= 4 * 500_000)
        #expect(ParseLimits.maxFileBytes == 16 << 20)
    }

    @Test("the value past ParseLimits.maxValues is refused where it is written, in YAML and in JSON")
    func tooManyValues() {
        // The list itself and maxValues items: the last item is one too many.
        for (format, item) in [(FileFormat.yaml, "a"), (.json, "0")] {
            let text = "[" + Array(repeating: item, count: ParseLimits.maxValues).joined(separator: ",") + "]"
            let result = SourceReader.parse(Array(text.utf8), format: format, path: "f")
            guard case .failure(let diagnostic) = result else {
                Issue.record("accepted \(ParseLimits.maxValues + 1) values")
                continue
            }
            #expect(diagnostic == ParseLimits.tooManyValues(at: SourceLocation(path: "f", line: 1, column: 2 * ParseLimits.maxValues)))
        }
    }

    @Test("an id that is not valid names its first character that is not allowed, with its code point")
    func lookAlikeIds() {
        #expect(IdentifierKind.slug.whyNot("аna") == "its first character 'а' (U+0430 CYRILLIC SMALL LETTER A) is not allowed")
        #expect(IdentifierKind.slug.whyNot("ｂｏ") == "its first character 'ｂ' (U+FF42 FULLWIDTH LATIN SMALL LETTER B) is not allowed")
        #expect(IdentifierKind.slug.whyNot("bo ") == "its last character (U+0020 SPACE) is not allowed")
        #expect(IdentifierKind.slug.whyNot("an\u{200D}a") == "its character 3 (U+200D ZERO WIDTH JOINER) is not allowed")
        #expect(IdentifierKind.slug.whyNot("Ana") == "its first character 'A' (U+0041 LATIN CAPITAL LETTER A) is not allowed; ids are lower case")
        #expect(IdentifierKind.slug.whyNot("../x") == "its first character '.' (U+002E FULL STOP) is not allowed")
        #expect(IdentifierKind.slug.whyNot(String(repeating: "a", count: 64)) == "it has 64 characters, more than 63")
        #expect(IdentifierKind.ulid.whyNot("01jd0000000000000000000001") == "its character 3 'j' (U+006A LATIN SMALL LETTER J) is not allowed; a ULID is upper case")
        #expect(IdentifierKind.recordID.whyNot("r-1") == nil)
    }

    @Test("terminal diagnostics show control characters escaped; keys quoted in messages show invisible ones")
    func hostileTextIsShownEscaped() {
        let diagnostic = Diagnostic.error(.f(4), "unknown key '\u{1B}]0;pwned\u{7}'", at: SourceLocation(path: "members/\u{1B}[2Ja.yaml", line: 1, column: 1),
                                          notes: [.init("see \u{1B}[31mhere", at: nil)])
        #expect(DiagnosticRenderer.text([diagnostic]) == "members/\\u{1B}[2Ja.yaml:1:1: error: [F4] unknown key '\\u{1B}]0;pwned\\u{7}'\n  note: see \\u{1B}[31mhere\n")
        #expect("email\u{200B}".visible == "email\\u{200B}")
        #expect("owner\u{A0}".visible == "owner\\u{A0}")
        #expect("Ana López 👩‍💻".visible == "Ana López 👩\\u{200D}💻")
        #expect(String(repeating: "x", count: 100).excerpt == String(repeating: "x", count: 64) + "…")
    }
}
