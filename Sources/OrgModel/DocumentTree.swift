/// A parsed YAML or JSON document as the merge sees it: scalars keep their text, maps keep their key order,
/// and two trees are equal when they mean the same (map key order and the quoting of plain text do not count).
public indirect enum DocumentTree: Sendable, Hashable {
    case null
    case scalar(String, quoted: Bool)
    case list([DocumentTree])
    case map([Field])

    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: DocumentTree
    }

    init(_ node: SourceNode) {
        switch node.kind {
        case .null: self = .null
        case .scalar(let text, let quoted): self = .scalar(text, quoted: quoted)
        case .sequence(let items): self = .list(items.map(DocumentTree.init))
        case .mapping(let entries): self = .map(entries.map { Field(key: $0.key, value: DocumentTree($0.value)) })
        }
    }

    /// Parses a file's bytes, or nil when they are not a readable document of `format`.
    static func parse(_ bytes: [UInt8], format: FileFormat, path: String) -> DocumentTree? {
        guard case .success(let node) = SourceReader.parse(bytes, format: format, path: path) else { return nil }
        return DocumentTree(node)
    }

    /// Parses the compact JSON text `json` wrote (as kept in merge reports).
    public init?(json text: String) {
        guard let tree = DocumentTree.parse(Array(text.utf8), format: .json, path: "value.json") else { return nil }
        self = tree
    }

    /// The value as compact JSON: text quoted, numbers, booleans and null as they are written.
    public var json: String {
        switch self {
        case .null: return "null"
        case .scalar(let text, let quoted):
            if !quoted, text == "true" || text == "false" || text == "null" || DataValue.isJSONNumber(text) { return text }
            var out = ""
            JSONValue.writeString(text, to: &out)
            return out
        case .list(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .map(let fields):
            return "{" + fields.map { field in
                var key = ""
                JSONValue.writeString(field.key, to: &key)
                return key + ":" + field.value.json
            }.joined(separator: ",") + "}"
        }
    }

    /// The tree for the canonical writer. Plain numbers, booleans and times stay plain, as `YAMLNode.plain`
    /// expects; other text is written as `.string`, plain only where that reads back as the same text: the
    /// text of a plain scalar, such as one folded from several lines, is not always a plain scalar elsewhere.
    var yaml: YAMLNode {
        switch self {
        case .null: return .null
        case .scalar(let text, let quoted):
            return isPlainValue || (!quoted && (try? Timestamp(parsing: text)) != nil) ? .plain(text) : .string(text)
        case .list(let items): return .list(items.map(\.yaml))
        case .map(let fields): return .map(fields.map { ($0.key, $0.value.yaml) })
        }
    }

    /// The field `key` of a map.
    subscript(key: String) -> DocumentTree? {
        guard case .map(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    /// The text of a scalar.
    var text: String? {
        if case .scalar(let text, _) = self { return text }
        return nil
    }

    // MARK: Meaning

    /// Whether the value is a plain `true`, `false` or JSON number, not text.
    private var isPlainValue: Bool {
        guard case .scalar(let text, let quoted) = self else { return false }
        return !quoted && (text == "true" || text == "false" || DataValue.isJSONNumber(text))
    }

    /// What a scalar means: plain text that is not a number or boolean reads as text, like quoted text.
    private var scalarMeaning: String? {
        guard case .scalar(let text, _) = self else { return nil }
        return (isPlainValue ? "p:" : "s:") + text
    }

    public static func == (lhs: DocumentTree, rhs: DocumentTree) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.scalar, .scalar): return lhs.scalarMeaning == rhs.scalarMeaning
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            let keyed = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return a.allSatisfy { keyed[$0.key] == $0.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .scalar: hasher.combine(scalarMeaning)
        case .list(let items): hasher.combine(items)
        case .map(let fields):
            // Order-insensitive, to agree with ==.
            var combined = 0
            for field in fields {
                var inner = Hasher()
                inner.combine(field.key)
                inner.combine(field.value)
                combined ^= inner.finalize()
            }
            hasher.combine(combined)
        }
    }
}

/// Where a value sits in a document: map keys, and items of keyed lists by their key
/// (`members[bo].role`, `settings.routing`, `keys[chat-gateway]`).
public struct FieldPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Step: Sendable, Hashable {
        case key(String)
        /// The item of a keyed list (workspace members by `member`, keys by `id`) with this key.
        case item(String)
    }

    public var steps: [Step]

    public init(_ steps: [Step] = []) { self.steps = steps }

    public var isWholeFile: Bool { steps.isEmpty }

    func appending(_ step: Step) -> FieldPath { FieldPath(steps + [step]) }

    /// The path as people read it; the whole file is `(file)`.
    public var description: String {
        guard !steps.isEmpty else { return "(file)" }
        var out = ""
        for step in steps {
            switch step {
            case .key(let key): out += (out.isEmpty ? "" : ".") + key
            case .item(let key): out += "[\(key)]"
            }
        }
        return out
    }

    /// The steps as strings, for reports: `.key` and `[item]`, which `init(encoded:)` reads back.
    public var encoded: [String] {
        steps.map { step in
            switch step {
            case .key(let key): return "." + key
            case .item(let key): return "[" + key
            }
        }
    }

    public init?(encoded: [String]) {
        var steps: [Step] = []
        for text in encoded {
            switch text.first {
            case ".": steps.append(.key(String(text.dropFirst())))
            case "[": steps.append(.item(String(text.dropFirst())))
            default: return nil
            }
        }
        self.steps = steps
    }

    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool { lhs.description < rhs.description }
}

/// Which lists of which files are keyed (merged item by item) or sets (merged element by element);
/// every other list is one value.
enum MergeSchema {
    enum ListKind: Equatable { case keyed(String), set, value }

    static func list(in path: String, at field: [String]) -> ListKind {
        let joined = field.joined(separator: ".")
        if path.hasPrefix("workspaces/") {
            switch joined {
            case "members": return .keyed("member")
            case "keys": return .keyed("id")
            case "providers.disabled": return .set
            default: return .value
            }
        }
        if path.hasPrefix("members/"), joined == "signingKeys" { return .set }
        if path.hasPrefix("providers."), joined == "providers" { return .keyed("id") }
        if path.hasPrefix("org."), joined == "policy.approvals" { return .keyed("name") }
        return .value
    }
}

extension DocumentTree {
    /// The value at `field`, or nil when it is absent. Keyed lists are searched with `path`'s schema.
    func value(at field: FieldPath, path: String) -> DocumentTree? {
        var current: DocumentTree? = self
        var names: [String] = []
        for step in field.steps {
            guard let node = current else { return nil }
            switch step {
            case .key(let key):
                current = node[key]
                names.append(key)
            case .item(let id):
                guard case .list(let items) = node, case .keyed(let keyField) = MergeSchema.list(in: path, at: names) else { return nil }
                current = items.first { $0[keyField]?.text == id }
            }
        }
        return current
    }

    /// This document with the value at `field` set to `value`, or removed when `value` is nil. Returns nil
    /// when the path does not lead through maps and keyed lists of this document.
    func setting(_ field: FieldPath, to value: DocumentTree?, path: String) -> DocumentTree? {
        setting(field.steps[...], names: [], to: value, path: path)
    }

    private func setting(_ steps: ArraySlice<FieldPath.Step>, names: [String], to value: DocumentTree?, path: String) -> DocumentTree? {
        guard let step = steps.first else { return value ?? .null }
        let rest = steps.dropFirst()
        switch step {
        case .key(let key):
            var fields: [Field]
            switch self {
            case .map(let existing): fields = existing
            case .null: fields = []
            default: return nil
            }
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if rest.isEmpty, value == nil {
                    fields.remove(at: index)
                } else {
                    guard let updated = fields[index].value.setting(rest, names: names + [key], to: value, path: path) else { return nil }
                    fields[index].value = updated
                }
            } else if value != nil {
                guard let created = DocumentTree.null.setting(rest, names: names + [key], to: value, path: path) else { return nil }
                fields.append(Field(key: key, value: created))
            }
            return .map(fields)
        case .item(let id):
            guard case .keyed(let keyField) = MergeSchema.list(in: path, at: names) else { return nil }
            var items: [DocumentTree]
            switch self {
            case .list(let existing): items = existing
            case .null: items = []
            default: return nil
            }
            if let index = items.firstIndex(where: { $0[keyField]?.text == id }) {
                if rest.isEmpty, value == nil {
                    items.remove(at: index)
                } else {
                    guard let updated = items[index].setting(rest, names: names, to: value, path: path) else { return nil }
                    items[index] = updated
                }
            } else if let value {
                guard rest.isEmpty else { return nil }
                items.append(value)
            }
            return .list(items)
        }
    }
}
