import Crypto

/// An OpenSSH `ssh-ed25519` public key line, as members list them in `signingKeys`.
public struct SSHPublicKey: Sendable, Equatable {
    /// The key in SSH wire format: string "ssh-ed25519", then string of the 32 key bytes.
    public var blob: [UInt8]

    static let type = Array("ssh-ed25519".utf8)

    /// The key of `line` (`ssh-ed25519 AAAA… comment`), or nil when it is not one.
    public init?(line: String) {
        guard case .success(let blob) = SSHPublicKey.parse(line) else { return nil }
        self.blob = blob
    }

    init?(blob: [UInt8]) {
        guard SSHPublicKey.isEd25519(blob) else { return nil }
        self.blob = blob
    }

    /// The 32 bytes of the ed25519 key.
    var raw: [UInt8] { Array(blob.suffix(32)) }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        "SHA256:" + Base64.encode(Array(SHA256.hash(data: blob))).prefix { $0 != "=" }
    }

    /// Why `line` is not an ssh-ed25519 public key, or nil if it is one.
    static func problem(with line: String) -> String? {
        guard case .failure(let problem) = parse(line) else { return nil }
        return problem.text
    }

    private struct Problem: Error { let text: String }

    private static func parse(_ line: String) -> Result<[UInt8], Problem> {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0] == "ssh-ed25519" else { return .failure(Problem(text: "is not an ssh-ed25519 public key")) }
        guard let blob = Base64.decode(parts[1]) else { return .failure(Problem(text: "is not valid base64")) }
        guard isEd25519(blob) else { return .failure(Problem(text: "does not hold a 32-byte ed25519 key")) }
        return .success(blob)
    }

    private static func isEd25519(_ blob: [UInt8]) -> Bool {
        var reader = SSHWireReader(blob)
        return reader.string() == type && reader.string()?.count == 32 && reader.isAtEnd
    }
}

/// An SSH signature (`-----BEGIN SSH SIGNATURE-----`, the SSHSIG format of OpenSSH's PROTOCOL.sshsig), as
/// `git commit -S` writes it into a commit's `gpgsig` header with `gpg.format ssh`. Only ssh-ed25519 keys.
public struct SSHSignature: Sendable {
    /// The key that made the signature.
    public var key: SSHPublicKey
    /// What the signature is for; git signs commits in the `git` namespace.
    public var namespace: String
    var hashAlgorithm: String
    var signature: [UInt8]

    static let begin = "-----BEGIN SSH SIGNATURE-----"
    static let end = "-----END SSH SIGNATURE-----"
    private static let magic = Array("SSHSIG".utf8)

    /// Reads an armored signature. The error says why it is not one orgsync can check.
    public init(armored bytes: [UInt8]) throws(SSHSignatureError) {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingSpaces }
        guard let first = lines.first(where: { !$0.isEmpty }) else { throw .notSSH("the signature is empty") }
        guard first == Self.begin else {
            throw .notSSH(first.hasPrefix("-----BEGIN PGP") ? "it is an OpenPGP (gpg) signature, not an SSH one" : "it is not an SSH signature")
        }
        guard let endIndex = lines.firstIndex(of: Self.end), let beginIndex = lines.firstIndex(of: Self.begin), beginIndex < endIndex,
              let blob = Base64.decode(Substring(lines[(beginIndex + 1)..<endIndex].joined())) else {
            throw .malformed("its armor or base64 is damaged")
        }
        var reader = SSHWireReader(blob)
        guard reader.bytes(6) == Self.magic, reader.uint32() == 1 else { throw .malformed("it is not SSHSIG version 1") }
        guard let keyBlob = reader.string(), let namespace = reader.string(), reader.string() != nil,
              let hash = reader.string(), let wrapped = reader.string(), reader.isAtEnd else {
            throw .malformed("its fields are truncated")
        }
        guard let key = SSHPublicKey(blob: keyBlob) else { throw .unsupported("only ssh-ed25519 keys are accepted") }
        var inner = SSHWireReader(wrapped)
        guard inner.string() == SSHPublicKey.type, let raw = inner.string(), raw.count == 64, inner.isAtEnd else {
            throw .malformed("its ed25519 signature is not 64 bytes")
        }
        guard hash == Array("sha512".utf8) || hash == Array("sha256".utf8) else { throw .unsupported("its hash is neither sha256 nor sha512") }
        self.key = key
        self.namespace = String(decoding: namespace, as: UTF8.self)
        self.hashAlgorithm = String(decoding: hash, as: UTF8.self)
        self.signature = raw
    }

    /// Whether the signature is `key`'s, over `message`, in `namespace` (PROTOCOL.sshsig's signed data).
    public func verifies(_ message: [UInt8], namespace expected: String = "git") -> Bool {
        guard namespace == expected, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.raw) else { return false }
        let digest: [UInt8] = hashAlgorithm == "sha512" ? Array(SHA512.hash(data: message)) : Array(SHA256.hash(data: message))
        var signed = Self.magic
        for field in [Array(namespace.utf8), [], Array(hashAlgorithm.utf8), digest] {
            SSHWireReader.appendString(field, to: &signed)
        }
        return publicKey.isValidSignature(signature, for: signed)
    }
}

/// A commit's signature, read from the raw commit object the way git reads it (`parse_buffer_signed_by_header`):
/// the `gpgsig` header and its continuation lines are the signature; every other byte of the object, except
/// other `gpgsig…` headers, is what was signed. Only the header is searched, never the message.
public enum CommitSignature: Sendable, Equatable {
    case unsigned
    case signed(signature: [UInt8], signedData: [UInt8])
    /// A commit object orgsync will not judge: a NUL byte, or more than one `gpgsig` header.
    case malformed(String)

    public init(commitObject raw: [UInt8]) {
        guard !raw.contains(0) else {
            self = .malformed("the commit object holds a NUL byte, which git and libgit2 read differently")
            return
        }
        let header = Array("gpgsig ".utf8)
        var signature: [UInt8] = []
        var signedData: [UInt8] = []
        signedData.reserveCapacity(raw.count)
        var headers = 0
        var inSignature = false
        var otherSignature = false
        var index = 0
        while index < raw.count {
            let next = raw[index...].firstIndex(of: 0x0A).map { $0 + 1 } ?? raw.count
            let line = raw[index..<next]
            if line.first == 0x0A {
                // The blank line ends the header: the message is signed as it is.
                signedData += raw[index...]
                break
            }
            if inSignature, line.first == 0x20 {
                signature += line.dropFirst()
            } else if line.starts(with: header) {
                headers += 1
                inSignature = true
                otherSignature = false
                signature += line.dropFirst(header.count)
            } else {
                inSignature = false
                if line.starts(with: "gpgsig".utf8) {
                    otherSignature = true
                } else if otherSignature, line.first != 0x20 {
                    otherSignature = false
                }
                if !otherSignature { signedData += line }
            }
            index = next
        }
        switch headers {
        case 0: self = .unsigned
        case 1: self = .signed(signature: signature, signedData: signedData)
        default: self = .malformed("the commit has \(headers) gpgsig headers; a signed commit has one")
        }
    }
}

/// Why a signature cannot be checked.
public enum SSHSignatureError: Error, Equatable, Sendable {
    case notSSH(String)
    case malformed(String)
    case unsupported(String)

    public var reason: String {
        switch self {
        case .notSSH(let text), .malformed(let text), .unsupported(let text): return text
        }
    }
}

/// Reads SSH wire format: big-endian uint32 lengths before byte strings.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func uint32() -> UInt32? {
        bytes(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    mutating func string() -> [UInt8]? {
        guard let length = uint32(), length <= UInt32(Int32.max) else { return nil }
        return bytes(Int(length))
    }

    static func appendString(_ field: [UInt8], to out: inout [UInt8]) {
        let count = UInt32(truncatingIfNeeded: field.count)
        out += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        out += field
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// Standard base64 with padding, without Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var chunk: UInt32 = 0
            for offset in 0..<3 { chunk = chunk << 8 | UInt32(offset < count ? bytes[index + offset] : 0) }
            for offset in 0..<4 {
                out.append(offset <= count ? alphabet[Int(chunk >> (18 - 6 * offset) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0, !bytes.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 4 * 3)
        var index = 0
        while index < bytes.count {
            var chunk: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = bytes[index + offset]
                let value: UInt32
                switch byte {
                case 65...90: value = UInt32(byte - 65)
                case 97...122: value = UInt32(byte - 71)
                case 48...57: value = UInt32(byte + 4)
                case UInt8(ascii: "+"): value = 62
                case UInt8(ascii: "/"): value = 63
                case UInt8(ascii: "="):
                    guard index + 4 == bytes.count, offset >= 2 else { return nil }
                    padding += 1
                    value = 0
                default: return nil
                }
                if padding > 0, byte != UInt8(ascii: "=") { return nil }
                chunk = chunk << 6 | value
            }
            out.append(UInt8(chunk >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(chunk >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(chunk & 0xFF)) }
            index += 4
        }
        return out
    }
}
