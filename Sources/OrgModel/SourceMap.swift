/// Where each field of an entity was written, so that rules checked later can point at the exact value.
///
/// A source map never takes part in equality or hashing: two entities with the same data are equal
/// whatever their layout.
public struct SourceMap: Hashable, Sendable {
    struct Position: Sendable {
        let line: Int
        let column: Int
    }

    /// The file the entity was read from, relative to the repository root.
    public var path: String
    private var positions: [String: Position] = [:]

    public init(path: String) { self.path = path }

    mutating func record(_ field: String, line: Int, column: Int) {
        positions[field] = Position(line: line, column: column)
    }

    /// The location of `field` (a dotted path such as `members[2].member`), or of its closest recorded
    /// parent, or of the whole file.
    public subscript(field: String) -> SourceLocation {
        var key = field[...]
        while true {
            if let position = positions[String(key)] {
                return SourceLocation(path: path, line: position.line, column: position.column)
            }
            guard let cut = key.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            key = key[..<cut]
        }
        if let root = positions[""] { return SourceLocation(path: path, line: root.line, column: root.column) }
        return SourceLocation(path: path)
    }

    /// The location of the entity as a whole.
    public var file: SourceLocation { self[""] }

    public static func == (lhs: SourceMap, rhs: SourceMap) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
