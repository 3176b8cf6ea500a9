/// An ordered tree that the canonical writer turns into YAML: fixed key order, two-space indent,
/// block style, one trailing newline. Writing the same tree twice gives the same bytes.
public indirect enum YAMLNode: Equatable, Sendable {
    /// Text written as is, without quotes: numbers, booleans and times, whose form the writer controls.
    case plain(String)
    /// Text written plain when that reads back as the same text, double-quoted otherwise.
    case string(String)
    case list([YAMLNode])
    case map([(String, YAMLNode)])
    case null

    public static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.plain(let a), .plain(let b)), (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): return true
        default: return false
        }
    }
}

/// Builds the fields of a mapping in a fixed order, leaving out absent and empty optional values.
struct YAMLMap {
    private(set) var entries: [(String, YAMLNode)] = []

    mutating func add(_ key: String, _ value: YAMLNode) { entries.append((key, value)) }
    mutating func add(_ key: String, _ value: String?) { if let value { entries.append((key, .string(value))) } }
    mutating func add(_ key: String, _ value: Credits?) { if let value { entries.append((key, .plain(value.description))) } }
    mutating func add(_ key: String, _ value: Timestamp?) { if let value { entries.append((key, .plain(value.description))) } }
    mutating func add(_ key: String, _ value: Int?) { if let value { entries.append((key, .plain(String(value)))) } }
    mutating func add(_ key: String, list: [YAMLNode]) { if !list.isEmpty { entries.append((key, .list(list))) } }
    mutating func add(_ key: String, map: YAMLMap) { if !map.entries.isEmpty { entries.append((key, map.node)) } }

    var node: YAMLNode { .map(entries) }
}

/// Writes `YAMLNode` trees as canonical YAML text.
public enum CanonicalYAML {
    /// The canonical text of a document.
    public static func render(_ node: YAMLNode) -> String {
        var out = ""
        switch node {
        case .map(let entries) where !entries.isEmpty:
            writeMap(entries, indent: 0, to: &out)
        case .list(let items) where !items.isEmpty:
            writeList(items, indent: 0, to: &out)
        default:
            out = inline(node) + "\n"
        }
        return out
    }

    /// The canonical text of a document in `format`: YAML, or JSON with the same key order, two-space
    /// indent and one trailing newline, for organizations kept in `.json` files.
    public static func render(_ node: YAMLNode, as format: FileFormat) -> String {
        switch format {
        case .yaml: return render(node)
        case .json:
            var out = ""
            writeJSON(node, indent: 0, to: &out)
            return out + "\n"
        }
    }

    private static func writeJSON(_ node: YAMLNode, indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        switch node {
        case .plain(let text):
            // Plain scalars are numbers, booleans and times, whose form the writer controls.
            out += ["true", "false", "null"].contains(text) || DataValue.isJSONNumber(text) ? text : quoted(text)
        case .string(let text): out += quoted(text)
        case .null: out += "null"
        case .list(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                out += (index > 0 ? "," : "") + "\n" + pad
                writeJSON(item, indent: indent + 1, to: &out)
            }
            out += "\n" + String(repeating: "  ", count: indent) + "]"
        case .map(let entries):
            guard !entries.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in entries.enumerated() {
                out += (index > 0 ? "," : "") + "\n" + pad + quoted(key) + ": "
                writeJSON(value, indent: indent + 1, to: &out)
            }
            out += "\n" + String(repeating: "  ", count: indent) + "}"
        }
    }

    private static func writeMap(_ entries: [(String, YAMLNode)], indent: Int, to out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in entries {
            let renderedKey = scalar(key)
            switch value {
            case .map(let children) where !children.isEmpty:
                out += "\(pad)\(renderedKey):\n"
                writeMap(children, indent: indent + 2, to: &out)
            case .list(let items) where !items.isEmpty:
                out += "\(pad)\(renderedKey):\n"
                writeList(items, indent: indent + 2, to: &out)
            default:
                out += "\(pad)\(renderedKey): \(inline(value))\n"
            }
        }
    }

    private static func writeList(_ items: [YAMLNode], indent: Int, to out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .map(let children) where !children.isEmpty:
                var block = ""
                writeMap(children, indent: indent + 2, to: &block)
                out += pad + "- " + block.dropFirst(indent + 2)
            case .list(let nested) where !nested.isEmpty:
                var block = ""
                writeList(nested, indent: indent + 2, to: &block)
                out += pad + "- " + block.dropFirst(indent + 2)
            default:
                out += "\(pad)- \(inline(item))\n"
            }
        }
    }

    private static func inline(_ node: YAMLNode) -> String {
        switch node {
        case .plain(let text): return text
        case .string(let text): return scalar(text)
        case .list: return "[]"
        case .map: return "{}"
        case .null: return "null"
        }
    }

    /// `text` as a plain scalar when YAML 1.1 and 1.2 readers would both read it back as the same string, else double-quoted.
    static func scalar(_ text: String) -> String {
        isPlainSafe(text) ? text : quoted(text)
    }

    /// `text` double-quoted, with JSON's escapes, and `\u` escapes for the characters a YAML reader would not
    /// read back as themselves inside quotes: it refuses C1 controls, U+FFFE and U+FFFF, folds the line
    /// breaks NEL, LS and PS (with the spaces around them), and drops a byte-order mark.
    static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(text, to: &out)
        guard out.unicodeScalars.contains(where: needsEscape) else { return out }
        var escaped = ""
        for scalar in out.unicodeScalars {
            if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// The characters `quoted` escapes beyond JSON's: YAML readers do not read them back unchanged.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return true
        default: return false
        }
    }

    private static let reservedWords: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "=", "<<",
    ]

    static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if reservedWords.contains(text) { return false }
        if " \t-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) {
            // "-" may start a plain scalar when not followed by a space, but "-1" would read as a number.
            return false
        }
        if last == " " || last == ":" { return false }
        if text.contains(": ") || text.contains(" #") { return false }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F || needsEscape(scalar) {
            return false
        }
        if looksNumericOrDate(text) { return false }
        return true
    }

    /// Whether a plain scalar could resolve to a number, a date or a special float in YAML 1.1 or 1.2.
    private static func looksNumericOrDate(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan"].contains(lowered) { return true }
        guard let first = text.unicodeScalars.first, "0123456789+-.".unicodeScalars.contains(first) else { return false }
        // Dates such as 2026-11-21 and times that start like them resolve to timestamps.
        let digits = Array(text.utf8.prefix(5))
        if digits.count == 5, digits[0...3].allSatisfy({ $0 >= 48 && $0 <= 57 }), digits[4] == UInt8(ascii: "-") { return true }
        let numeric = Set("0123456789_.:+-eEoOxXbBaAcCdDfF".unicodeScalars)
        return text.unicodeScalars.allSatisfy { numeric.contains($0) }
    }
}
