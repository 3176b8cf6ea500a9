/// What checking a later state needs to know of a state that passed every state rule without a single
/// diagnostic: the ledger replay's end, the members and workspaces, and the ids of every event and usage
/// record.
///
/// A commit that only appends (new ledger event files, lines added at the end of usage files) can then be
/// checked from its own files alone (`appending`), without reading the organization again: that is what
/// makes a commit hook on a large organization fast. Anything else, and anything doubtful, is left to the
/// full check, which stays the reference: the summary only ever answers "valid, with no diagnostic".
public struct StateSummary: Sendable {
    struct MemberFacts: Sendable, Equatable {
        var id: String
        /// Lowercased, as authors are matched (R11).
        var email: String
        var role: OrgRole
        var removedAt: Timestamp?
        var signingKeys: [String]
    }

    /// The replay's end state.
    public private(set) var replay: LedgerReplay
    /// Sorted by id.
    var members: [MemberFacts]
    /// Every workspace, and when it was deleted (nil while live).
    var workspaces: [String: Timestamp?]
    /// Digests of every event id and usage record id. A new id whose digest is here may be a duplicate, or
    /// share a digest by chance: either way the full check decides.
    var eventIDs: IDDigests
    var usageIDs: IDDigests
    /// Whether `policy.signedCommits` is `required` (T5).
    public private(set) var requiresSignedCommits: Bool

    /// The summary of `report`'s state; nil unless it has no diagnostic at all and a complete replay.
    public init?(_ report: ValidationReport) {
        let org = report.organization
        guard report.diagnostics.isEmpty, org.config != nil, org.unreadable.isEmpty, org.requiresNewerOrgsync == nil,
              let replay = report.replay, replay.failure == nil, replay.warnings.isEmpty, replay.traced == nil,
              !replay.hasPendingDeletions else { return nil }
        self.replay = replay
        self.members = org.members.map {
            MemberFacts(id: $0.id, email: $0.email.lowercased(), role: $0.role, removedAt: $0.removed?.at, signingKeys: $0.signingKeys)
        }
        self.requiresSignedCommits = org.config?.policy.signedCommits == .required
        var workspaces: [String: Timestamp?] = [:]
        for workspace in org.workspaces { workspaces[workspace.id] = .some(workspace.deleted?.at) }
        self.workspaces = workspaces
        self.eventIDs = IDDigests(org.events.lazy.map(\.id))
        self.usageIDs = IDDigests(org.usage.lazy.map(\.id))
    }

    /// A file a commit adds or appends to: `old` is its content in the parent, nil for a new file.
    public struct AppendedFile: Sendable {
        public var path: String
        public var old: [UInt8]?
        public var new: [UInt8]
        public init(path: String, old: [UInt8]?, new: [UInt8]) {
            self.path = path
            self.old = old
            self.new = new
        }
    }

    /// The summary of the state this one becomes when a commit by `author` (an email) adds `files`, when that
    /// commit is valid with no diagnostic at all: its state rules and its transition (T1–T4).
    ///
    /// nil when that is not certain, which is not a verdict: the commit is then checked in full. That is the
    /// case for any file outside `ledger/` and `usage/`, a changed event file, a usage file changed other than
    /// by adding lines at its end, any diagnostic in the new files, a possible duplicate id, an author without
    /// the rights, and any step that does not come after the last one of the replay.
    public func appending(_ files: [AppendedFile], author: String) -> StateSummary? {
        // A commit that changes nothing in the organization leaves a clean state clean.
        guard !files.isEmpty else { return self }
        var snapshot = Snapshot()
        var knownLines: [String: Int] = [:]
        for file in files {
            if file.path.hasPrefix("ledger/") {
                guard file.old == nil else { return nil }
            } else if file.path.hasPrefix("usage/") {
                if let old = file.old {
                    guard old.isEmpty || old.last == UInt8(ascii: "\n"), file.new.count > old.count, file.new.starts(with: old) else { return nil }
                    knownLines[file.path] = old.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                }
            } else {
                return nil
            }
            snapshot[file.path] = file.new
        }
        let (added, loadDiagnostics) = Organization.load(snapshot)
        // Loading the new files alone also finds org.yaml missing: only what is said about them counts.
        guard added.unreadable.isEmpty, !loadDiagnostics.contains(where: { snapshot.entries[$0.location.path] != nil }),
              Validator.secrets(in: snapshot).isEmpty else { return nil }
        let events = added.events
        let records = added.usage.filter { $0.location.line > knownLines[$0.location.path] ?? 0 }
        // A file that adds nothing (an empty usage file) is a change of its own, which the full check weighs.
        let represented = Set(events.map(\.source.path) + records.map(\.location.path))
        guard files.allSatisfy({ represented.contains($0.path) }) else { return nil }

        // The state rules: unique ids and references (the rest of the state is unchanged).
        var next = self
        guard next.eventIDs.insert(events.map(\.id)), next.usageIDs.insert(records.map(\.id)) else { return nil }
        for event in events where memberPosition(event.by) == nil { return nil }
        for record in records {
            guard let deleted = workspaces[record.workspace], deleted == nil,
                  let index = memberPosition(record.member) else { return nil }
            if let removedAt = members[index].removedAt, record.at > removedAt { return nil }
        }

        // The transition: T1–T3 hold for additions alone; T4 needs the author's rights and attribution.
        guard let member = activeMember(email: author) else { return nil }
        let owners = Set(members.filter { $0.role == .owner }.map(\.id))
        let changes = events.map { FieldChange(subject: .event($0.id), oldLocation: nil, newLocation: $0.source.file, oldValue: nil, newValue: FactValue($0)) }
            + records.map { FieldChange(subject: .usage($0.id), oldLocation: nil, newLocation: $0.location, oldValue: nil, newValue: FactValue([$0.workspace, $0.jsonLine])) }
        guard changes.allSatisfy({ Authorization.Rights.decision(of: member.role, on: $0, owners: owners) == true }),
              events.allSatisfy({ $0.by == member.id }) else { return nil }

        // The replay, continued from where the parent's ended.
        var deletedAt: [String: Timestamp] = [:]
        for case let (id, at?) in workspaces { deletedAt[id] = at }
        guard let replay = replay.continued(events: events, usage: records, lookup: self, deletedAt: deletedAt) else { return nil }
        next.replay = replay
        return next
    }
}

extension StateSummary {
    private func activeMember(email: String) -> MemberFacts? {
        let wanted = email.lowercased()
        return members.first { $0.removedAt == nil && $0.email == wanted }
    }

    /// The active member whose email is `email`, with their signing keys, as T5 needs them.
    public func signer(email: String) -> (id: String, keys: [String])? {
        activeMember(email: email).map { ($0.id, $0.signingKeys) }
    }
}

extension StateSummary: ReplayLookup {
    func hasWorkspace(_ id: String) -> Bool { workspaces[id] != nil }
    var workspaceIDs: [String] { workspaces.keys.sorted() }
    func deletionTime(_ workspace: String) -> Timestamp? { workspaces[workspace] ?? nil }
    func tombstoneLocation(_ workspace: String) -> SourceLocation { SourceLocation(path: Workspace.path(for: workspace)) }
    func hasMember(_ id: String) -> Bool { memberPosition(id) != nil }

    /// Where the member `id` is in `members`, which is sorted by id.
    func memberPosition(_ id: String) -> Int? {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            if members[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low < members.count && members[low].id == id ? low : nil
    }
}

/// A sorted set of 64-bit digests of ids (FNV-1a over their UTF-8 bytes): compact enough to keep a million
/// usage record ids, exact enough that a clash only sends a commit to the full check.
struct IDDigests: Sendable, Equatable {
    private(set) var digests: [UInt64]

    init(_ ids: some Sequence<String>) {
        digests = ids.map(Self.digest)
        digests.sort()
    }

    init(sorted digests: [UInt64]) { self.digests = digests }

    static func digest(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }

    func contains(_ digest: UInt64) -> Bool {
        var low = 0
        var high = digests.count
        while low < high {
            let middle = (low + high) / 2
            if digests[middle] < digest { low = middle + 1 } else { high = middle }
        }
        return low < digests.count && digests[low] == digest
    }

    /// Adds the digests of `ids`; false when one is already here or two of them are the same.
    mutating func insert(_ ids: [String]) -> Bool {
        let new = ids.map(Self.digest).sorted()
        for (index, digest) in new.enumerated() {
            if contains(digest) || (index > 0 && new[index - 1] == digest) { return false }
        }
        guard !new.isEmpty else { return true }
        var merged: [UInt64] = []
        merged.reserveCapacity(digests.count + new.count)
        var i = 0
        for digest in new {
            while i < digests.count, digests[i] < digest {
                merged.append(digests[i])
                i += 1
            }
            merged.append(digest)
        }
        merged.append(contentsOf: digests[i...])
        digests = merged
        return true
    }
}

// MARK: - Encoding

extension StateSummary {
    /// The version of `encoded()`'s layout; a summary in another layout is not read.
    static let layout: UInt32 = 2

    /// The summary as bytes, for a cache. Maps are written in key order, so equal summaries give equal bytes.
    public func encoded() -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(8 * (eventIDs.digests.count + usageIDs.digests.count) + 64 * (members.count + workspaces.count) + 4096)
        out.u32(Self.layout)
        out.string(replay.primary)
        out.string(replay.mode.rawValue)
        for total in [replay.totalAdded, replay.totalTransferred, replay.totalConsumed, replay.primaryTransferredOut,
                      replay.primaryTransferredIn, replay.primaryCharged] {
            out.i64(total.units)
        }
        for map in [replay.balances, replay.consumedByWorkspace, replay.chargedToPrimaryByWorkspace, replay.consumedByMember,
                    Dictionary(uniqueKeysWithValues: replay.consumedByTool.map { ($0.key.rawValue, $0.value) })] {
            out.u32(UInt32(map.count))
            for (key, credits) in map.sorted(by: { $0.key < $1.key }) {
                out.string(key)
                out.i64(credits.units)
            }
        }
        out.timestamp(replay.lastKey?.at)
        out.u8(replay.lastKey?.phase ?? 0)
        out.string(replay.lastKey?.id ?? "")
        out.u32(UInt32(members.count))
        for member in members {
            out.string(member.id)
            out.string(member.email)
            out.string(member.role.rawValue)
            out.timestamp(member.removedAt)
            out.u32(UInt32(member.signingKeys.count))
            for key in member.signingKeys { out.string(key) }
        }
        out.u8(requiresSignedCommits ? 1 : 0)
        out.u32(UInt32(workspaces.count))
        for (id, deletedAt) in workspaces.sorted(by: { $0.key < $1.key }) {
            out.string(id)
            out.timestamp(deletedAt)
        }
        for ids in [eventIDs, usageIDs] {
            out.u32(UInt32(ids.digests.count))
            for digest in ids.digests { out.u64(digest) }
        }
        return out.bytes
    }

    /// Reads `encoded()`'s bytes; nil for anything else: another layout, a truncated or inconsistent summary.
    public init?(encoded bytes: [UInt8]) {
        var input = ByteReader(bytes)
        guard input.u32() == Self.layout, let primary = input.string(),
              let mode = input.string().flatMap(CreditMode.init(rawValue:)) else { return nil }
        var replay = LedgerReplay(primary: primary)
        replay.mode = mode
        var totals: [Credits] = []
        for _ in 0..<6 {
            guard let units = input.i64() else { return nil }
            totals.append(Credits(units: units))
        }
        (replay.totalAdded, replay.totalTransferred, replay.totalConsumed) = (totals[0], totals[1], totals[2])
        (replay.primaryTransferredOut, replay.primaryTransferredIn, replay.primaryCharged) = (totals[3], totals[4], totals[5])
        var maps: [[String: Credits]] = []
        for _ in 0..<5 {
            guard let count = input.count() else { return nil }
            var map: [String: Credits] = [:]
            map.reserveCapacity(count)
            for _ in 0..<count {
                guard let key = input.string(), let units = input.i64(), map.updateValue(Credits(units: units), forKey: key) == nil else { return nil }
            }
            maps.append(map)
        }
        replay.balances = maps[0]
        replay.consumedByWorkspace = maps[1]
        replay.chargedToPrimaryByWorkspace = maps[2]
        replay.consumedByMember = maps[3]
        for (name, credits) in maps[4] {
            guard let tool = Tool(rawValue: name) else { return nil }
            replay.consumedByTool[tool] = credits
        }
        guard let lastAt = input.timestamp(), let phase = input.u8(), let lastID = input.string() else { return nil }
        replay.lastKey = lastAt.map { LedgerReplay.Key(at: $0, phase: phase, id: lastID) }
        guard let memberCount = input.count() else { return nil }
        var members: [MemberFacts] = []
        members.reserveCapacity(memberCount)
        for _ in 0..<memberCount {
            guard let id = input.string(), let email = input.string(), let role = input.string().flatMap(OrgRole.init(rawValue:)),
                  let removedAt = input.timestamp(), members.last.map({ $0.id < id }) ?? true,
                  let keyCount = input.count() else { return nil }
            var keys: [String] = []
            for _ in 0..<keyCount {
                guard let key = input.string() else { return nil }
                keys.append(key)
            }
            members.append(MemberFacts(id: id, email: email, role: role, removedAt: removedAt, signingKeys: keys))
        }
        guard let signed = input.u8(), signed <= 1 else { return nil }
        guard let workspaceCount = input.count() else { return nil }
        var workspaces: [String: Timestamp?] = [:]
        workspaces.reserveCapacity(workspaceCount)
        for _ in 0..<workspaceCount {
            guard let id = input.string(), let deletedAt = input.timestamp(), workspaces.updateValue(deletedAt, forKey: id) == nil else { return nil }
        }
        var digests: [IDDigests] = []
        for _ in 0..<2 {
            guard let count = input.count(), count <= input.remaining / 8 else { return nil }
            var sorted: [UInt64] = []
            sorted.reserveCapacity(count)
            for _ in 0..<count {
                guard let digest = input.u64(), sorted.last.map({ $0 < digest }) ?? true else { return nil }
                sorted.append(digest)
            }
            digests.append(IDDigests(sorted: sorted))
        }
        guard input.remaining == 0 else { return nil }
        self.replay = replay
        self.members = members
        self.requiresSignedCommits = signed == 1
        self.workspaces = workspaces
        self.eventIDs = digests[0]
        self.usageIDs = digests[1]
    }
}

/// Little-endian integers and length-prefixed UTF-8 strings.
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func string(_ value: String) {
        u32(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
    /// A flag, then the seconds and nanoseconds when present.
    mutating func timestamp(_ value: Timestamp?) {
        u8(value == nil ? 0 : 1)
        if let value {
            i64(value.seconds)
            u32(UInt32(bitPattern: value.nanoseconds))
        }
    }
}

/// Reads what `ByteWriter` wrote; every read is nil past the end.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    private mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { return nil }
        defer { position += size }
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) })
    }

    mutating func u8() -> UInt8? { take(1)?.first }
    mutating func u32() -> UInt32? { integer(UInt32.self) }
    mutating func u64() -> UInt64? { integer(UInt64.self) }
    mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
    /// A count of entries, each at least one byte long.
    mutating func count() -> Int? { u32().map(Int.init).flatMap { $0 <= remaining ? $0 : nil } }
    mutating func string() -> String? {
        guard let length = u32(), let slice = take(Int(length)) else { return nil }
        return String(validating: slice, as: UTF8.self)
    }
    /// nil at the end; `.some(nil)` for an absent timestamp.
    mutating func timestamp() -> Timestamp?? {
        guard let flag = u8() else { return nil }
        guard flag == 1 else { return flag == 0 ? .some(nil) : nil }
        guard let seconds = i64(), let nanoseconds = u32() else { return nil }
        return .some(Timestamp(seconds: seconds, nanoseconds: Int32(bitPattern: nanoseconds)))
    }
}
