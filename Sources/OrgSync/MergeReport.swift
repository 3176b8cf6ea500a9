import Foundation
import GitKit
import OrgModel

/// The conflicts and violations of the merge in progress, kept in `.git/orgsync/merge.json` apart from
/// the organization's files (SPEC M6), each with an id that `orgsync resolve` takes.
public struct MergeReport: Codable, Sendable, Equatable {
    public struct Conflict: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        /// The organization path.
        public var path: String
        /// The field, as `FieldPath.encoded`; empty for the whole file.
        public var field: [String]
        public var base: String?
        public var ours: String?
        public var theirs: String?
        /// The side the merged file holds now.
        public var kept: String
        /// The sides `--take` accepts.
        public var takeable: [String]
        public var message: String
        /// For conflicts the merge driver found: the blob ids of the three versions it was given, which tie
        /// the conflict to the merge git then records in `MERGE_HEAD`.
        public var inputs: [String: String]?

        public var fieldPath: FieldPath { FieldPath(encoded: field) ?? FieldPath() }

        /// Where it is, for people: `workspaces/a.yaml: name`, or just the path for a whole file.
        public var location: String { field.isEmpty ? path : "\(path): \(fieldPath)" }

        init(id: String, _ conflict: MergeConflict, inputs: [String: String]? = nil) {
            self.id = id
            kind = conflict.kind.rawValue
            path = conflict.path
            field = conflict.field.encoded
            base = conflict.base
            ours = conflict.ours
            theirs = conflict.theirs
            kept = conflict.kept.rawValue
            takeable = conflict.takeable.map(\.rawValue)
            message = conflict.message
            self.inputs = inputs
        }
    }

    public struct Violation: Codable, Sendable, Equatable {
        public struct Cause: Codable, Sendable, Equatable {
            public var kind: String
            public var id: String
            public var side: String
            public var path: String
            public var summary: String
            public var droppable: Bool
            /// The remote-tracking branch that already has it, for our events and records that are published.
            public var publishedOn: String?
        }

        public var id: String
        public var key: String
        public var rule: String
        public var message: String
        public var path: String
        public var line: Int
        public var column: Int
        public var causes: [Cause]
        public var fixes: [String]

        init(id: String, _ violation: MergeViolation) {
            self.id = id
            key = violation.key
            rule = violation.diagnostic.rule.rawValue
            message = violation.diagnostic.message
            path = violation.diagnostic.location.path
            line = violation.diagnostic.location.line
            column = violation.diagnostic.location.column
            causes = violation.causes.map {
                Cause(kind: $0.kind.rawValue, id: $0.id, side: $0.side.rawValue, path: $0.path, summary: $0.summary, droppable: $0.isDroppable, publishedOn: nil)
            }
            fixes = violation.fixes
        }

        /// The diagnostic it stands for, at `path:line:column`.
        public var location: SourceLocation { SourceLocation(path: path, line: line, column: column) }
    }

    public var version = 1
    /// HEAD when the merge started: the commit the merge goes onto.
    public var head: String
    /// The commit being merged in (`MERGE_HEAD`); nil while only the merge driver has written the report.
    public var theirs: String?
    /// The organization's folder in the repository, as `path/`; empty at the root.
    public var prefix: String
    public var conflicts: [Conflict] = []
    public var violations: [Violation] = []
    /// The number of the next id handed out, so that ids are never reused within a merge.
    public var nextNumber = 1

    public var isSettled: Bool { conflicts.isEmpty && violations.isEmpty }

    init(head: ObjectID, theirs: ObjectID?, prefix: String) {
        self.head = head.hex
        self.theirs = theirs?.hex
        self.prefix = prefix
    }

    mutating func add(_ conflict: MergeConflict, inputs: [String: String]? = nil) {
        conflicts.removeAll { $0.path == conflict.path && $0.field == conflict.field.encoded }
        conflicts.append(Conflict(id: "C\(nextNumber)", conflict, inputs: inputs))
        nextNumber += 1
    }

    /// Replaces the violations with `found`, keeping the id of each one already reported.
    /// Replaces the violations with `found`. One already reported keeps its id: the same causes, or else the
    /// same rule broken in the same file (the same overdraw, smaller after one of its events was dropped).
    mutating func update(violations found: [MergeViolation]) {
        let byKey = Dictionary(violations.map { ($0.key, $0.id) }, uniquingKeysWith: { first, _ in first })
        var byPlace = Dictionary(violations.map { ("\($0.rule)|\($0.path)", $0.id) }, uniquingKeysWith: { first, _ in first })
        var taken = Set<String>()
        violations = found.map { violation in
            let place = "\(violation.diagnostic.rule)|\(violation.diagnostic.location.path)"
            if let id = byKey[violation.key] ?? byPlace[place], !taken.contains(id) {
                taken.insert(id)
                byPlace[place] = nil
                return Violation(id: id, violation)
            }
            defer { nextNumber += 1 }
            return Violation(id: "V\(nextNumber)", violation)
        }
    }

    // MARK: Storage

    /// Marks our events and records that a remote-tracking branch already has as published: they are not
    /// ours to drop (the server keeps every event its branch has).
    mutating func markPublished(in repository: GitKit.Repository) {
        let published = PublishedBranches(repository)
        guard !published.tips.isEmpty else { return }
        for v in violations.indices {
            for c in violations[v].causes.indices where violations[v].causes[c].side == MergeSide.ours.rawValue && violations[v].causes[c].kind != "file" {
                let cause = violations[v].causes[c]
                let branch = published.branch(having: prefix + cause.path) { entry in
                    // For a usage file: is this record in it?
                    cause.kind != "record" || (try? repository.blob(entry.blob)).map { String(decoding: $0, as: UTF8.self).contains("\"id\":\"\(cause.id)\"") } == true
                }
                guard let branch else { continue }
                violations[v].causes[c].publishedOn = branch
                violations[v].causes[c].droppable = false
            }
        }
    }

    static func path(in repository: GitKit.Repository) -> String { repository.gitDirectory + "/orgsync/merge.json" }

    /// The report on disk, whatever merge it belongs to; nil when there is none or it cannot be read.
    static func stored(in repository: GitKit.Repository) -> MergeReport? {
        guard let data = FileManager.default.contents(atPath: path(in: repository)) else { return nil }
        return try? JSONDecoder().decode(MergeReport.self, from: data)
    }

    func save(in repository: GitKit.Repository) throws(OrgSyncError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw OrgSyncError(.environment, "cannot encode the merge report: \(error)")
        }
        try AtomicFile.write([UInt8](data) + [UInt8(ascii: "\n")], to: Self.path(in: repository))
    }

    static func remove(in repository: GitKit.Repository) {
        unlink(path(in: repository))
    }

    /// The commit a merge, cherry-pick, revert or rebase in progress brings in, as git records it; nil
    /// when none is in progress.
    static func incoming(in repository: GitKit.Repository) -> ObjectID? {
        for name in ["MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "REBASE_HEAD"] {
            if let text = try? String(contentsOfFile: repository.gitDirectory + "/" + name, encoding: .utf8),
               let first = text.split(whereSeparator: \.isNewline).first, let id = ObjectID(hex: String(first)) {
                return id
            }
        }
        return nil
    }
}

/// What is published: the remote-tracking branches (`refs/remotes/*`, not their `HEAD`), as the last fetch
/// left them.
struct PublishedBranches {
    let repository: GitKit.Repository
    let tips: [ReferenceTarget]

    init(_ repository: GitKit.Repository) {
        self.repository = repository
        tips = ((try? repository.references()) ?? []).filter { $0.name.hasPrefix("refs/remotes/") && !$0.name.hasSuffix("/HEAD") }
    }

    /// The first remote-tracking branch (`origin/main`) whose tree has `path`, with an entry `accept` takes.
    func branch(having path: String, where accept: (TreeEntryVersion) -> Bool = { _ in true }) -> String? {
        for tip in tips {
            if let entry = try? repository.entry(at: path, in: tip.commit), accept(entry) {
                return String(tip.name.dropFirst("refs/remotes/".count))
            }
        }
        return nil
    }
}
