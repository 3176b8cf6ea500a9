/// A free-form value, as kept in a workspace's `settings` (R16): text, exact numbers, booleans, null, lists and maps.
///
/// Numbers keep their text, so nothing is rounded. Maps compare without regard to key order and are
/// written with sorted keys.
public indirect enum DataValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case list([DataValue])
    case map([String: DataValue])

    /// The value of a parsed node. Plain scalars that look like JSON numbers become numbers; `true` and
    /// `false` become booleans; everything else is text.
    init(_ node: SourceNode) {
        switch node.kind {
        case .null: self = .null
        case .scalar(let text, let quoted):
            if quoted {
                self = .string(text)
            } else if text == "true" || text == "false" {
                self = .bool(text == "true")
            } else if DataValue.isJSONNumber(text) {
                self = .number(text)
            } else {
                self = .string(text)
            }
        case .sequence(let items): self = .list(items.map(DataValue.init))
        case .mapping(let entries):
            var map: [String: DataValue] = [:]
            for entry in entries { map[entry.key] = DataValue(entry.value) }
            self = .map(map)
        }
    }

    var yaml: YAMLNode {
        switch self {
        case .null: return .null
        case .bool(let value): return .plain(value ? "true" : "false")
        case .number(let text): return .plain(text)
        case .string(let text): return .string(text)
        case .list(let items): return .list(items.map(\.yaml))
        case .map(let map): return .map(map.keys.sorted().compactMap { key in map[key].map { (key, $0.yaml) } })
        }
    }

    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let text): return .number(text)
        case .string(let text): return .string(text)
        case .list(let items): return .array(items.map(\.json))
        case .map(let map): return .object(map.mapValues(\.json))
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits(_ slice: inout Substring.UTF8View.SubSequence) -> Int {
            var count = 0
            while let byte = slice.first, byte >= 48, byte <= 57 { slice = slice.dropFirst(); count += 1 }
            return count
        }
        guard let first = bytes.first else { return false }
        let integerDigits = digits(&bytes)
        guard integerDigits > 0, !(first == UInt8(ascii: "0") && integerDigits > 1) else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits(&bytes) > 0 else { return false }
        }
        if let byte = bytes.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits(&bytes) > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
