import Crypto

/// Workspace API key secrets (R15): made from the system's CSPRNG, shown once, and stored only as a prefix
/// and a SHA-256 hash.
public enum APIKeySecret {
    /// The number of random base62 characters after `osk_`: about 238 bits.
    public static let randomLength = 40
    /// How many characters after `osk_` the stored prefix keeps, so people can tell keys apart.
    static let prefixLength = 6

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new secret: `osk_` and `randomLength` base62 characters, each drawn uniformly from the system's CSPRNG.
    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        return generate(using: &random)
    }

    /// A secret drawn from `random`; only a seeded generator's test data should use anything but `generate()`.
    public static func generate(using random: inout some RandomNumberGenerator) -> String {
        var characters = Array(APIKey.secretPrefix.utf8)
        while characters.count < APIKey.secretPrefix.utf8.count + randomLength {
            // 62 × 4 = 248: bytes at or above it are dropped, so every character is equally likely.
            let byte = UInt8.random(in: 0...UInt8.max, using: &random)
            if byte < 248 { characters.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// What the repository keeps of `secret`: `sha256:` and the hex digest of its UTF-8 bytes.
    public static func hash(of secret: String) -> String {
        "sha256:" + SHA256.hash(data: Array(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The start of `secret` that is stored beside its hash, such as `osk_7fQ2aZ`.
    public static func prefix(of secret: String) -> String {
        String(secret.prefix(APIKey.secretPrefix.count + prefixLength))
    }

    /// Whether `a` and `b` are equal, in a time that depends only on their lengths.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// A new API key's secret. It prints as redacted, so logging or dumping an `Edit` never shows it; read
/// `value` to hand it to the person who made the key.
public struct SecretText: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "\(APIKey.secretPrefix)… (redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension APIKey {
    /// Whether a key works at `now`.
    public enum Status: String, Sendable {
        case active, expired, revoked
    }

    public func status(at now: Timestamp) -> Status {
        if let revokedAt, revokedAt <= now { return .revoked }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }
}

/// The answer to "whose key is this?" (R15).
public enum KeyVerdict: Equatable, Sendable {
    case valid(workspace: String, key: String)
    /// No live workspace holds a key with this secret.
    case invalid
    case expired(workspace: String, key: String, at: Timestamp)
    case revoked(workspace: String, key: String, at: Timestamp)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

/// Every live workspace's API keys by their hash, for answering "whose key is this?" in constant time (R15).
///
/// A lookup hashes the secret and finds the key by its SHA-256 digest: the time it takes does not depend on
/// how many keys there are, and since a digest cannot be chosen, it tells nothing about which keys exist.
public struct KeyIndex: Sendable {
    private var keys: [String: (workspace: String, key: APIKey)] = [:]

    public init(_ org: Organization) {
        for workspace in org.workspaces where !workspace.isDeleted {
            for key in workspace.keys { keys[key.hash] = (workspace.id, key) }
        }
    }

    /// Which workspace `secret` belongs to at `now`.
    public func verify(secret: String, at now: Timestamp) -> KeyVerdict {
        let hash = APIKeySecret.hash(of: secret)
        guard let (workspace, key) = keys[hash], APIKeySecret.constantTimeEquals(key.hash, hash) else { return .invalid }
        switch key.status(at: now) {
        case .revoked: return .revoked(workspace: workspace, key: key.id, at: key.revokedAt ?? now)
        case .expired: return .expired(workspace: workspace, key: key.id, at: key.expiresAt ?? now)
        case .active: return .valid(workspace: workspace, key: key.id)
        }
    }
}

extension Organization {
    /// Which workspace `secret` belongs to at `now`.
    public func verify(secret: String, at now: Timestamp) -> KeyVerdict {
        KeyIndex(self).verify(secret: secret, at: now)
    }
}
