/// Finds plaintext secrets in file contents: orgsync API keys, common provider key shapes and private-key blocks.
///
/// The repository stores a hash and a short prefix of each API key, and references for provider keys, so
/// any of these shapes in a file is a leak.
public enum SecretScanner {
    /// One secret found in a file.
    public struct Finding: Equatable, Sendable {
        public var kind: String
        public var line: Int
        public var column: Int
    }

    private struct Shape: Sendable {
        let prefix: [UInt8]
        let kind: String
        /// How many characters of `alphabet` must follow the prefix for it to be a secret.
        let minimumBody: Int
        let alphabet: @Sendable (UInt8) -> Bool
    }

    private static func isBase62(_ byte: UInt8) -> Bool { Base62.contains(byte) }
    private static func isTokenCharacter(_ byte: UInt8) -> Bool { Base62.contains(byte) || byte == 45 || byte == 95 }
    private static func isUpperAlnum(_ byte: UInt8) -> Bool { (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) }

    private static let shapes: [Shape] = [
        Shape(prefix: Array("osk_".utf8), kind: "an orgsync API key", minimumBody: 32, alphabet: isBase62),
        Shape(prefix: Array("sk-".utf8), kind: "a provider API key (sk-…)", minimumBody: 20, alphabet: isTokenCharacter),
        Shape(prefix: Array("AKIA".utf8), kind: "an AWS access key id", minimumBody: 16, alphabet: isUpperAlnum),
        Shape(prefix: Array("ASIA".utf8), kind: "an AWS temporary access key id", minimumBody: 16, alphabet: isUpperAlnum),
        Shape(prefix: Array("sk_live_".utf8), kind: "a Stripe secret key", minimumBody: 24, alphabet: isBase62),
        Shape(prefix: Array("rk_live_".utf8), kind: "a Stripe restricted key", minimumBody: 24, alphabet: isBase62),
        Shape(prefix: Array("ghp_".utf8), kind: "a GitHub token", minimumBody: 36, alphabet: isBase62),
        Shape(prefix: Array("gho_".utf8), kind: "a GitHub token", minimumBody: 36, alphabet: isBase62),
        Shape(prefix: Array("ghu_".utf8), kind: "a GitHub token", minimumBody: 36, alphabet: isBase62),
        Shape(prefix: Array("ghs_".utf8), kind: "a GitHub token", minimumBody: 36, alphabet: isBase62),
        Shape(prefix: Array("ghr_".utf8), kind: "a GitHub token", minimumBody: 36, alphabet: isBase62),
        Shape(prefix: Array("github_pat_".utf8), kind: "a GitHub token", minimumBody: 22, alphabet: isTokenCharacter),
        Shape(prefix: Array("glpat-".utf8), kind: "a GitLab token", minimumBody: 20, alphabet: isTokenCharacter),
        Shape(prefix: Array("AIza".utf8), kind: "a Google API key", minimumBody: 35, alphabet: isTokenCharacter),
        Shape(prefix: Array("hf_".utf8), kind: "a Hugging Face token", minimumBody: 30, alphabet: isBase62),
        Shape(prefix: Array("gsk_".utf8), kind: "a Groq API key", minimumBody: 40, alphabet: isBase62),
        Shape(prefix: Array("xai-".utf8), kind: "an xAI API key", minimumBody: 40, alphabet: isBase62),
        Shape(prefix: Array("pplx-".utf8), kind: "a Perplexity API key", minimumBody: 40, alphabet: isBase62),
        Shape(prefix: Array("r8_".utf8), kind: "a Replicate API token", minimumBody: 30, alphabet: isBase62),
        Shape(prefix: Array("xoxb-".utf8), kind: "a Slack token", minimumBody: 10, alphabet: isTokenCharacter),
        Shape(prefix: Array("xoxp-".utf8), kind: "a Slack token", minimumBody: 10, alphabet: isTokenCharacter),
        Shape(prefix: Array("-----BEGIN ".utf8), kind: "a private key block", minimumBody: 0, alphabet: { _ in true }),
    ]

    /// Whether a byte is the first of some shape's prefix.
    private static let startsShape: [Bool] = (0...255).map { byte in shapes.contains { $0.prefix.first == UInt8(byte) } }

    /// Every secret in `bytes`, with its 1-based line and column.
    public static func scan(_ bytes: [UInt8]) -> [Finding] {
        var findings: [Finding] = []
        var line = 1
        var index = 0
        // The column of `columnIndex`, advanced only as findings need it, so the scan stays linear.
        var columnIndex = 0
        var column = 1
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                index += 1
                columnIndex = index
                column = 1
                continue
            }
            // A secret starts at a word boundary.
            if index > 0, isTokenCharacter(bytes[index - 1]) {
                index += 1
                continue
            }
            // Most bytes cannot start any shape.
            guard startsShape[Int(byte)] else {
                index += 1
                continue
            }
            var matched = false
            for shape in shapes where shape.prefix.first == byte && count - index >= shape.prefix.count {
                guard bytes[index..<(index + shape.prefix.count)].elementsEqual(shape.prefix) else { continue }
                var end = index + shape.prefix.count
                if shape.minimumBody == 0 {
                    // "-----BEGIN … PRIVATE KEY-----": the header is short, so look only a little way ahead.
                    var headerEnd = end
                    while headerEnd < min(count, end + 64), bytes[headerEnd] != 0x0A { headerEnd += 1 }
                    guard String(decoding: bytes[end..<headerEnd], as: UTF8.self).contains("PRIVATE KEY-----") else { continue }
                } else {
                    while end < count, shape.alphabet(bytes[end]) { end += 1 }
                    guard end - index - shape.prefix.count >= shape.minimumBody else { continue }
                }
                while columnIndex < index {
                    if bytes[columnIndex] & 0xC0 != 0x80 { column += 1 }
                    columnIndex += 1
                }
                findings.append(Finding(kind: shape.kind, line: line, column: column))
                index = end
                matched = true
                break
            }
            if !matched { index += 1 }
        }
        return findings
    }
}
