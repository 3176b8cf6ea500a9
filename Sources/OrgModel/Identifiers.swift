/// The kinds of identifier in a repository, each with its own pattern (SPEC F1).
///
/// Every id is checked against its pattern before any path is built from it, so an id can never
/// name a file outside its folder.
public enum IdentifierKind: String, Sendable, CaseIterable {
    /// Workspaces, members, provider keys, API keys, organizations and usage writers: `^[a-z0-9][a-z0-9-]{0,62}$`.
    case slug
    /// Ledger event ids: a ULID, 26 characters of Crockford base32 in upper case.
    case ulid
    /// Usage record ids: a ULID or an idempotency key, `^[A-Za-z0-9_-]{1,64}$`.
    case recordID

    /// A short description of the pattern, for messages.
    public var pattern: String {
        switch self {
        case .slug: return "lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters"
        case .ulid: return "a ULID: 26 characters from 0-9 and A-Z without I, L, O and U"
        case .recordID: return "1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
        }
    }

    /// Whether `text` matches this kind's pattern.
    public func matches(_ text: Substring) -> Bool {
        let bytes = text.utf8
        switch self {
        case .slug:
            guard let first = bytes.first, bytes.count <= 63, Self.isLowerAlnum(first) else { return false }
            return bytes.allSatisfy { Self.isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        case .ulid:
            guard bytes.count == 26 else { return false }
            // The first character carries the top bits of a 48-bit time: at most '7'.
            guard let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "7") else { return false }
            return bytes.allSatisfy(Self.isCrockford)
        case .recordID:
            guard (1...64).contains(bytes.count) else { return false }
            return bytes.allSatisfy { Self.isLowerAlnum($0) || ($0 >= 65 && $0 <= 90) || $0 == 95 || $0 == 45 }
        }
    }

    public func matches(_ text: String) -> Bool { matches(text[...]) }

    /// Why `text` is not an id of this kind, naming the first character that is not allowed with its code
    /// point, so that a look-alike (a Cyrillic 'а', a fullwidth 'ａ', a trailing space) shows; nil when it is one.
    public func whyNot(_ text: String) -> String? {
        guard !matches(text) else { return nil }
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return "it is empty" }
        func allowed(_ scalar: Unicode.Scalar, at position: Int) -> Bool {
            guard let byte = UInt8(exactly: scalar.value), scalar.isASCII else { return false }
            switch self {
            case .slug: return Self.isLowerAlnum(byte) || (position > 0 && byte == UInt8(ascii: "-"))
            case .ulid: return Self.isCrockford(byte) && (position > 0 || byte <= UInt8(ascii: "7"))
            case .recordID: return Self.isLowerAlnum(byte) || (byte >= 65 && byte <= 90) || byte == 95 || byte == 45
            }
        }
        if let position = scalars.indices.first(where: { !allowed(scalars[$0], at: $0) }) {
            let scalar = scalars[position]
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + (scalar.properties.name.map { " " + $0 } ?? "")
            let shown = scalar.isVisible && scalar != " " ? "'\(scalar)' " : ""
            let which = position == 0 ? "its first character" : position == scalars.count - 1 ? "its last character" : "its character \(position + 1)"
            var reason = "\(which) \(shown)(\(code)) is not allowed"
            if self == .slug, scalar.properties.isUppercase { reason += "; ids are lower case" }
            if self == .ulid, scalar.properties.isLowercase { reason += "; a ULID is upper case" }
            return reason
        }
        let longest = self == .recordID ? 64 : 63
        return self == .ulid ? "it has \(scalars.count) characters, not 26" : "it has \(scalars.count) characters, more than \(longest)"
    }

    /// A slug made from free text: lower case, runs of other characters turned into '-'.
    public static func slug(from text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out += "-"
            }
        }
        out = String(out.prefix(63))
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 122)
    }

    static func isCrockford(_ byte: UInt8) -> Bool {
        if byte >= 48 && byte <= 57 { return true }
        guard byte >= 65 && byte <= 90 else { return false }
        return byte != 73 && byte != 76 && byte != 79 && byte != 85 // I L O U
    }
}

extension String {
    /// The text cut to its first 64 characters, then '…', for quoting a value from a file in a message
    /// without echoing a whole file.
    public var excerpt: String {
        guard count > 64 else { return self }
        return String(prefix(64)) + "…"
    }

    /// The text with control characters (newlines, escapes) written as `\u{1B}`, so repository text shown
    /// on a terminal or in a comment cannot forge lines or colors.
    public var printable: String { escaping { $0.properties.generalCategory == .control } }

    /// The text with every character a reader cannot see written as `\u{200B}`: control and format characters
    /// (zero-width spaces, direction overrides, byte-order marks) and spaces other than ' '. For quoting a key
    /// or an id from a file in a message, where an invisible difference is the whole problem.
    public var visible: String { escaping { !$0.isVisible } }

    private func escaping(_ hidden: (Unicode.Scalar) -> Bool) -> String {
        guard unicodeScalars.contains(where: hidden) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if hidden(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Unicode.Scalar {
    /// Whether the character shows as itself: not a control or format character, and not a space other than ' '.
    var isVisible: Bool {
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return false
        case .spaceSeparator: return self == " "
        default: return true
        }
    }
}
