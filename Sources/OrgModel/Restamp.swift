/// An unpublished ledger event moved after the published ones (SPEC S3): the same event under a new id and,
/// when it has to, a later `at`.
///
/// The ledger replays in `(at, id)` order. An event made offline carries the time it was made, which can be
/// earlier than events others published meanwhile; merged as it is, it would replay *before* them and could
/// make one of them, already accepted by the server, break a rule. Re-stamped, every published event replays
/// exactly as it did on the remote, and whatever no longer fits is one of the unpublished events, which is
/// the one reported.
public struct Restamp: Sendable, Equatable {
    /// The event as it was made, and its file.
    public var event: String
    public var path: String
    /// The same event re-stamped, its file, and the file's canonical bytes.
    public var newEvent: String
    public var newPath: String
    public var at: Timestamp
    public var bytes: [UInt8]

    /// The re-stamps that put the events of `unpublished` after every point of `published` (the `(at, id)`
    /// of each published event and usage record, and each tombstone's time), keeping their own order: an
    /// event that already orders after the last published point (and after the events before it that were
    /// re-stamped) keeps its id; each other one takes the `at` of the point before it, and a new id above.
    ///
    /// An automatic event (a deletion's refund, a mode switch's return transfers) is tied to the time of
    /// what made it (the tombstone, the mode event), so neither it nor anything before it moves: only the
    /// events after the last such one are re-stamped.
    public static func plan(unpublished: [(event: LedgerEvent, bytes: [UInt8])], published: [(at: Timestamp, id: String)]) -> [Restamp] {
        guard var floor = published.max(by: { ($0.at, $0.id) < ($1.at, $1.id) }) else { return [] }
        let ordered = unpublished.sorted(by: { ($0.event.at, $0.event.id) < ($1.event.at, $1.event.id) })
        let anchored = ordered.lastIndex { item in
            switch item.event.kind {
            case .transfer(let transfer): return transfer.reason != nil
            case .mode: return true
            case .topup: return false
            }
        }
        var out: [Restamp] = []
        for (event, bytes) in ordered[(anchored.map { $0 + 1 } ?? 0)...] {
            if (event.at, event.id) > (floor.at, floor.id) {
                floor = (event.at, event.id)
                continue
            }
            let at = max(event.at, floor.at)
            guard let again = OrgMerge.reissue(event: bytes, path: event.source.path, at: at, after: floor.id) else { continue }
            out.append(Restamp(event: event.id, path: event.source.path, newEvent: again.id, newPath: again.path, at: at, bytes: again.bytes))
            floor = (at, again.id)
        }
        return out
    }

    /// The commit trailer that records it: `Orgsync-Restamped: OLD -> NEW`.
    public var trailer: String { "Orgsync-Restamped: \(event) -> \(newEvent)" }
}
