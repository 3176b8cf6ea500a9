/// Reads typed fields out of a `SourceNode`, collecting a diagnostic for every problem and recording
/// where each field was written.
///
/// Each reading method returns nil after reporting, so a decoder can go on and report every problem
/// in a file, not just the first.
final class FileDecoder {
    let path: String
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var source: SourceMap

    init(path: String) {
        self.path = path
        self.source = SourceMap(path: path)
    }

    func location(_ node: SourceNode) -> SourceLocation {
        SourceLocation(path: path, line: node.line, column: node.column)
    }

    func error(_ rule: RuleID, _ message: String, at node: SourceNode, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(rule, message, at: location(node), notes: notes))
    }

    func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    func record(_ field: String, _ node: SourceNode) {
        source.record(field, line: node.line, column: node.column)
    }

    /// The fields of a mapping. Unknown keys are reported (F4) with a suggestion; missing required keys are reported.
    func mapping(_ node: SourceNode, field: String, what: String, allowed: [String], required: [String] = []) -> Fields? {
        record(field, node)
        guard case .mapping(let entries) = node.kind else {
            error(.schema, "\(what) must be a mapping of keys to values, not \(node.kindDescription)", at: node)
            return nil
        }
        var fields = Fields(prefix: field)
        for entry in entries {
            if allowed.contains(entry.key) {
                fields.values[entry.key] = entry.value
            } else {
                let keyNode = SourceNode(.null, line: entry.keyLine, column: entry.keyColumn)
                var message = "unknown key '\(entry.key.excerpt.visible)' in \(what)"
                if let suggestion = Suggestion.closest(to: entry.key, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; the keys allowed here are \(allowed.map { "'\($0)'" }.joined(separator: ", "))"
                }
                error(.f(4), message, at: keyNode)
            }
        }
        for key in required where fields.values[key] == nil {
            error(.schema, "\(what) is missing the required key '\(key)'", at: node)
        }
        return fields
    }

    struct Fields {
        let prefix: String
        var values: [String: SourceNode] = [:]
        subscript(key: String) -> SourceNode? { values[key] }
        func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
    }

    /// A scalar's text (quoted or plain), not empty.
    func string(_ node: SourceNode?, field: String, what: String) -> String? {
        guard let node else { return nil }
        record(field, node)
        guard case .scalar(let text, _) = node.kind else {
            error(.schema, "\(what) must be text, not \(node.kindDescription)", at: node)
            return nil
        }
        guard !text.isEmpty, !text.allSatisfy(\.isWhitespace) else {
            error(.schema, "\(what) must not be empty", at: node)
            return nil
        }
        return text
    }

    /// An optional text: absent and null both mean nil.
    func optionalString(_ node: SourceNode?, field: String, what: String) -> String? {
        guard let node, !node.isNull else { return nil }
        return string(node, field: field, what: what)
    }

    /// An id of `kind` (F1).
    func identifier(_ node: SourceNode?, field: String, what: String, kind: IdentifierKind) -> String? {
        guard let text = string(node, field: field, what: what), let node else { return nil }
        guard kind.matches(text) else {
            error(.f(1), "\(what) '\(text.excerpt.visible)' is not a valid id: \(kind.whyNot(text) ?? "it does not match"); use \(kind.pattern)", at: node)
            return nil
        }
        return text
    }

    /// An amount of credits (F2) that must be positive, or non-negative when `allowZero`.
    func credits(_ node: SourceNode?, field: String, what: String, allowZero: Bool) -> Credits? {
        guard let node else { return nil }
        record(field, node)
        guard case .scalar(let text, _) = node.kind else {
            error(.f(2), "\(what) must be an amount of credits such as 1500 or 12.5, not \(node.kindDescription)", at: node)
            return nil
        }
        let amount: Credits
        do {
            amount = try Credits(parsing: text)
        } catch {
            self.error(.f(2), "\(what): \(error)", at: node)
            return nil
        }
        if amount.isNegative || (!allowZero && amount.isZero) {
            error(.f(2), "\(what) must be \(allowZero ? "zero or more" : "greater than zero"), not \(amount)", at: node)
            return nil
        }
        return amount
    }

    /// An RFC 3339 UTC time (F3).
    func timestamp(_ node: SourceNode?, field: String, what: String) -> Timestamp? {
        guard let node else { return nil }
        record(field, node)
        guard case .scalar(let text, _) = node.kind else {
            error(.f(3), "\(what) must be a time such as 2026-11-21T10:00:00Z, not \(node.kindDescription)", at: node)
            return nil
        }
        do {
            return try Timestamp(parsing: text)
        } catch {
            self.error(.f(3), "\(what): \(error)", at: node)
            return nil
        }
    }

    func optionalTimestamp(_ node: SourceNode?, field: String, what: String) -> Timestamp? {
        guard let node, !node.isNull else { return nil }
        return timestamp(node, field: field, what: what)
    }

    /// `true` or `false`, unquoted.
    func bool(_ node: SourceNode?, field: String, what: String) -> Bool? {
        guard let node else { return nil }
        record(field, node)
        if case .scalar(let text, false) = node.kind {
            if text == "true" { return true }
            if text == "false" { return false }
        }
        error(.schema, "\(what) must be true or false", at: node)
        return nil
    }

    /// A whole number within `range`, unquoted.
    func integer(_ node: SourceNode?, field: String, what: String, range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        record(field, node)
        if case .scalar(let text, false) = node.kind, let value = Int(text), range.contains(value),
           text == String(value) {
            return value
        }
        error(.schema, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)", at: node)
        return nil
    }

    /// One of the raw values of `E`.
    func choice<E: RawRepresentable & CaseIterable>(_ node: SourceNode?, field: String, what: String, as type: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(node, field: field, what: what), let node else { return nil }
        if let value = E(rawValue: text) { return value }
        let options = E.allCases.map(\.rawValue)
        var message = "\(what) '\(text.excerpt.visible)' is not one of \(options.map { "'\($0)'" }.joined(separator: ", "))"
        if let suggestion = Suggestion.closest(to: text, among: options) { message += "; did you mean '\(suggestion)'?" }
        error(.schema, message, at: node)
        return nil
    }

    /// The items of a list; absent or null mean an empty list.
    func list(_ node: SourceNode?, field: String, what: String) -> [SourceNode] {
        guard let node, !node.isNull else { return [] }
        record(field, node)
        guard case .sequence(let items) = node.kind else {
            error(.schema, "\(what) must be a list, not \(node.kindDescription)", at: node)
            return []
        }
        for (index, item) in items.enumerated() { record("\(field)[\(index)]", item) }
        return items
    }
}

extension SourceNode {
    var isNull: Bool {
        if case .null = kind { return true }
        return false
    }
}

/// Did-you-mean suggestions by edit distance.
public enum Suggestion {
    /// "; did you mean 'x'?" for a likely typo of one of `candidates`, or nothing.
    public static func hint(_ word: String, _ candidates: [String]) -> String {
        closest(to: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            let limit = max(1, min(3, candidate.count / 3))
            if distance <= limit, best.map({ distance < $0.1 }) ?? true { best = (candidate, distance) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
