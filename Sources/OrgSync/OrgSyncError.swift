import GitKit
import OrgModel

/// An operation orgsync refused or could not carry out, with what to do about it.
///
/// `kind` decides the exit code: a refusal (bad state, overdraw, existing organization) is 1, a usage or
/// environment problem (no repository, unknown revision, unreadable folder) is 2.
public struct OrgSyncError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The operation was understood and refused: exit 1.
        case refused
        /// A charge was refused by a balance or a cap (R8, U4): exit 1, reported as "blocked: …".
        case blocked
        /// Wrong arguments or an environment orgsync cannot work in: exit 2.
        case environment
    }

    public var kind: Kind
    public var message: String
    /// The diagnostics behind a refusal, if any.
    public var diagnostics: [Diagnostic]
    /// The lower-level error, such as a `GitError`.
    public var cause: (any Error & Sendable)?

    public init(_ kind: Kind, _ message: String, diagnostics: [Diagnostic] = [], cause: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.diagnostics = diagnostics
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message) (\(cause))"
    }

    /// An environment error for a failed git operation, quoting libgit2's message.
    static func git(_ message: String, _ error: any Error) -> OrgSyncError {
        if let error = error as? OrgSyncError { return error }
        if let error = error as? GitError { return OrgSyncError(.environment, "\(message): \(error.message)", cause: error) }
        return OrgSyncError(.environment, "\(message): \(error)")
    }
}

/// Runs a git call, turning its error into an environment error that starts with `message`.
func gitCall<T>(_ message: String, _ body: () throws -> T) throws(OrgSyncError) -> T {
    do {
        return try body()
    } catch let error as OrgSyncError {
        throw error // orgsync's own refusal from inside the call, such as a signature that would not verify
    } catch {
        throw OrgSyncError.git(message, error)
    }
}
