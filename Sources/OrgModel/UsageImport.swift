/// Usage records to import (U2), read from JSON Lines or CSV.
///
/// Each record names its workspace, and carries `id`, `at`, `member`, `tool` and `credits`, and optionally
/// `model`, `tokens` and `cost`, checked as the records of usage files are. Diagnostics point at the file
/// to import, by line.
public enum UsageImport {
    public enum Format: String, CaseIterable, Sendable {
        case jsonl, csv

        /// The format a file name's extension names: `.jsonl`, `.ndjson` or `.json` (one object per line), or `.csv`.
        public init?(path: String) {
            let lower = path.lowercased()
            if lower.hasSuffix(".csv") {
                self = .csv
            } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
                self = .jsonl
            } else {
                return nil
            }
        }
    }

    /// The largest file `usage import` reads (256 MiB); split larger logs.
    public static let maxFileBytes = 256 << 20

    /// The records of `bytes`, and a diagnostic for every problem, each at its line of `path`.
    public static func parse(_ bytes: [UInt8], format: Format, path: String) -> (records: [UsageRecord], diagnostics: [Diagnostic]) {
        guard bytes.count <= maxFileBytes else {
            return ([], [ParseLimits.fileTooLarge(bytes.count, limit: maxFileBytes, at: path, advice: "split it into smaller files and import each")])
        }
        switch format {
        case .jsonl: return UsageRecord.decodeLines(bytes, path: path, origin: .importFile)
        case .csv: return parseCSV(bytes, path: path)
        }
    }

    /// Sorts parsed `records` into those `org` does not hold yet and those it already does: an import is
    /// idempotent by record id. The same id with other content, in the file or in the organization, is a
    /// conflict, reported at the record's line.
    public static func newRecords(_ records: [UsageRecord], in org: Organization) -> (new: [UsageRecord], known: Int, conflicts: [Diagnostic]) {
        func content(_ record: UsageRecord) -> String { record.workspace + " " + record.jsonLine }
        var existing: [String: UsageRecord] = [:]
        for record in org.usage { existing[record.id] = record }
        var new: [UsageRecord] = []
        var known = 0
        var conflicts: [Diagnostic] = []
        for record in records {
            guard let other = existing[record.id] else {
                existing[record.id] = record
                new.append(record)
                continue
            }
            if content(other) == content(record) {
                known += 1
            } else {
                conflicts.append(.error(.duplicate, "record id '\(record.id)' is already used by another record, in '\(other.workspace)' at \(other.at); record ids are idempotency keys, so a different record needs a different id",
                                        at: record.location, notes: [.init("the other record", at: other.location)]))
            }
        }
        return (new, known, conflicts)
    }

    /// RFC 4180 CSV with a header row naming the fields, in any order. An empty cell is an absent field.
    private static func parseCSV(_ bytes: [UInt8], path: String) -> (records: [UsageRecord], diagnostics: [Diagnostic]) {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        guard let text = String(validating: body, as: UTF8.self) else {
            return ([], [.error(.syntax, "the file is not valid UTF-8; save it as UTF-8",
                                at: SourceLocation(path: path, line: SourceReader.firstInvalidUTF8Line(body), column: 1))])
        }
        var rows: [(line: Int, cells: [(text: String, column: Int)])] = []
        var diagnostics: [Diagnostic] = []
        var cells: [(text: String, column: Int)] = []
        var cell = ""
        var quoted = false, wasQuoted = false
        var line = 1, column = 1, rowLine = 1, cellColumn = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.last != "\n" { scalars.append("\n") }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if quoted {
                if scalar == "\"" {
                    if index < scalars.count, scalars[index] == "\"" {
                        cell.unicodeScalars.append("\"")
                        index += 1
                        column += 2
                    } else {
                        quoted = false
                        column += 1
                    }
                    continue
                }
                cell.unicodeScalars.append(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
                continue
            }
            switch scalar {
            case "\"" where cell.isEmpty && !wasQuoted:
                quoted = true
                wasQuoted = true
                column += 1
            case ",":
                cells.append((cell, cellColumn))
                cell = ""
                wasQuoted = false
                column += 1
                cellColumn = column
            case "\r" where index < scalars.count && scalars[index] == "\n":
                break
            case "\n", "\r":
                cells.append((cell, cellColumn))
                if !(cells.count == 1 && cells[0].text.isEmpty && !wasQuoted) { rows.append((rowLine, cells)) }
                cells = []
                cell = ""
                wasQuoted = false
                line += 1
                column = 1
                rowLine = line
                cellColumn = 1
            default:
                if wasQuoted {
                    diagnostics.append(.error(.syntax, "text after a closing quote; quote the whole cell and write a quote inside it as \"\"",
                                              at: SourceLocation(path: path, line: line, column: column)))
                    return ([], diagnostics)
                }
                cell.unicodeScalars.append(scalar)
                column += 1
            }
        }
        if quoted {
            return ([], [.error(.syntax, "a quoted cell is not closed", at: SourceLocation(path: path, line: rowLine, column: cellColumn))])
        }
        guard let header = rows.first else { return ([], []) }
        let names = header.cells.map { $0.text.trimmingSpaces }
        var seen: Set<String> = []
        for (position, name) in names.enumerated() where !seen.insert(name).inserted {
            diagnostics.append(.error(.duplicate, "the column '\(name)' appears twice in the header",
                                      at: SourceLocation(path: path, line: header.line, column: header.cells[position].column)))
        }
        let known = UsageRecord.keys + ["workspace"]
        for (position, name) in names.enumerated() where !known.contains(name) {
            diagnostics.append(.error(.f(4), "unknown column '\(name)'\(Suggestion.hint(name, known)); the columns are \(known.joined(separator: ", "))",
                                      at: SourceLocation(path: path, line: header.line, column: header.cells[position].column)))
        }
        guard diagnostics.isEmpty else { return ([], diagnostics) }

        var records: [UsageRecord] = []
        for row in rows.dropFirst() {
            guard row.cells.count == names.count else {
                diagnostics.append(.error(.syntax, "this row has \(row.cells.count) cells, but the header names \(names.count) columns",
                                          at: SourceLocation(path: path, line: row.line, column: 1)))
                continue
            }
            var entries: [SourceEntry] = []
            for (name, cell) in zip(names, row.cells) where !cell.text.isEmpty {
                entries.append(SourceEntry(key: name, keyLine: row.line, keyColumn: cell.column,
                                           value: SourceNode(.scalar(cell.text, quoted: false), line: row.line, column: cell.column)))
            }
            let decoder = FileDecoder(path: path)
            if let record = UsageRecord.decode(SourceNode(.mapping(entries), line: row.line, column: 1), origin: .importFile, line: row.line, decoder) {
                records.append(record)
            }
            diagnostics.append(contentsOf: decoder.diagnostics)
        }
        return (records, diagnostics)
    }
}

private extension String {
    var trimmingSpaces: String {
        String(unicodeScalars.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed().map(Character.init))
    }
}
