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

    /// The re-stamps that put every event of `unpublished` after every event of `published`, keeping their
    /// own order: an event that already orders after the last published one (and after the events before it
    /// that were re-stamped) keeps its id; each other one takes the `at` of the last event before it, and a
    /// new id above that event's.
    public static func plan(unpublished: [(event: LedgerEvent, bytes: [UInt8])], published: [LedgerEvent]) -> [Restamp] {
        guard var floor = published.map({ (at: $0.at, id: $0.id) }).max(by: { ($0.at, $0.id) < ($1.at, $1.id) }) else { return [] }
        var out: [Restamp] = []
        for (event, bytes) in unpublished.sorted(by: { ($0.event.at, $0.event.id) < ($1.event.at, $1.event.id) }) {
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
