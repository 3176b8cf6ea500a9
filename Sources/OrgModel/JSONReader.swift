/// A strict JSON (RFC 8259) reader that records the line and column of every value.
///
/// Numbers are kept as their exact text; duplicate keys are refused, and so are nesting beyond
/// `ParseLimits.maxDepth` and more than `ParseLimits.maxValues` values (keys included).
struct JSONReader {
    private let bytes: [UInt8]
    private let path: String
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var lineOffset: Int
    private var values = 0

    /// - Parameter firstLine: the line number of the text's first line, for JSON Lines files.
    init(text: String, path: String, firstLine: Int = 1) {
        self.bytes = Array(text.utf8)
        self.path = path
        self.lineOffset = firstLine - 1
    }

    private struct Failure: Error { let diagnostic: Diagnostic }

    mutating func parseDocument() -> Result<SourceNode, Diagnostic> {
        do throws(Failure) {
            skipWhitespace()
            let value = try parseValue(depth: 0)
            skipWhitespace()
            guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
            return .success(value)
        } catch {
            return .failure(error.diagnostic)
        }
    }

    private var scannedIndex = 0
    private var scannedColumn = 1

    /// The 1-based column at `index`, counting Unicode scalars: bytes that are not UTF-8 continuation bytes.
    /// It advances from the last position asked for, so a long line is scanned once.
    private mutating func currentColumn() -> Int {
        if scannedIndex < lineStart || scannedIndex > index {
            scannedIndex = lineStart
            scannedColumn = 1
        }
        while scannedIndex < index {
            if bytes[scannedIndex] & 0xC0 != 0x80 { scannedColumn += 1 }
            scannedIndex += 1
        }
        return scannedColumn
    }

    private mutating func fail(_ message: String) -> Failure {
        Failure(diagnostic: .error(.syntax, "malformed JSON: \(message)", at: here()))
    }

    private mutating func here() -> SourceLocation {
        SourceLocation(path: path, line: line + lineOffset, column: currentColumn())
    }

    /// Counts one more value (or key), refusing the one past `ParseLimits.maxValues`.
    private mutating func count() throws(Failure) {
        values += 1
        guard values <= ParseLimits.maxValues else { throw Failure(diagnostic: ParseLimits.tooManyValues(at: here())) }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> SourceNode {
        guard index < bytes.count else { throw fail("unexpected end of file; a value is missing") }
        let startLine = line + lineOffset
        let startColumn = currentColumn()
        func node(_ kind: SourceNode.Kind) -> SourceNode { SourceNode(kind, line: startLine, column: startColumn) }
        try count()
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < ParseLimits.maxDepth else { throw Failure(diagnostic: ParseLimits.nestedTooDeep(at: here())) }
            index += 1
            var entries: [SourceEntry] = []
            var seen = Set<String>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return node(.mapping(entries))
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let keyLine = line + lineOffset
                let keyColumn = currentColumn()
                try count()
                let key = try parseString()
                guard seen.insert(key).inserted else {
                    throw Failure(diagnostic: .error(.syntax, "duplicate key '\(key)' in one object; keep one of them",
                                                     at: SourceLocation(path: path, line: keyLine, column: keyColumn)))
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after the key") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                entries.append(SourceEntry(key: key, keyLine: keyLine, keyColumn: keyColumn, value: value))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of file inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: "}") { throw fail("a comma before '}' ends nothing; remove the trailing comma") }
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw fail("expected ',' or '}'")
            }
            return node(.mapping(entries))
        case UInt8(ascii: "["):
            guard depth < ParseLimits.maxDepth else { throw Failure(diagnostic: ParseLimits.nestedTooDeep(at: here())) }
            index += 1
            var items: [SourceNode] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return node(.sequence(items))
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of file inside a list") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw fail("a comma before ']' ends nothing; remove the trailing comma") }
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                throw fail("expected ',' or ']'")
            }
            return node(.sequence(items))
        case UInt8(ascii: "\""):
            return node(.scalar(try parseString(), quoted: true))
        case UInt8(ascii: "t"):
            try literal("true")
            return node(.scalar("true", quoted: false))
        case UInt8(ascii: "f"):
            try literal("false")
            return node(.scalar("false", quoted: false))
        case UInt8(ascii: "n"):
            try literal("null")
            return node(.null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return node(.scalar(try parseNumber(), quoted: false))
        default:
            if bytes[index...].starts(with: [0xEF, 0xBB, 0xBF]) { throw fail("a byte-order mark (U+FEFF) is allowed only at the start of the file; remove this one") }
            throw fail("unexpected character; expected a value")
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw fail("unexpected word; expected \(word)")
        }
        index += expected.count
    }

    private mutating func parseNumber() throws(Failure) -> String {
        let start = index
        func digit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, digit(bytes[index]) else { throw fail("a number needs digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, digit(bytes[index]) else { throw fail("digits must follow the decimal point") }
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, digit(bytes[index]) else { throw fail("digits must follow the exponent") }
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1 // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flush(_ upTo: Int, into scalars: inout String.UnicodeScalarView) {
            if upTo > runStart {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<upTo], as: UTF8.self).unicodeScalars)
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index, into: &scalars)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw fail("control characters must be escaped inside strings") }
            if byte == UInt8(ascii: "\\") {
                flush(index, into: &scalars)
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("a high surrogate must be followed by a low surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    scalars.append(scalar)
                default:
                    throw fail("unknown escape sequence")
                }
                runStart = index
                continue
            }
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw fail("\\u needs four hex digits")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}
