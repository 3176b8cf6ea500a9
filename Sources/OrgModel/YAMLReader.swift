import Yams

/// Reads YAML through Yams (libyaml) into a `SourceNode` tree.
///
/// Anchors and aliases are refused: orgsync files are small, and aliases are how a few bytes expand
/// into gigabytes. Duplicate keys are refused by Yams itself.
enum YAMLReader {
    static func parse(_ text: String, path: String) -> Result<SourceNode, Diagnostic> {
        let parser: Yams.Parser
        let root: Yams.Node?
        do {
            // The basic resolver and an explicit encoding: no regular expressions and no environment lookups per file;
            // orgsync reads scalars by their text and style, never by a resolved tag.
            parser = try Yams.Parser(yaml: text, resolver: .basic, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, path: path))
        } catch {
            return .failure(.error(.syntax, "cannot read YAML: \(error)", at: SourceLocation(path: path)))
        }
        guard let root else { return .success(SourceNode(.null, line: 1, column: 1)) }
        // Yams holds anchors weakly, through its parser: keep the parser alive so that aliases are seen.
        return withExtendedLifetime(parser) { convert(root, path: path, depth: 0) }
    }

    private static func convert(_ node: Yams.Node, path: String, depth: Int) -> Result<SourceNode, Diagnostic> {
        let line = node.mark?.line ?? 1
        let column = node.mark?.column ?? 1
        if node.anchor != nil {
            return .failure(.error(.syntax, "anchors and aliases (&name, *name) are not allowed in orgsync files; write the value out",
                                   at: SourceLocation(path: path, line: line, column: column)))
        }
        guard depth < ParseLimits.maxDepth else {
            return .failure(.error(.syntax, "values are nested more than \(ParseLimits.maxDepth) levels deep",
                                   at: SourceLocation(path: path, line: line, column: column)))
        }
        switch node {
        case .alias:
            return .failure(.error(.syntax, "anchors and aliases (&name, *name) are not allowed in orgsync files; write the value out",
                                   at: SourceLocation(path: path, line: line, column: column)))
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                switch scalar.string {
                case "", "~", "null", "Null", "NULL": return .success(SourceNode(.null, line: line, column: column))
                default: return .success(SourceNode(.scalar(scalar.string, quoted: false), line: line, column: column))
                }
            }
            return .success(SourceNode(.scalar(scalar.string, quoted: true), line: line, column: column))
        case .sequence(let sequence):
            var items: [SourceNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                switch convert(item, path: path, depth: depth + 1) {
                case .success(let value): items.append(value)
                case .failure(let diagnostic): return .failure(diagnostic)
                }
            }
            return .success(SourceNode(.sequence(items), line: line, column: column))
        case .mapping(let mapping):
            var entries: [SourceEntry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let keyLine = key.mark?.line ?? line
                let keyColumn = key.mark?.column ?? column
                guard case .scalar(let keyScalar) = key, key.anchor == nil else {
                    return .failure(.error(.syntax, "mapping keys must be plain words, not lists or mappings",
                                           at: SourceLocation(path: path, line: keyLine, column: keyColumn)))
                }
                switch convert(value, path: path, depth: depth + 1) {
                case .success(let converted):
                    entries.append(SourceEntry(key: keyScalar.string, keyLine: keyLine, keyColumn: keyColumn, value: converted))
                case .failure(let diagnostic): return .failure(diagnostic)
                }
            }
            return .success(SourceNode(.mapping(entries), line: line, column: column))
        }
    }

    private static func diagnostic(for error: YamlError, path: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem.hasPrefix("Maximum nesting level") {
                // libyaml stops deep nesting itself, before Yams could recurse into it.
                return .error(.syntax, "values are nested more than \(ParseLimits.maxDepth) levels deep",
                              at: SourceLocation(path: path, line: mark.line, column: mark.column))
            }
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return .error(.syntax, "malformed YAML: \(detail); fix the syntax at this position",
                          at: SourceLocation(path: path, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let first = SourceLocation(path: path, line: context.mark.line, column: context.mark.column)
            // Yams marks the first occurrence; point at the repeat, which is the line to delete or rename.
            guard let key = duplicates.first, let repeated = repeatedKey(key, after: context.mark, in: context.text) else {
                return .error(.syntax, "duplicate key \(names) in one mapping; keep one of them", at: first)
            }
            return .error(.syntax, "duplicate key \(names) in one mapping; keep one of them",
                          at: SourceLocation(path: path, line: repeated.line, column: repeated.column),
                          notes: [.init("first written here", at: first)])
        case .reader(let problem, _, _, _):
            return .error(.syntax, "cannot read YAML: \(problem)", at: SourceLocation(path: path))
        default:
            return .error(.syntax, "cannot read YAML: \(error)", at: SourceLocation(path: path))
        }
    }

    /// The next line after `mark` that holds `key:` (plain or quoted) at the same column, as a block mapping's repeated key does.
    private static func repeatedKey(_ key: String, after mark: Yams.Mark, in text: String) -> (line: Int, column: Int)? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where offset + 1 > mark.line {
            let scalars = Array(line.unicodeScalars)
            guard scalars.count >= mark.column, scalars[..<(mark.column - 1)].allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = String(String.UnicodeScalarView(scalars[(mark.column - 1)...]))
            for spelling in spellings where rest.hasPrefix(spelling) && rest.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return (offset + 1, mark.column)
            }
        }
        return nil
    }
}
