import Crypto
import Foundation
import GitKit
import OrgModel

/// Summaries of validated states (`StateSummary`), kept in `.git/orgsync/cache/` by the id of the
/// organization's tree, so that a commit that only appends to a validated state is checked from its own
/// files (SPEC §10, P2).
///
/// An entry is trusted only when everything about it holds: its header names this very orgsync build and the
/// tree it is filed under, and the SHA-256 of its content matches. Anything else (another build, a torn or
/// edited file) is ignored, and the state is validated in full. Only a few recent entries are kept.
///
/// The cache lives inside `.git`, which only the repository's own users can write; on a server, pushers
/// cannot reach it.
public struct StateCache {
    let folder: String
    /// How many entries are kept; older ones are removed when a new one is stored.
    static let capacity = 6

    public init(_ repository: GitKit.Repository) {
        folder = repository.gitDirectory + "/orgsync/cache"
    }

    /// What identifies this build of orgsync: a summary made by another build is not trusted, since its
    /// rules may differ.
    static let build: String = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return "unknown" }
        return "\(info.st_dev).\(info.st_ino).\(info.st_size).\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }()

    private func path(_ tree: ObjectID) -> String { folder + "/" + tree.hex + ".summary" }

    /// What an entry starts with: what it is, the build that made it and its tree; then its digest.
    private static func header(_ tree: ObjectID) -> [UInt8] {
        Array("orgsync state summary\nbuild \(build)\ntree \(tree.hex)\n".utf8)
    }

    private static func header(_ tree: ObjectID, digest: String) -> [UInt8] {
        header(tree) + Array("sha256 \(digest)\n".utf8)
    }

    private static func digest(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBytes { SHA256.hash(data: $0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// The summary stored for `tree`, when there is one this build can trust. An entry that cannot be
    /// trusted is removed, so that the next validation of the tree stores a good one.
    public func summary(of tree: ObjectID) -> StateSummary? {
        guard build != "unknown", let data = FileManager.default.contents(atPath: path(tree)) else { return nil }
        let bytes = [UInt8](data)
        // The header has four lines; the payload follows.
        var newlines = 0
        let end = bytes.firstIndex { byte in
            if byte == UInt8(ascii: "\n") { newlines += 1 }
            return newlines == 4
        }
        guard let end, bytes[...end].elementsEqual(Self.header(tree, digest: Self.digest(bytes[(end + 1)...]))),
              let summary = StateSummary(encoded: Array(bytes[(end + 1)...])) else {
            unlink(path(tree))
            return nil
        }
        return summary
    }

    /// Whether this build has stored an entry for `tree` (which may still turn out damaged when read).
    func hasEntry(for tree: ObjectID) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path(tree)) else { return false }
        defer { try? handle.close() }
        let start = Self.header(tree)
        return (try? handle.read(upToCount: start.count)).map { [UInt8]($0) == start } ?? false
    }

    /// Stores `summary` for `tree`, atomically; a cache that cannot be written is no error, only slower.
    public func store(_ summary: StateSummary, for tree: ObjectID) {
        guard build != "unknown", !hasEntry(for: tree) else { return }
        let payload = summary.encoded()
        let bytes = Self.header(tree, digest: Self.digest(payload[...])) + payload
        let target = path(tree)
        let temporary = target + ".\(getpid()).tmp"
        guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil,
              FileManager.default.createFile(atPath: temporary, contents: Data(bytes)),
              rename(temporary, target) == 0 else {
            unlink(temporary)
            return
        }
        prune(keeping: target)
    }

    /// Removes all but the most recent entries, and what a killed process left half-written.
    private func prune(keeping kept: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasSuffix(".tmp") { unlink(folder + "/" + name) }
        let entries: [(path: String, modified: Int)] = names.filter { $0.hasSuffix(".summary") }.compactMap { name in
            var info = stat()
            let path = folder + "/" + name
            guard stat(path, &info) == 0 else { return nil }
            return (path, info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec)
        }
        for entry in entries.sorted(by: { $0.modified > $1.modified }).dropFirst(Self.capacity) where entry.path != kept {
            unlink(entry.path)
        }
    }

    var build: String { Self.build }

    /// The id of the organization's folder in `tree`: the tree itself, or its subfolder `prefix` (`path/`).
    static func organizationTree(_ tree: ObjectID, prefix: String, in repository: GitKit.Repository) -> ObjectID? {
        prefix.isEmpty ? tree : try? repository.subtree(String(prefix.dropLast()), of: tree)
    }

    /// The full id of the commit `revision` names in the repository around `reader`'s folder.
    public static func commit(_ revision: String, in reader: StateReader) throws(OrgSyncError) -> String {
        do {
            return try reader.repository().resolveCommit(revision).hex
        } catch let error as OrgSyncError {
            throw error
        } catch {
            throw OrgSyncError.git("unknown revision '\(revision)'", error)
        }
    }

    /// Keeps the summary of `report`, the validation of the commit `commit` (a full id), when it is clean.
    /// The repository is opened only now, after the validation, so that it holds no memory meanwhile.
    public static func remember(_ report: ValidationReport, of commit: String, in reader: StateReader) {
        guard let summary = StateSummary(report), let repository = try? reader.repository(),
              let id = ObjectID(hex: commit), let tree = try? repository.commit(id).tree,
              let key = organizationTree(tree, prefix: reader.prefix(in: repository), in: repository) else { return }
        StateCache(repository).store(summary, for: key)
    }
}
