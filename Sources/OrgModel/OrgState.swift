/// One state of an organization (a commit, the index or the work tree): its files, decoded and validated.
///
/// Transitions compare states, so each state is loaded and validated once and then shared.
public struct OrgState: Sendable {
    public let snapshot: Snapshot
    public let report: ValidationReport

    /// Loads and validates `snapshot`.
    public init(_ snapshot: Snapshot) {
        self.snapshot = snapshot
        self.report = Validator.validate(snapshot)
    }

    public var organization: Organization { report.organization }

    /// The active member whose email is `email`, compared case-insensitively (R11).
    public func activeMember(email: String) -> Member? {
        let wanted = email.lowercased()
        return organization.members.first { $0.isActive && $0.email.lowercased() == wanted }
    }
}
