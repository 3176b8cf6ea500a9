#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OrgModel

/// Stops the fuzzer with `message` when an invariant does not hold: libFuzzer reports the abort as a
/// finding and saves the input that caused it.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    guard !condition() else { return }
    let text = Array("orgsync fuzz invariant failed at \(file):\(line): \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Reads typed values from the fuzzer's bytes, front to back; past the end every read is zero.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: ArraySlice<UInt8> { bytes[min(offset, bytes.count)...] }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    public mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return value
    }

    public mutating func int64() -> Int64 { Int64(bitPattern: uint64()) }

    /// One of `options`, chosen by the next byte.
    public mutating func pick<T>(_ options: [T]) -> T { options[Int(byte()) % options.count] }
}

/// The fuzzer's bytes, split at `separator` into at most `count` parts; missing parts are nil.
public func split(_ bytes: [UInt8], at separator: UInt8, into count: Int) -> [[UInt8]?] {
    var parts: [[UInt8]?] = bytes.split(separator: separator, maxSplits: count - 1, omittingEmptySubsequences: false).map { Array($0) }
    while parts.count < count { parts.append(nil) }
    return parts
}

// MARK: Diagnostics

/// What every diagnostic promises: a rule id, a message that says what is wrong, and a place (a path, and a
/// line and column that are both positive, or both 0 for a whole file). Notes carry a message too.
public func requireWellFormed(_ diagnostic: Diagnostic, context: @autoclosure () -> String) {
    require(!diagnostic.rule.rawValue.isEmpty, "a diagnostic without a rule id (\(context())): \(diagnostic)")
    require(!diagnostic.message.isEmpty, "a diagnostic without a message (\(context())): \(diagnostic)")
    require(!diagnostic.location.path.isEmpty, "a diagnostic without a path (\(context())): \(diagnostic)")
    require(diagnostic.location.line >= 0 && diagnostic.location.column >= 0,
            "a diagnostic at a negative position (\(context())): \(diagnostic)")
    require((diagnostic.location.line == 0) == (diagnostic.location.column == 0),
            "a diagnostic with a line but no column, or a column but no line (\(context())): \(diagnostic)")
    for note in diagnostic.notes {
        require(!note.message.isEmpty, "a diagnostic note without a message (\(context())): \(diagnostic)")
        if let location = note.location {
            require(!location.path.isEmpty, "a diagnostic note without a path (\(context())): \(diagnostic)")
        }
    }
}

/// Checks every diagnostic, and that both renderings work: the JSON rendering must read back as JSON.
public func requireWellFormed(_ diagnostics: [Diagnostic], context: @autoclosure () -> String) {
    for diagnostic in diagnostics { requireWellFormed(diagnostic, context: context()) }
    _ = DiagnosticRenderer.text(diagnostics)
    let json = DiagnosticRenderer.jsonValue(diagnostics).rendered(pretty: false)
    // orgsync's reader refuses a byte-order mark past the start of a repository file, which JSON allows
    // inside a string (a message may quote one): read it in its escaped form, the same JSON text.
    let readable = json.replacing("\u{FEFF}", with: "\\uFEFF")
    if case .failure(let problem) = SourceReader.parse(Array(readable.utf8), format: .json, path: "diagnostics.json") {
        require(false, "the JSON rendering of diagnostics does not read back (\(context())): \(problem.message)\n\(json)")
    }
}

// MARK: Documents

/// The meaning of a parsed document, as orgsync compares documents (DocumentTree's equality): map key order
/// and the quoting of text do not count; a plain `true`, `false` or JSON number is a value, not text.
public indirect enum Meaning: Hashable, CustomStringConvertible {
    case null
    case text(String)
    case value(String)
    case list([Meaning])
    case map([String: Meaning])

    public init(_ node: SourceNode) {
        switch node.kind {
        case .null: self = .null
        case .scalar(let text, let quoted):
            self = !quoted && (text == "true" || text == "false" || Meaning.isJSONNumber(text)) ? .value(text) : .text(text)
        case .sequence(let items): self = .list(items.map(Meaning.init))
        case .mapping(let entries):
            var map: [String: Meaning] = [:]
            for entry in entries where map[entry.key] == nil { map[entry.key] = Meaning(entry.value) }
            self = .map(map)
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .text(let text): return "\"\(text.debugDescription.dropFirst().dropLast())\""
        case .value(let text): return text
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let map): return "{" + map.keys.sorted().map { "\($0.debugDescription): \(map[$0]!)" }.joined(separator: ", ") + "}"
        }
    }

    /// RFC 8259's number grammar.
    public static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            var count = 0
            while let byte = bytes.first, byte >= 48, byte <= 57 { bytes = bytes.dropFirst(); count += 1 }
            return count
        }
        guard let first = bytes.first else { return false }
        let integerDigits = digits()
        guard integerDigits > 0, !(first == UInt8(ascii: "0") && integerDigits > 1) else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if let byte = bytes.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

/// The document as a tree for the canonical writer, used as `YAMLNode` documents it: numbers and booleans
/// `.plain` (their form is the writer's), all other text `.string` (written plain only when that reads back
/// as the same text).
public func yamlNode(_ node: SourceNode) -> YAMLNode {
    switch node.kind {
    case .null: return .null
    case .scalar(let text, let quoted):
        if case .value = Meaning(node), !quoted { return .plain(text) }
        return .string(text)
    case .sequence(let items): return .list(items.map(yamlNode))
    case .mapping(let entries): return .map(entries.map { ($0.key, yamlNode($0.value)) })
    }
}

/// The meaning of `bytes` read as `format`, or nil when they do not read.
public func meaning(_ bytes: [UInt8], format: FileFormat, path: String) -> Meaning? {
    guard case .success(let node) = SourceReader.parse(bytes, format: format, path: path) else { return nil }
    return Meaning(node)
}

/// Walks a parsed tree: its deepest nesting (the root is at depth 0), and whether every node has a position
/// and every mapping's keys are distinct.
public func walk(_ node: SourceNode, depth: Int = 0, visit: (SourceNode, Int) -> Void) {
    visit(node, depth)
    switch node.kind {
    case .sequence(let items): for item in items { walk(item, depth: depth + 1, visit: visit) }
    case .mapping(let entries): for entry in entries { walk(entry.value, depth: depth + 1, visit: visit) }
    case .null, .scalar: break
    }
}
