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

/// Limits that keep a hostile file from exhausting memory or the stack.
public enum ParseLimits {
    /// The largest YAML or JSON file orgsync reads (16 MiB).
    public static let maxFileBytes = 16 << 20
    /// The deepest nesting of lists and mappings.
    public static let maxDepth = 64
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
            return .failure(.error(.syntax, "file is \(bytes.count) bytes, over the limit of \(ParseLimits.maxFileBytes); split it or remove what does not belong",
                                   at: SourceLocation(path: path)))
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            return .failure(.error(.syntax, "file is not valid UTF-8; save it as UTF-8",
                                   at: SourceLocation(path: path, line: firstInvalidUTF8Line(body), column: 1)))
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
