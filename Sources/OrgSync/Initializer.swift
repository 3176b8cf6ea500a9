import Foundation
import GitKit
import OrgModel

/// What `orgsync init` creates: a repository with `org.yaml`, the Primary Workspace, the owner, optional
/// top-up and mode events, and the first commit.
public struct InitOptions: Sendable {
    public var directory: String
    public var name: String
    public var id: String?
    public var ownerEmail: String?
    public var mode: CreditMode = .shared
    public var credits: Credits?
    public var primaryID = "primary"
    public var primaryName = "Primary Workspace"
    public var now = Timestamp.now()

    public init(directory: String, name: String) {
        self.directory = directory
        self.name = name
    }
}

/// The outcome of `orgsync init`.
public struct InitResult: Sendable {
    public var directory: String
    public var commit: ObjectID
    public var organization: String
    public var owner: String
    public var primary: String
    /// The files written, relative to the repository root.
    public var files: [String]
}

/// Creates a new organization repository (R1, R3).
public enum Initializer {
    /// Creates the organization in `options.directory`, which may be missing, empty, or a git repository
    /// without organization files. Nothing is left behind when it fails.
    public static func run(_ options: InitOptions) throws(OrgSyncError) -> InitResult {
        let directory = URL(fileURLWithPath: options.directory).standardizedFileURL.path
        let orgID = options.id ?? IdentifierKind.slug(from: options.name)
        guard IdentifierKind.slug.matches(orgID) else {
            throw OrgSyncError(.environment, "organization id '\(orgID)' is not valid: use \(IdentifierKind.slug.pattern); pass --id")
        }
        guard IdentifierKind.slug.matches(options.primaryID) else {
            throw OrgSyncError(.environment, "workspace id '\(options.primaryID)' is not valid: use \(IdentifierKind.slug.pattern)")
        }
        guard !options.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OrgSyncError(.environment, "the organization needs a name: pass --name")
        }
        if let credits = options.credits, !credits.isPositive {
            throw OrgSyncError(.environment, "--credits must be greater than zero, not \(credits)")
        }

        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        if fileManager.fileExists(atPath: directory, isDirectory: &isFolder), !isFolder.boolValue {
            throw OrgSyncError(.environment, "'\(directory)' is a file; pass a new or existing folder")
        }
        // Anything with an organization name at the top — a file, a folder, even empty, or a link — is refused:
        // init never writes into, or through, what it did not create.
        let reserved = ["org.yaml", "org.json", "providers.yaml", "providers.json", "members", "workspaces", "ledger", "usage"]
        if let taken = reserved.first(where: { (try? fileManager.attributesOfItem(atPath: directory + "/" + $0)) != nil }) {
            throw OrgSyncError(.refused, "'\(directory)' already holds organization files (\(taken)); run orgsync init in a new folder")
        }
        // The outermost folder init creates, so a failure removes every folder it made and no other.
        var createdRoot: String?
        var probe = URL(fileURLWithPath: directory)
        while !fileManager.fileExists(atPath: probe.path), probe.path != "/" {
            createdRoot = probe.path
            probe.deleteLastPathComponent()
        }
        let createdGitDirectory = !fileManager.fileExists(atPath: directory + "/.git")
        func rollBack() {
            // None of these existed before (checked above), so everything under them is init's own.
            for name in reserved { try? fileManager.removeItem(atPath: directory + "/" + name) }
            if createdGitDirectory { try? fileManager.removeItem(atPath: directory + "/.git") }
            if let createdRoot { try? fileManager.removeItem(atPath: createdRoot) }
        }

        let repository: GitKit.Repository
        do {
            repository = createdGitDirectory ? try .create(at: directory) : try .open(directory)
        } catch {
            rollBack()
            throw OrgSyncError.git("cannot create a git repository in '\(directory)'", error)
        }

        do throws(OrgSyncError) {
            let identity = try ownerIdentity(options, repository)
            let ownerID = IdentifierKind.slug(from: String(identity.email.prefix { $0 != "@" }))
            let files = try organizationFiles(options, orgID: orgID, owner: Member(id: ownerID, email: identity.email, name: identity.name, role: .owner))

            let report = Validator.validate(Snapshot(files: files))
            guard report.isValid else {
                throw OrgSyncError(.refused, "the new organization would not be valid", diagnostics: report.diagnostics)
            }
            let paths = files.keys.sorted()
            let signature = Signature(name: identity.name ?? ownerID, email: identity.email, time: options.now.seconds, offsetMinutes: 0)
            let message = "Initialize organization '\(options.name)'\n\nOrgsync-Operation: init\n"
            let head = try gitCall("cannot read HEAD") { try repository.headCommit() }
            let commit = try Committer(repository: repository, directory: directory, prefix: "")
                .commit(writes: files.mapValues { Array($0.utf8) }, removals: [], head: head,
                        message: message, author: signature, committer: signature)
            return InitResult(directory: directory, commit: commit, organization: orgID, owner: ownerID,
                              primary: options.primaryID, files: paths)
        } catch {
            rollBack()
            throw error
        }
    }

    private static func ownerIdentity(_ options: InitOptions, _ repository: GitKit.Repository) throws(OrgSyncError) -> (email: String, name: String?) {
        let identity = GitIdentity.author(of: repository)
        if let email = options.ownerEmail {
            // The configured name belongs to the owner only when the emails agree.
            return (email, identity.flatMap { $0.email.lowercased() == email.lowercased() ? $0.name : nil })
        }
        guard let identity else {
            throw OrgSyncError(.environment, "no owner: pass --owner EMAIL, or set your identity with 'git config --global user.email EMAIL'")
        }
        return (identity.email, identity.name)
    }

    /// The canonical text of every file of the new organization.
    static func organizationFiles(_ options: InitOptions, orgID: String, owner: Member) throws(OrgSyncError) -> [String: String] {
        var files: [String: String] = [:]
        files["org.yaml"] = CanonicalYAML.render(OrgConfig(id: orgID, name: options.name).yaml)
        files[Member.path(for: owner.id)] = CanonicalYAML.render(owner.yaml)
        let primary = Workspace(id: options.primaryID, name: options.primaryName, isPrimary: true,
                                members: [.init(member: owner.id, role: .admin)])
        files[Workspace.path(for: primary.id)] = CanonicalYAML.render(primary.yaml)
        var ids = ULIDGenerator()
        if let credits = options.credits {
            let event = LedgerEvent(id: ids.next(at: options.now), at: options.now, by: owner.id,
                                    kind: .topup(credits: credits, reference: "initial credits"))
            files[LedgerEvent.path(id: event.id, at: event.at)] = CanonicalYAML.render(event.yaml)
        }
        if options.mode != .shared {
            let event = LedgerEvent(id: ids.next(at: options.now), at: options.now, by: owner.id, kind: .mode(options.mode))
            files[LedgerEvent.path(id: event.id, at: event.at)] = CanonicalYAML.render(event.yaml)
        }
        return files
    }
}

/// Writes files so that a reader sees either the old content or the new, never a part.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over `path`, creating folders as needed.
    /// The file gets exactly `permissions`, whatever the umask, before it appears under its name.
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(OrgSyncError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).orgsync-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(descriptor) }
            guard fchmod(descriptor, permissions) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                offset += count
            }
            guard fsync(descriptor) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            guard rename(temporary.path, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OrgSyncError(.environment, "cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
