/// A parsed YAML or JSON value that remembers where it was written.
///
/// Both readers produce this tree, so the entity decoders, the rules and the diagnostics do not care
/// which format a file used.
public struct SourceNode: Sendable {
    public enum Kind: Sendable {
        /// `null`, `~`, an empty value, or JSON `null`.
        case null
        /// A scalar's text. `quoted` is true for quoted YAML scalars, block scalars and JSON strings;
        /// false for plain YAML scalars and JSON numbers, `true` and `false`.
        case scalar(String, quoted: Bool)
        case sequence([SourceNode])
        case mapping([SourceEntry])
    }

    public var kind: Kind
    /// 1-based line of the value's first character.
    public var line: Int
    /// 1-based column of the value's first character, in Unicode scalars.
    public var column: Int

    public init(_ kind: Kind, line: Int, column: Int) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// A word for the kind of value, for messages: "a mapping", "a list", "text", "null".
    public var kindDescription: String {
        switch kind {
        case .null: return "nothing (null)"
        case .scalar: return "a single value"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One key and value of a mapping, with the key's position.
public struct SourceEntry: Sendable {
    public var key: String
    public var keyLine: Int
    public var keyColumn: Int
    public var value: SourceNode
}

/// Limits that keep a hostile file or tree from exhausting memory, the stack or time. Each is far above
/// what the reference large organization needs (SPEC §10: 10,000 workspaces, 50,000 members, 100,000
/// ledger events, ~27,600 usage files of up to ~16 MiB, ~187,600 files), and going over one is a `LIMIT`
/// error that names the limit and what to do.
///
/// YAML anchors and aliases are refused outright (SYNTAX): no value is ever expanded, so a "billion
/// laughs" file is refused at its first anchor, in the time it takes to read it.
public enum ParseLimits {
    /// The largest YAML, JSON or usage file orgsync reads (16 MiB).
    public static let maxFileBytes = 16 << 20
    /// The deepest nesting of lists and mappings.
    public static let maxDepth = 64
    /// The most values (keys, scalars, lists and mappings) one YAML or JSON
    /// document holds: a workspace that lists all 50,000 members of the reference organization, limits
    /// and all, holds under 500,000.
    public static let maxValues = 2_000_000
    /// The most files (of any kind: every file is read, for the secret scan) in the tree of one state.
    public static let maxFiles = 1_000_000

    static func fileTooLarge(_ size: Int, limit: Int = maxFileBytes, at path: String, advice: String) -> Diagnostic {
        .error(.limit, "file is \(size) bytes, over the limit of \(limit >> 20) MiB (\(limit) bytes) per file; \(advice)",
               at: SourceLocation(path: path))
    }

    static func nestedTooDeep(at location: SourceLocation) -> Diagnostic {
        .error(.limit, "values are nested more than \(maxDepth) levels deep, over the limit of \(maxDepth); flatten the lists and mappings",
               at: location)
    }

    static func tooManyValues(at location: SourceLocation) -> Diagnostic {
        .error(.limit, "the file holds more than \(maxValues) values (keys, scalars, lists and mappings), over the limit of \(maxValues) per file; split what it holds or remove what does not belong",
               at: location)
    }

    static func tooManyFiles(_ count: Int) -> Diagnostic {
        .error(.limit, "the tree holds \(count > maxFiles ? "more than \(maxFiles)" : "\(count)") files, over the limit of \(maxFiles) per organization; nothing was read: remove the files that do not belong, or split the organization into several repositories",
               at: SourceLocation(path: "."))
    }
}

/// The format of a data file, chosen by its extension.
public enum FileFormat: Sendable {
    case yaml
    case json

    /// The format for a path ending in `.yaml` or `.json`, or nil.
    public init?(path: String) {
        if path.hasSuffix(".yaml") { self = .yaml } else if path.hasSuffix(".json") { self = .json } else { return nil }
    }
}

/// Reads a data file into a `SourceNode`, or a diagnostic that says where and why it is malformed.
public enum SourceReader {
    /// Parses `bytes` as `format`. A UTF-8 byte-order mark is skipped; anything that is not UTF-8 is refused.
    public static func parse(_ bytes: [UInt8], format: FileFormat, path: String) -> Result<SourceNode, Diagnostic> {
        guard bytes.count <= ParseLimits.maxFileBytes else {
            return .failure(ParseLimits.fileTooLarge(bytes.count, at: path, advice: "split it or remove what does not belong"))
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            return .failure(.error(.syntax, "file is not valid UTF-8; save it as UTF-8",
                                   at: SourceLocation(path: path, line: firstInvalidUTF8Line(body), column: 1)))
        }
        if let mark = body.firstRange(of: [0xEF, 0xBB, 0xBF]) {
            let before = String(decoding: body[..<mark.lowerBound], as: UTF8.self)
            let line = before.reduce(1) { $1.isNewline ? $0 + 1 : $0 }
            let column = before.unicodeScalars.reversed().prefix { $0 != "\n" && $0 != "\r" }.count + 1
            return .failure(.error(.syntax, "a byte-order mark (U+FEFF) is allowed only at the start of the file; remove this one",
                                   at: SourceLocation(path: path, line: line, column: column)))
        }
        switch format {
        case .json:
            var parser = JSONReader(text: text, path: path)
            return parser.parseDocument()
        case .yaml:
            return YAMLReader.parse(text, path: path)
        }
    }

    static func firstInvalidUTF8Line(_ bytes: ArraySlice<UInt8>) -> Int {
        var line = 1
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }
}
