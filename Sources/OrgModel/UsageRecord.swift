/// The tools usage is tracked by (R12).
public enum Tool: String, Hashable, Sendable, CaseIterable {
    case chat, image, video, audio, speech
}

/// One usage record: credits a member spent with a tool in a workspace (R12).
///
/// Records live in `usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl`, one JSON object per line, so
/// that concurrent writers (gateway instances, admins) never append to the same file (F6).
public struct UsageRecord: Hashable, Sendable {
    public var id: String
    public var at: Timestamp
    /// The workspace, taken from the file's folder.
    public var workspace: String
    public var member: String
    public var tool: Tool
    public var credits: Credits
    public var model: String?
    public var tokens: Int?
    /// The provider's cost, in the provider's currency, as exact decimal text.
    public var cost: String?
    /// The file and line of the record.
    public var location: SourceLocation
    /// The column of the record's `credits` value on its line.
    var creditsColumn: Int32 = 1

    /// Where the record's `credits` value is written.
    public var creditsLocation: SourceLocation {
        SourceLocation(path: location.path, line: location.line, column: Int(creditsColumn))
    }

    public init(id: String, at: Timestamp, workspace: String, member: String, tool: Tool, credits: Credits,
                model: String? = nil, tokens: Int? = nil, cost: String? = nil, location: SourceLocation) {
        self.id = id
        self.at = at
        self.workspace = workspace
        self.member = member
        self.tool = tool
        self.credits = credits
        self.model = model
        self.tokens = tokens
        self.cost = cost
        self.location = location
    }

    static let keys = ["id", "at", "member", "tool", "credits", "model", "tokens", "cost"]

    /// The canonical JSON line of the record, without the newline. Keys in a fixed order; credits as a number.
    public var jsonLine: String {
        var out = "{\"id\":"
        JSONValue.writeString(id, to: &out)
        out += ",\"at\":\"\(at)\",\"member\":"
        JSONValue.writeString(member, to: &out)
        out += ",\"tool\":\"\(tool.rawValue)\",\"credits\":\(credits)"
        if let model {
            out += ",\"model\":"
            JSONValue.writeString(model, to: &out)
        }
        if let tokens { out += ",\"tokens\":\(tokens)" }
        if let cost { out += ",\"cost\":\(cost)" }
        return out + "}"
    }
}

/// A parsed usage file path: `usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl`.
public struct UsageFilePath: Hashable, Sendable {
    public var workspace: String
    public var year: Int
    public var month: Int
    public var day: Int
    public var writer: String

    public init(workspace: String, year: Int, month: Int, day: Int, writer: String) {
        self.workspace = workspace
        self.year = year
        self.month = month
        self.day = day
        self.writer = writer
    }

    /// Parses a path, or returns nil when it does not follow the layout.
    public init?(_ path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "usage", IdentifierKind.slug.matches(parts[1]),
              parts[2].count == 4, let year = Int(parts[2]), parts[3].count == 2, let month = Int(parts[3]),
              (1...12).contains(month), parts[4].hasSuffix(".jsonl") else { return nil }
        let stem = parts[4].dropLast(6)
        guard stem.count >= 4, stem[stem.index(stem.startIndex, offsetBy: 2)] == "-",
              let day = Int(stem.prefix(2)), stem.prefix(2).allSatisfy(\.isASCII),
              (1...Timestamp.daysIn(month: month, year: year)).contains(day) else { return nil }
        let writer = stem.dropFirst(3)
        guard IdentifierKind.slug.matches(writer) else { return nil }
        self.init(workspace: String(parts[1]), year: year, month: month, day: day, writer: String(writer))
        // One spelling per day and writer: "+1" parses as a number, but is not the folder "01".
        guard self.path == path else { return nil }
    }

    public var path: String {
        "usage/\(workspace)/\(year)/\(twoDigits(month))/\(twoDigits(day))-\(writer).jsonl"
    }
}

extension UsageRecord {
    /// Decodes every line of a usage file. Blank lines are skipped; each bad line gives its own diagnostics.
    static func decodeFile(_ bytes: [UInt8], file: UsageFilePath, path: String) -> (records: [UsageRecord], diagnostics: [Diagnostic]) {
        guard bytes.count <= ParseLimits.maxFileBytes else {
            return ([], [ParseLimits.fileTooLarge(bytes.count, at: path, advice: "start a new file for the day's writer")])
        }
        return decodeLines(bytes, path: path, origin: .file(file))
    }

    /// Decodes JSON Lines: one record per line, blank lines skipped, each bad line with its own diagnostics.
    static func decodeLines(_ bytes: [UInt8], path: String, origin: Origin) -> (records: [UsageRecord], diagnostics: [Diagnostic]) {
        var records: [UsageRecord] = []
        var diagnostics: [Diagnostic] = []
        var interned = UsageLineScanner.Interned()
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var line = bytes[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            defer { start = end + 1 }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if case .file(let file) = origin,
               let record = UsageLineScanner.record(line, file: file, path: path, line: lineNumber, interning: &interned) {
                records.append(record)
                continue
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                diagnostics.append(.error(.syntax, "line is not valid UTF-8", at: SourceLocation(path: path, line: lineNumber, column: 1)))
                continue
            }
            var reader = JSONReader(text: text, path: path, firstLine: lineNumber)
            switch reader.parseDocument() {
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
            case .success(let node):
                let decoder = FileDecoder(path: path)
                if let record = decode(node, origin: origin, line: lineNumber, decoder) { records.append(record) }
                diagnostics.append(contentsOf: decoder.diagnostics)
            }
        }
        return (records, diagnostics)
    }

    /// Where a record is read from: a usage file, whose path names its workspace and day, or a file to
    /// import, whose records name their workspace (U2).
    enum Origin {
        case file(UsageFilePath)
        case importFile
    }

    static func decode(_ node: SourceNode, origin: Origin, line: Int, _ d: FileDecoder) -> UsageRecord? {
        var allowed = keys, required = ["id", "at", "member", "tool", "credits"]
        if case .importFile = origin {
            allowed.insert("workspace", at: 2)
            required.insert("workspace", at: 2)
        }
        guard let fields = d.mapping(node, field: "", what: "a usage record", allowed: allowed, required: required) else { return nil }
        var workspace: String?
        switch origin {
        case .file(let file): workspace = file.workspace
        case .importFile: workspace = d.identifier(fields["workspace"], field: "workspace", what: "workspace", kind: .slug)
        }
        let id = d.identifier(fields["id"], field: "id", what: "record id", kind: .recordID)
        let at = d.timestamp(fields["at"], field: "at", what: "at")
        let member = d.identifier(fields["member"], field: "member", what: "member", kind: .slug)
        let tool = d.choice(fields["tool"], field: "tool", what: "tool", as: Tool.self)
        let credits = d.credits(fields["credits"], field: "credits", what: "usage credits", allowZero: true)
        let model = d.optionalString(fields["model"], field: "model", what: "model")
        let tokens = fields["tokens"].flatMap { $0.isNull ? nil : d.integer($0, field: "tokens", what: "tokens", range: 0...Int(Int32.max)) }
        var cost: String?
        if let costNode = fields["cost"], !costNode.isNull {
            if case .scalar(let text, _) = costNode.kind, UsageRecord.isCost(text) {
                cost = text
            } else {
                d.error(.schema, "cost must be a non-negative decimal such as 0.0125, with at most 10 fractional digits", at: costNode)
            }
        }
        if case .file(let file) = origin, let at, let atNode = fields["at"] {
            let (year, month, day) = at.date
            if (year, month, day) != (file.year, file.month, file.day) {
                d.error(.f(6), "record at \(at) is in the file for \(file.year)-\(twoDigits(file.month))-\(twoDigits(file.day)); move it to the file of its own day",
                        at: atNode)
            }
        }
        guard let id, let at, let workspace, let member, let tool, let credits else { return nil }
        var record = UsageRecord(id: id, at: at, workspace: workspace, member: member, tool: tool, credits: credits,
                                 model: model, tokens: tokens, cost: cost, location: SourceLocation(path: d.path, line: line, column: 1))
        record.creditsColumn = Int32(clamping: fields["credits"]?.column ?? 1)
        return record
    }

    /// Whether `text` is a provider cost: a non-negative decimal with at most 10 fractional digits.
    public static func isCost(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber),
              !(whole.count > 1 && whole.hasPrefix("0")) else { return false }
        if parts.count == 2 {
            return (1...10).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber }
        }
        return true
    }
}

/// The fast path for the lines orgsync itself writes (`UsageRecord.jsonLine`): a flat JSON object in ASCII,
/// with no whitespace or escapes, read straight from its bytes.
///
/// It either returns exactly the record the general reader would decode without a single diagnostic, or nil,
/// and then the general reader (JSONReader, then the decoder) reads the line and reports what is wrong. So it
/// accepts only what is certainly valid: strings for text fields, numbers for amounts, each key once.
enum UsageLineScanner {
    /// Strings that repeat from line to line in one file (members, models), kept once.
    struct Interned {
        var strings: [String] = []

        mutating func string(_ bytes: ArraySlice<UInt8>) -> String {
            for string in strings where string.utf8.elementsEqual(bytes) { return string }
            let string = String(decoding: bytes, as: UTF8.self)
            if strings.count < 16 { strings.append(string) }
            return string
        }
    }

    private enum Key: Int, CaseIterable {
        case id, at, member, tool, credits, model, tokens, cost

        init?(_ bytes: ArraySlice<UInt8>) {
            guard let key = Key.allCases.first(where: { Key.names[$0.rawValue].elementsEqual(bytes) }) else { return nil }
            self = key
        }

        static let names = UsageRecord.keys.map { Array($0.utf8) }
    }

    static func record(_ line: ArraySlice<UInt8>, file: UsageFilePath, path: String, line number: Int,
                       interning interned: inout Interned) -> UsageRecord? {
        guard line.first == UInt8(ascii: "{"), line.last == UInt8(ascii: "}") else { return nil }
        var values = [ArraySlice<UInt8>?](repeating: nil, count: Key.allCases.count)
        var quoted = [Bool](repeating: false, count: Key.allCases.count)
        var creditsColumn = 0
        var index = line.startIndex + 1
        let end = line.endIndex - 1
        guard index < end else { return nil }
        while true {
            // "key":
            guard line[index] == UInt8(ascii: "\""), let keyEnd = line[(index + 1)..<end].firstIndex(of: UInt8(ascii: "\"")),
                  let key = Key(line[(index + 1)..<keyEnd]), values[key.rawValue] == nil,
                  keyEnd + 1 < end, line[keyEnd + 1] == UInt8(ascii: ":") else { return nil }
            index = keyEnd + 2
            guard index < end else { return nil }
            let valueStart = index
            if line[index] == UInt8(ascii: "\"") {
                // A string without escapes or control characters.
                guard let close = line[(index + 1)..<end].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                let text = line[(index + 1)..<close]
                guard !text.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 >= 0x80 }) else { return nil }
                values[key.rawValue] = text
                quoted[key.rawValue] = true
                index = close + 1
            } else {
                // A number: digits, '-' and '.'; exponents and everything else go to the general reader.
                while index < end, line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: ".") ||
                    (line[index] >= UInt8(ascii: "0") && line[index] <= UInt8(ascii: "9")) { index += 1 }
                guard index > valueStart else { return nil }
                values[key.rawValue] = line[valueStart..<index]
            }
            if key == .credits { creditsColumn = valueStart - line.startIndex + 1 }
            if index == end { break }
            guard line[index] == UInt8(ascii: ","), index + 1 < end else { return nil }
            index += 1
        }
        guard let idBytes = values[Key.id.rawValue], quoted[Key.id.rawValue],
              let atBytes = values[Key.at.rawValue], quoted[Key.at.rawValue],
              let memberBytes = values[Key.member.rawValue], quoted[Key.member.rawValue],
              let toolBytes = values[Key.tool.rawValue], quoted[Key.tool.rawValue],
              let creditsBytes = values[Key.credits.rawValue], !quoted[Key.credits.rawValue] else { return nil }
        let id = String(decoding: idBytes, as: UTF8.self)
        let member = interned.string(memberBytes)
        guard IdentifierKind.recordID.matches(id), IdentifierKind.slug.matches(member),
              let tool = Tool(rawValue: String(decoding: toolBytes, as: UTF8.self)),
              let at = try? Timestamp(parsing: String(decoding: atBytes, as: UTF8.self)),
              let credits = try? Credits(parsing: String(decoding: creditsBytes, as: UTF8.self)), !credits.isNegative else { return nil }
        let (year, month, day) = at.date
        guard (year, month, day) == (file.year, file.month, file.day) else { return nil }
        var model: String?
        if let bytes = values[Key.model.rawValue] {
            guard quoted[Key.model.rawValue], bytes.contains(where: { $0 != UInt8(ascii: " ") }) else { return nil }
            model = interned.string(bytes)
        }
        var tokens: Int?
        if let bytes = values[Key.tokens.rawValue] {
            let text = String(decoding: bytes, as: UTF8.self)
            guard !quoted[Key.tokens.rawValue], let value = Int(text), (0...Int(Int32.max)).contains(value), text == String(value) else { return nil }
            tokens = value
        }
        var cost: String?
        if let bytes = values[Key.cost.rawValue] {
            let text = String(decoding: bytes, as: UTF8.self)
            guard !quoted[Key.cost.rawValue], UsageRecord.isCost(text) else { return nil }
            cost = text
        }
        var record = UsageRecord(id: id, at: at, workspace: file.workspace, member: member, tool: tool, credits: credits,
                                 model: model, tokens: tokens, cost: cost, location: SourceLocation(path: path, line: number, column: 1))
        record.creditsColumn = Int32(clamping: creditsColumn)
        return record
    }
}
