/// How the organization spends credits (R5).
public enum CreditMode: String, Hashable, Sendable, CaseIterable {
    /// Every workspace's usage is deducted from the Primary's balance.
    case shared
    /// Each workspace spends only its own balance, which transfers fill.
    case budget
}

/// Why orgsync made a transfer, when it was not an allocation by an admin.
public enum TransferReason: String, Hashable, Sendable, CaseIterable {
    /// The refund of a deleted workspace's balance to the Primary (R10).
    case deletion
    /// The return of a workspace's balance to the Primary when the org switches to shared mode (R9).
    case modeSwitch = "mode-switch"
}

/// A move of credits between two workspaces (R7).
public struct Transfer: Hashable, Sendable {
    public var from: String
    public var to: String
    public var credits: Credits
    public var memo: String?
    public var reason: TransferReason?
    public init(from: String, to: String, credits: Credits, memo: String? = nil, reason: TransferReason? = nil) {
        self.from = from
        self.to = to
        self.credits = credits
        self.memo = memo
        self.reason = reason
    }
}

/// `ledger/<yyyy>/<mm>/<id>.yaml`: one immutable credit event (F5).
public struct LedgerEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Credits purchased or added; they land in the Primary (R4).
        case topup(credits: Credits, reference: String?)
        case transfer(Transfer)
        case mode(CreditMode)

        public var name: String {
            switch self {
            case .topup: return "topup"
            case .transfer: return "transfer"
            case .mode: return "mode"
            }
        }
    }

    public var id: String
    public var at: Timestamp
    /// The id of the member who made the event.
    public var by: String
    public var kind: Kind
    public var source: SourceMap

    public init(id: String, at: Timestamp, by: String, kind: Kind) {
        self.id = id
        self.at = at
        self.by = by
        self.kind = kind
        self.source = SourceMap(path: LedgerEvent.path(id: id, at: at))
    }

    /// The canonical path of an event: its month folder, then its id.
    public static func path(id: String, at: Timestamp) -> String {
        let (year, month, _) = at.date
        return "ledger/\(year)/\(twoDigits(month))/\(id).yaml"
    }
}

extension LedgerEvent {
    static let keys = ["id", "at", "by", "type", "credits", "reference", "from", "to", "memo", "reason", "mode"]

    static func decode(_ root: SourceNode, _ d: FileDecoder) -> LedgerEvent? {
        guard let fields = d.mapping(root, field: "", what: "a ledger event", allowed: keys, required: ["id", "at", "by", "type"]) else {
            return nil
        }
        let id = d.identifier(fields["id"], field: "id", what: "event id", kind: .ulid)
        let at = d.timestamp(fields["at"], field: "at", what: "at")
        let by = d.identifier(fields["by"], field: "by", what: "by", kind: .slug)
        let type = d.string(fields["type"], field: "type", what: "type")
        let allowedByType: [String: [String]] = [
            "topup": ["credits", "reference"],
            "transfer": ["from", "to", "credits", "memo", "reason"],
            "mode": ["mode"],
        ]
        guard let type, let typeNode = fields["type"] else { return nil }
        guard let allowed = allowedByType[type] else {
            var message = "event type '\(type)' is not one of 'topup', 'transfer', 'mode'"
            if let suggestion = Suggestion.closest(to: type, among: ["topup", "transfer", "mode"]) { message += "; did you mean '\(suggestion)'?" }
            d.error(.schema, message, at: typeNode)
            return nil
        }
        for key in fields.values.keys.sorted() where !["id", "at", "by", "type"].contains(key) && !allowed.contains(key) {
            if let node = fields[key] {
                d.error(.f(4), "a \(type) event has no key '\(key)'; the keys of a \(type) are \(allowed.map { "'\($0)'" }.joined(separator: ", "))",
                        at: node)
            }
        }
        func require(_ key: String) -> SourceNode? {
            if let node = fields[key] { return node }
            d.error(.schema, "a \(type) event is missing the required key '\(key)'", at: root)
            return nil
        }
        let kind: Kind?
        switch type {
        case "topup":
            let credits = require("credits").flatMap { d.credits($0, field: "credits", what: "top-up credits", allowZero: false) }
            let reference = d.optionalString(fields["reference"], field: "reference", what: "reference")
            kind = credits.map { .topup(credits: $0, reference: reference) }
        case "transfer":
            let from = require("from").flatMap { d.identifier($0, field: "from", what: "from", kind: .slug) }
            let to = require("to").flatMap { d.identifier($0, field: "to", what: "to", kind: .slug) }
            let credits = require("credits").flatMap { d.credits($0, field: "credits", what: "transfer credits", allowZero: false) }
            let memo = d.optionalString(fields["memo"], field: "memo", what: "memo")
            let reason = fields["reason"].flatMap { d.choice($0, field: "reason", what: "reason", as: TransferReason.self) }
            if let from, let to, from == to, let node = fields["to"] {
                d.error(.r(7), "a transfer needs two different workspaces, but both from and to are '\(from)'", at: node)
                return nil
            }
            if let from, let to, let credits {
                kind = .transfer(Transfer(from: from, to: to, credits: credits, memo: memo, reason: reason))
            } else {
                kind = nil
            }
        default:
            kind = require("mode").flatMap { d.choice($0, field: "mode", what: "mode", as: CreditMode.self) }.map { .mode($0) }
        }
        guard let id, let at, let by, let kind else { return nil }
        var event = LedgerEvent(id: id, at: at, by: by, kind: kind)
        event.source = d.source
        return event
    }

    /// The canonical YAML of the event's file.
    public var yaml: YAMLNode {
        var map = YAMLMap()
        map.add("id", id)
        map.add("at", at)
        map.add("by", by)
        map.add("type", kind.name)
        switch kind {
        case .topup(let credits, let reference):
            map.add("credits", credits)
            map.add("reference", reference)
        case .transfer(let transfer):
            map.add("from", transfer.from)
            map.add("to", transfer.to)
            map.add("credits", transfer.credits)
            map.add("memo", transfer.memo)
            map.add("reason", transfer.reason?.rawValue)
        case .mode(let mode):
            map.add("mode", mode.rawValue)
        }
        return map.node
    }
}
