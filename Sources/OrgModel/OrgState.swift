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

    /// Whether `policy.signedCommits` is `required` (T5).
    public var requiresSignedCommits: Bool { organization.config?.policy.signedCommits == .required }

    /// The active member whose email is `email`, with their signing keys, as T5 needs them.
    public func signer(email: String) -> (id: String, keys: [String])? {
        activeMember(email: email).map { ($0.id, $0.signingKeys) }
    }

    /// The active member whose email is `email`, compared case-insensitively (R11).
    public func activeMember(email: String) -> Member? {
        let wanted = email.lowercased()
        return organization.members.first { $0.isActive && $0.email.lowercased() == wanted }
    }
}
