import CYaml
import Yams

/// Reads YAML through Yams (libyaml) into a `SourceNode` tree.
///
/// Anchors and aliases are refused: orgsync files are small, and aliases are how a few bytes expand
/// into gigabytes. Tags (`!!str`, `!x`) are refused too: they would make a value mean one thing to
/// orgsync, which reads every scalar by its text, and another to other YAML readers. Duplicate keys are
/// refused by Yams itself.
enum YAMLReader {
    /// Files larger than this are first counted event by event, so that one with more than
    /// `ParseLimits.maxValues` values is refused before Yams builds a tree of them. A smaller file cannot
    /// hold that many: a value takes at least two thirds of a byte (`[:,:,…]`).
    static let countFirstBytes = 256 << 10

    /// libyaml's own nesting limit, a little above `ParseLimits.maxDepth`: a deeper file stops while libyaml
    /// reads it, before Yams builds it recursively. Set once, for the process (libyaml keeps it globally).
    private static let libyamlNesting: Void = yaml_set_max_nest_level(Int32(ParseLimits.maxDepth + 2))

    static func parse(_ text: String, path: String) -> Result<SourceNode, Diagnostic> {
        _ = libyamlNesting
        if text.utf8.count > countFirstBytes, let over = firstValueOverLimit(text) {
            return .failure(ParseLimits.tooManyValues(at: SourceLocation(path: path, line: over.line, column: over.column)))
        }
        let parser: Yams.Parser
        let root: Yams.Node?
        do {
            // The basic resolver and an explicit encoding: no regular expressions and no environment lookups per file;
            // orgsync reads scalars by their text and style, never by a resolved tag.
            parser = try Yams.Parser(yaml: text, resolver: .basic, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, path: path, text: text))
        } catch {
            return .failure(.error(.syntax, "cannot read YAML: \(error)", at: SourceLocation(path: path)))
        }
        guard let root else { return .success(SourceNode(.null, line: 1, column: 1)) }
        // Yams holds anchors weakly, through its parser: keep the parser alive so that aliases are seen.
        return withExtendedLifetime(parser) { Converter(path: path).convert(root, depth: 0) }
    }

    /// Turns Yams nodes into `SourceNode`s.
    private struct Converter {
        let path: String

        func convert(_ node: Yams.Node, depth: Int, isKey: Bool = false) -> Result<SourceNode, Diagnostic> {
            let line = node.mark?.line ?? 1
            let column = node.mark?.column ?? 1
            let location = SourceLocation(path: path, line: line, column: column)
            if node.anchor != nil {
                return .failure(.error(.syntax, "anchors and aliases (&name, *name) are not allowed in orgsync files; write the value out", at: location))
            }
            guard depth < ParseLimits.maxDepth else { return .failure(ParseLimits.nestedTooDeep(at: location)) }
            // The tag as written: `Node.tag` would resolve an absent one. A quoted scalar carries `str` implicitly, and
            // so does a key once Yams has compared the keys of its mapping.
            let tag: String, quoted: Bool
            switch node {
            case .scalar(let scalar):
                tag = scalar.tag.rawValue
                quoted = !(scalar.style == .plain || scalar.style == .any)
            case .sequence(let sequence): (tag, quoted) = (sequence.tag.rawValue, false)
            case .mapping(let mapping): (tag, quoted) = (mapping.tag.rawValue, false)
            case .alias: (tag, quoted) = ("", false)
            }
            if !tag.isEmpty, !((quoted || isKey) && tag == Tag.Name.str.rawValue) {
                return .failure(.error(.syntax, "tags such as '\(tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst(18) : tag)' are not allowed in orgsync files; write the value without it",
                                       at: location))
            }
            switch node {
            case .alias:
                return .failure(.error(.syntax, "anchors and aliases (&name, *name) are not allowed in orgsync files; write the value out", at: location))
            case .scalar(let scalar):
                if !quoted {
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
                    switch convert(item, depth: depth + 1) {
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
                    // Keys may not carry tags or anchors either.
                    if case .failure(let diagnostic) = convert(key, depth: depth + 1, isKey: true) { return .failure(diagnostic) }
                    switch convert(value, depth: depth + 1) {
                    case .success(let converted):
                        entries.append(SourceEntry(key: keyScalar.string, keyLine: keyLine, keyColumn: keyColumn, value: converted))
                    case .failure(let diagnostic): return .failure(diagnostic)
                    }
                }
                return .success(SourceNode(.mapping(entries), line: line, column: column))
            }
        }
    }

    /// Where the value that goes over `ParseLimits.maxValues` starts, reading libyaml's events without building
    /// anything; nil when the text holds fewer values, or does not parse (Yams then says why).
    private static func firstValueOverLimit(_ text: String) -> (line: Int, column: Int)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        var text = text
        return text.withUTF8 { buffer -> (line: Int, column: Int)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var values = 0
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT, YAML_ALIAS_EVENT:
                    values += 1
                    if values > ParseLimits.maxValues { return (event.start_mark.line + 1, event.start_mark.column + 1) }
                default:
                    break
                }
            }
            return nil
        }
    }

    private static func diagnostic(for error: YamlError, path: String, text: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem.hasPrefix("Maximum nesting level") {
                // libyaml stops deep nesting itself, before Yams could recurse into it.
                return ParseLimits.nestedTooDeep(at: SourceLocation(path: path, line: mark.line, column: mark.column))
            }
            // libyaml's contexts read after the problem ("… while scanning a quoted scalar"), Yams's before it.
            let detail = context.map { $0.text.hasPrefix("while ") ? "\(problem) \($0.text)" : "\($0.text), \(problem)" } ?? problem
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
        case .reader(let problem, let offset, _, _):
            return .error(.syntax, "cannot read YAML: \(problem); remove or escape the character",
                          at: offset.map { location(ofCharacter: $0, in: text, path: path) } ?? SourceLocation(path: path))
        default:
            return .error(.syntax, "cannot read YAML: \(error)", at: SourceLocation(path: path))
        }
    }

    /// The line and column (in Unicode scalars) of the character at `offset`, counted in `Character`s as Yams
    /// reports a reader's problem.
    private static func location(ofCharacter offset: Int, in text: String, path: String) -> SourceLocation {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return SourceLocation(path: path, line: line, column: column)
    }

    /// Where `key` is written again after `mark`: the next line that holds `key:` (plain or quoted) at the same
    /// column, as a block mapping's repeated key does, or else the next `key:` after a '{' or ',', as in a
    /// flow mapping.
    private static func repeatedKey(_ key: String, after mark: Yams.Mark, in text: String) -> (line: Int, column: Int)? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"].map { Array($0.unicodeScalars) }
        // Lines as libyaml counts them: CRLF is one break, and so are a lone CR and the Unicode line separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { Array($0.unicodeScalars) }
        func isKey(_ scalars: [Unicode.Scalar], at start: Int) -> Bool {
            spellings.contains { spelling in
                guard scalars.count >= start + spelling.count, Array(scalars[start..<(start + spelling.count)]) == spelling else { return false }
                return scalars[(start + spelling.count)...].first { $0 != " " } == ":"
            }
        }
        for (offset, scalars) in lines.enumerated() where offset + 1 > mark.line {
            guard scalars.count >= mark.column, scalars[..<(mark.column - 1)].allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            if isKey(scalars, at: mark.column - 1) { return (offset + 1, mark.column) }
        }
        for (offset, scalars) in lines.enumerated() where offset + 1 >= mark.line {
            let from = offset + 1 == mark.line ? mark.column : 0
            for start in scalars.indices where start >= from && isKey(scalars, at: start) {
                if scalars[..<start].last(where: { $0 != " " }).map({ $0 == "{" || $0 == "," }) == true { return (offset + 1, start + 1) }
            }
        }
        return nil
    }
}
