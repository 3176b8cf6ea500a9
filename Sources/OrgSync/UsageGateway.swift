import Foundation
import GitKit
import OrgModel

/// The library API for gateways (U1): whose key is this, may this workspace spend N more credits, and a
/// record of what was spent.
///
/// A gateway loads the organization once, then answers `authorize` and `charge` from memory: a key is found
/// by its hash, and a charge checks the paying balance (the workspace's own in budget mode, the Primary's in
/// shared mode, R8) and every hard cap (U4) in constant time, without touching git. Charges are buffered;
/// `flush` appends them to this writer's usage files (one per workspace and day, F6) in one validated
/// commit, as any orgsync write is. Call it every few seconds, or when `pendingCount` reaches your batch size.
///
/// The balances are this gateway's view: its own charges and what HEAD held when it loaded or last flushed.
/// Gateways in other clones see each other's usage when their commits meet (`orgsync sync`), where the
/// ledger replay checks every balance again. All methods may be called from any thread.
public final class UsageGateway: @unchecked Sendable {
    /// What the gateway knows of the organization.
    private struct Loaded {
        var head: ObjectID
        var book: ChargeBook
        var keys: KeyIndex
    }

    public let reader: StateReader
    /// Names this gateway's usage files: `usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl`.
    public let writer: String
    /// The member the flush commits act as (a `service` account), or the git identity when nil.
    public let actorEmail: String?

    private let lock = NSLock()
    /// Held by `flush` and `reload` from start to end: one of them at a time, while charges go on.
    private let writing = NSLock()
    private var loaded: Loaded
    private var pending: [UsageRecord] = []
    private var ids = ULIDGenerator()

    /// Loads the organization at `revision` (HEAD by default) of the repository around `directory`.
    public init(repository directory: String, writer: String, revision: String? = nil, actingAs actorEmail: String? = nil) throws(OrgSyncError) {
        guard IdentifierKind.slug.matches(writer) else {
            throw OrgSyncError(.environment, "writer '\(writer)' is not valid: use \(IdentifierKind.slug.pattern); each gateway instance needs its own, such as gw-1")
        }
        self.reader = StateReader(directory: directory)
        self.writer = writer
        self.actorEmail = actorEmail
        self.loaded = try Self.load(reader, revision: revision)
    }

    private static func load(_ reader: StateReader, revision: String?) throws(OrgSyncError) -> Loaded {
        let repository = try reader.repository()
        let commit: ObjectID
        if let revision {
            commit = try gitCall("cannot find revision '\(revision)'") { try repository.resolveCommit(revision) }
        } else {
            guard let head = try gitCall("cannot read HEAD", { try repository.headCommit() }) else {
                throw OrgSyncError(.environment, "the repository has no commits yet; create the organization with 'orgsync init'")
            }
            commit = head
        }
        let state = try CommitChecker(repository: repository, prefix: reader.prefix(in: repository)).state(at: commit)
        guard let replay = state.report.replay, let book = ChargeBook(state.organization, replay: replay) else {
            throw OrgSyncError(.refused, "the organization at \(commit.hex.prefix(10)) does not replay, so no balance is known; fix it first (orgsync validate --rev \(commit.hex.prefix(10)))",
                               diagnostics: state.report.diagnostics.filter { $0.severity == .error })
        }
        return Loaded(head: commit, book: book, keys: KeyIndex(state.organization))
    }

    private func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The commit the gateway's view starts from.
    public var revision: ObjectID { locked { loaded.head } }

    /// Charges made and not yet flushed.
    public var pendingCount: Int { locked { pending.count } }

    /// Which workspace the API key `secret` belongs to at `now`, by its hash (R15).
    public func authorize(apiKey secret: String, at now: Timestamp = .now()) -> KeyVerdict {
        let keys = locked { loaded.keys }
        return keys.verify(secret: secret, at: now)
    }

    /// What `workspace` can spend now: its balance in budget mode, the Primary's in shared mode.
    public func available(to workspace: String) -> Credits? { locked { loaded.book.available(to: workspace) } }

    /// The organization's caps in the periods containing `time`, with this gateway's charges counted.
    public func capStatuses(at time: Timestamp = .now()) -> [CapStatus] { locked { loaded.book.capStatuses(at: time) } }

    /// Charges `credits` to `workspace` for `member`'s use of `tool`, or throws `ChargeError.blocked` with
    /// the amount still available, changing nothing. `id` is the idempotency key (a new ULID by default).
    @discardableResult
    public func charge(workspace: String, member: String, tool: Tool, credits: Credits,
                       model: String? = nil, tokens: Int? = nil, cost: String? = nil,
                       id: String? = nil, at: Timestamp = .now()) throws(ChargeError) -> ChargeReceipt {
        try locked { () throws(ChargeError) -> ChargeReceipt in
            let record = UsageRecord(id: id ?? ids.next(at: at), at: at, workspace: workspace, member: member, tool: tool,
                                     credits: credits, model: model, tokens: tokens, cost: cost,
                                     location: SourceLocation(path: "usage/\(workspace)"))
            let receipt = try loaded.book.charge(record, policy: .live)
            pending.append(record)
            return receipt
        }
    }

    /// Commits every pending charge to this writer's usage files, validated as any commit is, and returns
    /// the commit; nil when nothing was pending. On failure the charges stay pending and nothing is written.
    /// Charges made while it runs wait for the next flush.
    @discardableResult
    public func flush(now: Timestamp = .now()) throws(OrgSyncError) -> ObjectID? {
        writing.lock()
        defer { writing.unlock() }
        let (batch, before) = locked { () -> ([UsageRecord], ObjectID) in
            defer { pending = [] }
            return (pending, loaded.head)
        }
        guard !batch.isEmpty else { return nil }
        let outcome: OperationOutcome
        do {
            outcome = try Administrator(reader: reader, actorEmail: actorEmail)
                .perform(.recordUsage(records: batch, writer: writer, source: .gateway), now: now)
        } catch {
            locked { pending = batch + pending }
            throw error
        }
        guard let commit = outcome.commit else { return nil }
        // When the commit sits right on the view's revision, the view already holds it; otherwise HEAD had
        // moved (an admin's transfer, a sync), and the view is read again, with the charges made meanwhile.
        let parent = try gitCall("cannot read commit \(commit)") { try reader.repository().commit(commit).parents.first }
        if parent == before {
            locked { loaded.head = commit }
        } else {
            try load()
        }
        return commit
    }

    /// Reads HEAD again, keeping the pending charges: they are charged again on the new view, and stay
    /// pending even when it refuses them, since they were made.
    public func reload() throws(OrgSyncError) {
        writing.lock()
        defer { writing.unlock() }
        try load()
    }

    private func load() throws(OrgSyncError) {
        var fresh = try Self.load(reader, revision: nil)
        locked {
            for record in pending { _ = try? fresh.book.charge(record, policy: .recorded) }
            loaded = fresh
        }
    }
}
