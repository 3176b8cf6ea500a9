import Foundation
import GitKit
import OrgModel

/// The person git would record as a commit's author: the identity orgsync acts as.
public struct GitIdentity: Sendable, Equatable {
    public var email: String
    public var name: String?

    /// Resolves the author the way git does: `GIT_AUTHOR_EMAIL` and `GIT_AUTHOR_NAME`, then `user.email` and
    /// `user.name` from the repository's configuration, then `EMAIL`. Nil when no email is set anywhere.
    public static func author(of repository: GitKit.Repository, environment: [String: String] = ProcessInfo.processInfo.environment) -> GitIdentity? {
        resolve("AUTHOR", repository, environment)
    }

    /// The committer git would record: `GIT_COMMITTER_EMAIL` and `GIT_COMMITTER_NAME`, then as for the author.
    public static func committer(of repository: GitKit.Repository, environment: [String: String] = ProcessInfo.processInfo.environment) -> GitIdentity? {
        resolve("COMMITTER", repository, environment)
    }

    private static func resolve(_ role: String, _ repository: GitKit.Repository, _ environment: [String: String]) -> GitIdentity? {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        let configured = { (key: String) in nonEmpty((try? repository.config(key)) ?? nil) }
        guard let email = nonEmpty(environment["GIT_\(role)_EMAIL"]) ?? configured("user.email") ?? nonEmpty(environment["EMAIL"]) else {
            return nil
        }
        return GitIdentity(email: email, name: nonEmpty(environment["GIT_\(role)_NAME"]) ?? configured("user.name"))
    }

    /// The author and committer of a commit orgsync makes for `member` acting as `email` at `time`: the
    /// member as author, and git's committer identity (the author when none is set).
    static func signatures(for member: Member, email: String, in repository: GitKit.Repository, at time: Timestamp) -> (author: Signature, committer: Signature) {
        let author = Signature(name: member.name ?? member.id, email: email, time: time.seconds, offsetMinutes: 0)
        let committer = GitIdentity.committer(of: repository).map { Signature(name: $0.name ?? $0.email, email: $0.email, time: time.seconds, offsetMinutes: 0) } ?? author
        return (author, committer)
    }

    /// The email orgsync acts as (R11): `override` (`--as`) when given, else the author git would record.
    public static func actingEmail(_ override: String?, in repository: GitKit.Repository) throws(OrgSyncError) -> String {
        if let override { return override }
        guard let identity = author(of: repository) else {
            throw OrgSyncError(.environment, "no git identity to act as: set one with 'git config user.email you@example.com', or pass --as EMAIL")
        }
        return identity.email
    }
}
