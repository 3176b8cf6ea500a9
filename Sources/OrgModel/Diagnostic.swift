/// A position in a file of the repository: a path relative to the repository root, and a 1-based line and column.
///
/// Columns count Unicode scalars, as libyaml does. Line and column are 0 when a problem concerns a
/// whole file, or a file that does not exist.
public struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int

    public init(path: String, line: Int = 0, column: Int = 0) {
        self.path = path
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.path, lhs.line, lhs.column) < (rhs.path, rhs.line, rhs.column)
    }

    /// `path:line:column`, or just `path` when the problem concerns the whole file.
    public var description: String {
        line > 0 ? "\(path):\(line):\(column)" : path
    }
}

/// A stable rule identifier: the SPEC's R1–R16 and F1–F6, and the checks that are not a single rule.
public struct RuleID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: RuleID, rhs: RuleID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A file that is not valid YAML, JSON or UTF-8.
    public static let syntax: RuleID = "SYNTAX"
    /// A value of the wrong type, a missing required key, or a value outside its allowed set.
    public static let schema: RuleID = "SCHEMA"
    /// A reference to a member, workspace, provider key or event that does not exist.
    public static let reference: RuleID = "REF"
    /// Two entities with one id, or two members with one email.
    public static let duplicate: RuleID = "DUP"
    /// A plaintext secret in the tree.
    public static let secret: RuleID = "SECRET"
    /// A file in the wrong place, or a kind of tree entry orgsync does not accept (symlink, submodule).
    public static let layout: RuleID = "LAYOUT"
    /// A file or tree beyond one of `ParseLimits`: too large, too deeply nested, too many values or files.
    public static let limit: RuleID = "LIMIT"

    public static func r(_ number: Int) -> RuleID { RuleID(rawValue: "R\(number)") }
    public static func f(_ number: Int) -> RuleID { RuleID(rawValue: "F\(number)") }
    /// A transition rule (T1–T5): what a commit may change relative to its parents.
    public static func t(_ number: Int) -> RuleID { RuleID(rawValue: "T\(number)") }
}

/// How serious a diagnostic is. Only errors make validation fail.
public enum Severity: String, Sendable, Comparable {
    case error
    case warning

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
}

/// One problem found in a repository: what is wrong, where, under which rule, and how to fix it.
public struct Diagnostic: Error, Hashable, Sendable {
    /// Extra information attached to a diagnostic, such as the other file involved.
    public struct Note: Hashable, Sendable {
        public var message: String
        public var location: SourceLocation?

        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    public var rule: RuleID
    public var severity: Severity
    /// What is wrong and what to do about it.
    public var message: String
    public var location: SourceLocation
    public var notes: [Note]

    public init(_ rule: RuleID, _ severity: Severity = .error, _ message: String, at location: SourceLocation, notes: [Note] = []) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }

    public static func error(_ rule: RuleID, _ message: String, at location: SourceLocation, notes: [Note] = []) -> Diagnostic {
        Diagnostic(rule, .error, message, at: location, notes: notes)
    }

    public static func warning(_ rule: RuleID, _ message: String, at location: SourceLocation, notes: [Note] = []) -> Diagnostic {
        Diagnostic(rule, .warning, message, at: location, notes: notes)
    }
}

extension Diagnostic: Comparable {
    /// Diagnostics sort by location, then rule, then message, so every rendering is stable.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        if lhs.location != rhs.location { return lhs.location < rhs.location }
        if lhs.rule != rhs.rule { return lhs.rule < rhs.rule }
        return lhs.message < rhs.message
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}

/// Renders diagnostics for people (`path:line:col: error: [R7] …`) or for machines (JSON with sorted keys).
public enum DiagnosticRenderer {
    /// The terminal form, one diagnostic per line with its notes indented below; colored when `color` is true.
    /// Control characters in paths and messages (which quote the files) are shown escaped, so a file cannot
    /// forge lines or colors on the terminal.
    public static func text(_ diagnostics: [Diagnostic], color: Bool = false) -> String {
        var out = ""
        for diagnostic in diagnostics {
            let label = diagnostic.severity.rawValue
            let paint = color ? (diagnostic.severity == .error ? "\u{1B}[1;31m" : "\u{1B}[1;33m") : ""
            let bold = color ? "\u{1B}[1m" : ""
            let reset = color ? "\u{1B}[0m" : ""
            out += "\(bold)\(diagnostic.location.description.printable):\(reset) \(paint)\(label):\(reset) [\(diagnostic.rule)] \(diagnostic.message.printable)\n"
            for note in diagnostic.notes {
                if let location = note.location {
                    out += "  \(location.description.printable): note: \(note.message.printable)\n"
                } else {
                    out += "  note: \(note.message.printable)\n"
                }
            }
        }
        return out
    }

    /// A JSON array of objects with the keys `column`, `line`, `message`, `notes`, `path`, `rule`, `severity`, sorted.
    public static func jsonValue(_ diagnostics: [Diagnostic]) -> JSONValue {
        .array(diagnostics.map { diagnostic in
            .object([
                "rule": .string(diagnostic.rule.rawValue),
                "severity": .string(diagnostic.severity.rawValue),
                "message": .string(diagnostic.message),
                "path": .string(diagnostic.location.path),
                "line": .int(diagnostic.location.line),
                "column": .int(diagnostic.location.column),
                "notes": .array(diagnostic.notes.map { note in
                    var fields: [String: JSONValue] = ["message": .string(note.message)]
                    if let location = note.location {
                        fields["path"] = .string(location.path)
                        fields["line"] = .int(location.line)
                        fields["column"] = .int(location.column)
                    }
                    return .object(fields)
                }),
            ])
        })
    }
}
