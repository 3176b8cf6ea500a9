/// A rule of `policy.approvals` that a change meets, and why (G2).
public struct ApprovalRequirement: Sendable {
    public var rule: ApprovalRule
    /// One line per thing in the change that meets the rule: "a transfer of 6,000 credits from 'a' to 'b'".
    public var reasons: [String]
}

/// An approval that does not count for a rule, and why.
public struct IgnoredApproval: Sendable, Equatable {
    /// The approver as given: an email or `@github-handle`.
    public var approver: String
    public var reason: String
}

/// Whether a change has the approvals one rule requires.
public struct ApprovalVerdict: Sendable {
    public var requirement: ApprovalRequirement
    /// The members whose approvals count, by id, in the order given.
    public var counted: [String]
    public var ignored: [IgnoredApproval]
    /// The members who could still approve: active, with an eligible role, not an author, not counted yet.
    public var eligible: [Member]

    public var rule: ApprovalRule { requirement.rule }
    public var isMet: Bool { counted.count >= rule.require }
    /// Approvals still needed.
    public var missing: Int { max(0, rule.require - counted.count) }
}

extension Policy {
    /// The rules `changes` meets, in the policy's order. A rule applies when any of its conditions holds,
    /// and also when the change alters who may approve under it: a member with one of its `from` roles
    /// (before or after) added, removed, given another role, email, GitHub handle or signing keys.
    /// Otherwise one change could hand a role's approvals to someone, and the next use them unchecked.
    public func requirements(for changes: OrgChanges) -> [ApprovalRequirement] {
        approvals.compactMap { rule in
            var reasons = rule.when.reasons(changes)
            for change in changes.changes where change.approverRoles.contains(where: rule.from.contains) {
                let reason = "a change to who may approve (\(Self.roles(rule.from))): \(change.summary)"
                if !reasons.contains(where: { $0.hasSuffix(": " + change.summary) }) { reasons.append(reason) }
            }
            return reasons.isEmpty ? nil : ApprovalRequirement(rule: rule, reasons: reasons)
        }
    }

    /// Checks the approvals of a change against every rule it meets.
    ///
    /// `org` is the organization the change starts from: who is a member, and with which role, is read
    /// there, so a change cannot make its own approvers. `authors` are the emails of everyone who wrote
    /// (or committed) a commit of the change; they never approve it. Each approver is an email or `@handle` (a member's
    /// `github`), and one member counts once per rule however many ways they are named.
    public func check(_ changes: OrgChanges, in org: Organization, authors: [String], approvers: [String]) -> [ApprovalVerdict] {
        let authorEmails = Set(authors.map { $0.lowercased() })
        let authorMembers = Set(org.members.filter { authorEmails.contains($0.email.lowercased()) }.map(\.id))
        return requirements(for: changes).map { requirement in
            let rule = requirement.rule
            var counted: [String] = []
            var ignored: [IgnoredApproval] = []
            var seen: [String: String] = [:]
            for approver in approvers {
                let text = String(approver.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                guard let member = Self.member(named: text, in: org) else {
                    let how = text.hasPrefix("@") ? "no member has the GitHub handle '\(text.dropFirst())'" : "no member has the email '\(text)'"
                    ignored.append(IgnoredApproval(approver: text, reason: "\(how); approvals count only from members of the organization"))
                    continue
                }
                if let first = seen[member.id] {
                    if first.lowercased() != text.lowercased() { ignored.append(IgnoredApproval(approver: text, reason: "names '\(member.id)' again (first as '\(first)'), and a member counts once")) }
                    continue
                }
                seen[member.id] = text
                if !member.isActive {
                    ignored.append(IgnoredApproval(approver: text, reason: "'\(member.id)' was removed from the organization"))
                } else if authorMembers.contains(member.id) || authorEmails.contains(member.email.lowercased()) {
                    ignored.append(IgnoredApproval(approver: text, reason: "'\(member.id)' wrote commits of this change, and an author never approves their own change"))
                } else if !rule.from.contains(member.role) {
                    ignored.append(IgnoredApproval(approver: text, reason: "'\(member.id)' is \(member.role.rawValue), and this rule counts approvals from \(Self.roles(rule.from))"))
                } else {
                    counted.append(member.id)
                }
            }
            let eligible = org.members.filter { member in
                member.isActive && rule.from.contains(member.role) && !authorMembers.contains(member.id) && !counted.contains(member.id)
            }
            return ApprovalVerdict(requirement: requirement, counted: counted, ignored: ignored, eligible: eligible)
        }
    }

    /// The member an approver names: `@handle` by GitHub handle, anything else by email, both ignoring
    /// case. An active member is preferred to a removed one with the same email.
    static func member(named approver: String, in org: Organization) -> Member? {
        let matches: [Member]
        if approver.hasPrefix("@") {
            let handle = approver.dropFirst().lowercased()
            matches = org.members.filter { $0.github?.lowercased() == handle }
        } else {
            let email = approver.lowercased()
            matches = org.members.filter { $0.email.lowercased() == email }
        }
        return matches.first(where: \.isActive) ?? matches.first
    }

    /// "owner", "owner or billing", "owner, admin or billing".
    public static func roles(_ roles: [OrgRole]) -> String {
        let names = roles.map(\.rawValue)
        guard names.count > 1 else { return names.first ?? "nobody" }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}

extension ApprovalRule.Conditions {
    /// What in `changes` meets these conditions, one line each.
    func reasons(_ changes: OrgChanges) -> [String] {
        var reasons: [String] = []
        for event in changes.addedEvents {
            switch event.kind {
            case .transfer(let transfer):
                if let threshold = transferAtLeast, transfer.credits >= threshold {
                    reasons.append("a transfer of \(transfer.credits.amount) from '\(transfer.from)' to '\(transfer.to)' (at least \(threshold.formatted))")
                }
            case .topup(let credits, _):
                if topup { reasons.append("a top-up of \(credits.amount)") }
            case .mode(let mode):
                if modeChange { reasons.append("the switch to \(mode.rawValue) mode") }
            }
        }
        if ownerChange {
            reasons += changes.changes.filter(\.changesOwners).map { "an owner change: \($0.summary)" }
        }
        for path in changes.paths {
            if let glob = paths.first(where: { PathGlob.matches($0, path) }) {
                reasons.append("a change to \(path)" + (glob == path ? "" : " (matches '\(glob)')"))
            }
        }
        return reasons
    }
}

/// Path patterns for `paths` conditions, matched against paths relative to the organization's folder.
///
/// `*` matches within one path segment, `?` one character, `**` any number of whole segments, and a
/// pattern ending in `/` everything below that folder. A leading `/` is ignored: every pattern is anchored.
public enum PathGlob {
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        var pattern = pattern.hasPrefix("/") ? String(pattern.dropFirst()) : pattern
        if pattern.hasSuffix("/") { pattern += "**" }
        let patternSegments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) }
        return match(patternSegments[...], pathSegments[...])
    }

    private static func match(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == Array("**".utf8) {
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let segment = path.first, segmentMatches(first[...], segment[...]) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func segmentMatches(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        switch first {
        case UInt8(ascii: "*"):
            var rest = text
            while true {
                if segmentMatches(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        case UInt8(ascii: "?"):
            return !text.isEmpty && segmentMatches(pattern.dropFirst(), text.dropFirst())
        default:
            return text.first == first && segmentMatches(pattern.dropFirst(), text.dropFirst())
        }
    }
}
