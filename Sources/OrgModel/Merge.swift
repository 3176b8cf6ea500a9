/// One side of a three-way merge: `ours` is the branch being merged into (HEAD), `theirs` the one merged in.
public enum MergeSide: String, Sendable, Hashable, CaseIterable {
    case ours, theirs

    public var other: MergeSide { self == .ours ? .theirs : .ours }
}

/// The same thing set to different values on the two sides of a merge (SPEC M1, M2, M4). The merged file
/// keeps `kept`'s value (ours, except where a deletion wins) until `orgsync resolve` settles it.
public struct MergeConflict: Sendable, Hashable, Comparable {
    public enum Kind: String, Sendable, Hashable {
        /// A field, or an item of a keyed list, set differently on each side.
        case field
        /// A ledger event file written with different contents under one id.
        case event
        /// A usage record written with different contents under one id.
        case record
        /// A workspace deleted on one side and edited on the other (M4).
        case deleteEdit = "delete-edit"
        /// A file that cannot be merged field by field: removed on one side and changed on the other,
        /// unreadable on a side, or outside the organization.
        case file
        /// A file whose merge breaks a rule on its own (it does not read, or a key, value or secret in it is
        /// refused): the merge driver writes it as merged, to be fixed by hand or settled by taking a side.
        case invalid
    }

    public var kind: Kind
    public var path: String
    /// The field, the item (`members[bo]`) or the record (`[record-id]`); empty for the whole file.
    public var field: FieldPath
    /// Each side's value: compact JSON for fields, the JSON line for records, the file's text for files;
    /// nil where the side has no value (absent field, removed file).
    public var base: String?
    public var ours: String?
    public var theirs: String?
    /// The side whose value the merged file holds.
    public var kept: MergeSide
    /// What happened, in a sentence.
    public var message: String

    public static func < (lhs: MergeConflict, rhs: MergeConflict) -> Bool {
        (lhs.path, lhs.field.description) < (rhs.path, rhs.field.description)
    }

    /// The sides `orgsync resolve --take` may choose. A deletion cannot be undone, so a delete/edit
    /// conflict settles only for the deleting side. An event or record id written twice settles for
    /// theirs, which may be published already: our event is made again under a new id, our record goes.
    public var takeable: [MergeSide] {
        switch kind {
        case .deleteEdit: return [kept]
        case .event, .record: return [.theirs]
        case .field, .file, .invalid: return MergeSide.allCases
        }
    }
}

/// The merge of one file: its bytes (nil when the merged tree has no such file) and its conflicts.
public struct FileMerge: Sendable, Equatable {
    public var bytes: [UInt8]?
    public var conflicts: [MergeConflict]
    public init(bytes: [UInt8]?, conflicts: [MergeConflict]) {
        self.bytes = bytes
        self.conflicts = conflicts
    }
}

/// The merge of two organizations: the merged files, the conflicts, and the invariants the merged
/// state breaks (violations, SPEC M3).
public struct MergeResult: Sendable {
    public var merged: Snapshot
    public var conflicts: [MergeConflict]
    public var violations: [MergeViolation]
    public var isClean: Bool { conflicts.isEmpty && violations.isEmpty }
}

/// The semantic three-way merge of organization snapshots (SPEC §5). Pure: the git merge driver, `orgsync
/// merge` and the tests all call these functions.
public enum OrgMerge {
    /// Merges `ours` and `theirs`, both descended from `base`: every file with `mergeFile`, then the merged
    /// state is replayed and checked for violations.
    public static func merge(base: OrgState, ours: OrgState, theirs: OrgState) -> MergeResult {
        var merged = Snapshot()
        var conflicts: [MergeConflict] = []
        let paths = Set(base.snapshot.entries.keys).union(ours.snapshot.entries.keys).union(theirs.snapshot.entries.keys)
        for path in paths {
            let b = base.snapshot.entries[path], o = ours.snapshot.entries[path], t = theirs.snapshot.entries[path]
            if let whole = wholeEntry(base: b, ours: o, theirs: t) {
                merged.entries[path] = whole.entry
                continue
            }
            if [b, o, t].contains(where: { $0.map { $0.kind != .file } ?? false }) {
                // A link or submodule changed on both sides: nothing to merge field by field.
                merged.entries[path] = o
                conflicts.append(MergeConflict(kind: .file, path: path, field: FieldPath(), base: nil, ours: nil, theirs: nil, kept: .ours,
                                               message: "changed on both sides, and a version is a link or a submodule, which an organization does not hold"))
                continue
            }
            let result = mergeFile(path: path, base: b?.bytes, ours: o?.bytes, theirs: t?.bytes)
            if let bytes = result.bytes { merged.entries[path] = Snapshot.Entry(bytes: bytes) }
            conflicts += result.conflicts
        }
        let state = OrgState(merged)
        return MergeResult(merged: merged, conflicts: conflicts.sorted(),
                           violations: violations(base: base, ours: ours, theirs: theirs, merged: state))
    }

    /// The entry when the three versions need no merging: both sides agree, or only one side changed it.
    /// Entries that are not regular files (links, submodules) are only ever taken whole.
    private static func wholeEntry(base: Snapshot.Entry?, ours: Snapshot.Entry?, theirs: Snapshot.Entry?) -> (entry: Snapshot.Entry?, Void)? {
        func same(_ a: Snapshot.Entry?, _ b: Snapshot.Entry?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (let a?, let b?): return a.kind == b.kind && a.bytes == b.bytes
            default: return false
            }
        }
        if same(ours, theirs) || same(theirs, base) { return (ours, ()) }
        if same(ours, base) { return (theirs, ()) }
        return nil
    }

    // MARK: One file

    /// Merges one file's three versions (nil: the version has no such file). What git's merge driver does
    /// for one path (`%O %A %B %P`), and what `orgsync merge` does for each path changed on both sides.
    ///
    /// - If only one side changed the file, its bytes are taken as they are (M5).
    /// - Entity files merge field by field; keyed lists item by item; `settings` key by key (M1).
    /// - Usage files are the union of their records by id; ledger events are immutable, so one id written
    ///   twice differently is a conflict (M2).
    /// - A workspace deleted on one side and edited on the other is a conflict, unless the edit only removes
    ///   members or keys, which the deletion removes too (M4).
    /// - Conflicted values keep ours; the file stays parseable, with no markers (M6).
    public static func mergeFile(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) -> FileMerge {
        if ours == theirs || theirs == base { return FileMerge(bytes: ours, conflicts: []) }
        if ours == base { return FileMerge(bytes: theirs, conflicts: []) }
        let parts = path.split(separator: "/")
        if Snapshot.isOrganizationPath(path), parts.first == "usage", path.hasSuffix(".jsonl") {
            if let merged = mergeUsage(path: path, base: base, ours: ours, theirs: theirs) { return merged }
        } else if Snapshot.isOrganizationPath(path), parts.first != "ledger", let format = FileFormat(path: path) {
            if let merged = mergeEntity(path: path, format: format, base: base, ours: ours, theirs: theirs) { return merged }
        }
        return wholeFileConflict(path: path, base: base, ours: ours, theirs: theirs)
    }

    /// `mergeFile`, then the file it writes checked on its own, as git's merge driver needs: the driver sees one
    /// file, not the merged organization. A merged file that breaks a rule by itself (syntax, schema, ids,
    /// layout, secrets) adds an `.invalid` conflict that names each problem, unless a whole-file conflict
    /// already keeps our version.
    public static func mergeFileChecked(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) -> FileMerge {
        var result = mergeFile(path: path, base: base, ours: ours, theirs: theirs)
        guard Snapshot.isOrganizationPath(path), let written = result.bytes,
              !result.conflicts.contains(where: { $0.field.steps.isEmpty }) else { return result }
        let problems = Validator.fileDiagnostics(written, path: path).filter { $0.severity == .error }
        guard !problems.isEmpty else { return result }
        let kept: MergeSide = written == theirs && written != ours ? .theirs : .ours
        result.conflicts.append(MergeConflict(kind: .invalid, path: path, field: FieldPath(), base: text(base), ours: text(ours), theirs: text(theirs),
                                              kept: kept, message: "the merged file breaks \(rules(problems.count)) on its own: \(list(problems))"))
        return result
    }

    private static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    private static func rules(_ count: Int) -> String { count == 1 ? "a rule" : "\(count) rules" }

    /// Problems for a conflict's message: `path:line:column: [RULE] message`, the first five of them.
    private static func list(_ problems: [Diagnostic]) -> String {
        var items = problems.prefix(5).map { "\($0.location): [\($0.rule)] \($0.message)" }
        if problems.count > 5 { items.append("and \(problems.count - 5) more ('orgsync validate' lists them)") }
        return items.joined(separator: "; ")
    }

    /// What is wrong with each side's version on its own, for a whole-file conflict's message: "their version
    /// breaks a rule on its own: …"; empty when both read and are valid by themselves.
    private static func sideProblems(path: String, ours: [UInt8]?, theirs: [UInt8]?) -> String {
        guard Snapshot.isOrganizationPath(path) else { return "" }
        var out: [String] = []
        for (side, bytes) in [(MergeSide.theirs, theirs), (.ours, ours)] {
            guard let bytes else { continue }
            let problems = Validator.fileDiagnostics(bytes, path: path).filter { $0.severity == .error }
            if !problems.isEmpty { out.append("\(side == .ours ? "our" : "their") version breaks \(rules(problems.count)) on its own: \(list(problems))") }
        }
        return out.joined(separator: "; ")
    }

    private static func wholeFileConflict(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) -> FileMerge {
        let kind: MergeConflict.Kind = path.hasPrefix("ledger/") && Snapshot.isOrganizationPath(path) && base == nil && ours != nil && theirs != nil ? .event : .file
        var message: String
        let problems = sideProblems(path: path, ours: ours, theirs: theirs)
        switch (ours, theirs) {
        case (nil, _): message = "removed on our side and changed on theirs"
        case (_, nil): message = "changed on our side and removed on theirs"
        default:
            let what = base == nil ? "added on both sides with different contents" : "changed on both sides"
            if kind == .event {
                message = "both sides wrote ledger event \(path.split(separator: "/").last.map { String($0.prefix { $0 != "." }) } ?? path) with different contents; one id is one event, so theirs stays and ours is made again under a new id"
            } else if !Snapshot.isOrganizationPath(path) {
                message = "changed on both sides; it is not an organization file, so merge it with git"
            } else if !problems.isEmpty {
                message = "\(what), and cannot be merged field by field"
            } else if path.hasPrefix("ledger/") {
                message = "\(what); a ledger event never changes (T1), so keep the version that was published and make any correction a new event"
            } else {
                message = "\(what), and one version cannot be read field by field"
            }
        }
        if !problems.isEmpty { message += ": \(problems)" }
        let conflict = MergeConflict(kind: kind, path: path, field: FieldPath(), base: text(base), ours: text(ours), theirs: text(theirs),
                                     kept: .ours, message: message)
        return FileMerge(bytes: ours, conflicts: [conflict])
    }

    // MARK: Entity files

    private static func mergeEntity(path: String, format: FileFormat, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) -> FileMerge? {
        // A removed entity file (against a changed one) is not a field edit.
        guard let ours, let theirs,
              let oursTree = DocumentTree.parse(ours, format: format, path: path),
              let theirsTree = DocumentTree.parse(theirs, format: format, path: path) else { return nil }
        let baseTree: DocumentTree?
        if let base {
            guard let parsed = DocumentTree.parse(base, format: format, path: path) else { return nil }
            baseTree = parsed
        } else {
            baseTree = nil
        }
        // The same meaning, written differently: keep ours as it is.
        if oursTree == theirsTree || theirsTree == baseTree { return FileMerge(bytes: ours, conflicts: []) }
        if oursTree == baseTree { return FileMerge(bytes: theirs, conflicts: []) }

        if path.hasPrefix("workspaces/"), let baseTree, baseTree["deleted"] == nil,
           (oursTree["deleted"] == nil) != (theirsTree["deleted"] == nil) {
            let deleting: MergeSide = oursTree["deleted"] != nil ? .ours : .theirs
            let edit = deleting == .ours ? theirsTree : oursTree
            let kept = deleting == .ours ? ours : theirs
            if onlyRemovesMembersOrKeys(base: baseTree, edited: edit) { return FileMerge(bytes: kept, conflicts: []) }
            let id = path.split(separator: "/").last.map { String($0.prefix { $0 != "." }) } ?? path
            let conflict = MergeConflict(kind: .deleteEdit, path: path, field: FieldPath(), base: text(base), ours: text(ours), theirs: text(theirs),
                                         kept: deleting,
                                         message: "workspace '\(id)' was deleted on \(deleting == .ours ? "our" : "their") side and edited on \(deleting == .ours ? "theirs" : "ours"); a deletion is permanent, so the merge keeps the tombstone and the edit is not applied")
            return FileMerge(bytes: kept, conflicts: [conflict])
        }

        var conflicts: [MergeConflict] = []
        var context = FieldMerge(path: path, conflicts: [])
        let merged = context.merge(base: baseTree, ours: oursTree, theirs: theirsTree, at: FieldPath(), names: [])
        conflicts = context.conflicts
        guard let merged else { return FileMerge(bytes: nil, conflicts: conflicts) }
        return FileMerge(bytes: render(merged, path: path, format: format), conflicts: conflicts)
    }

    /// Whether `edited` differs from `base` only by members or keys it no longer lists.
    private static func onlyRemovesMembersOrKeys(base: DocumentTree, edited: DocumentTree) -> Bool {
        guard case .map(let baseFields) = base, case .map(let editedFields) = edited else { return false }
        var rest = Set(editedFields.map(\.key))
        for field in baseFields {
            let now = edited[field.key]
            rest.remove(field.key)
            if now == field.value { continue }
            guard field.key == "members" || field.key == "keys", case .list(let before) = field.value else { return false }
            let after: [DocumentTree]
            switch now {
            case .list(let items)?: after = items
            case nil, .null?: after = []
            default: return false
            }
            // Every remaining item is one of the base's, unchanged.
            guard after.allSatisfy({ before.contains($0) }) else { return false }
        }
        return rest.isEmpty
    }

    /// The canonical bytes of a merged entity: decoded and written the way orgsync writes that entity, so
    /// the merge of two canonical files is canonical. A tree the decoder refuses is written as it is, and
    /// validation reports what is wrong with it.
    static func render(_ tree: DocumentTree, path: String, format: FileFormat) -> [UInt8] {
        let plain = Array(CanonicalYAML.render(tree.yaml, as: format).utf8)
        let (org, diagnostics) = Organization.load(Snapshot(entries: [path: Snapshot.Entry(bytes: plain)]))
        guard !diagnostics.contains(where: { $0.severity == .error && $0.location.path == path }) else { return plain }
        let node: YAMLNode?
        if path.hasPrefix("workspaces/") {
            node = org.workspaces.first?.yaml
        } else if path.hasPrefix("members/") {
            node = org.members.first?.yaml
        } else if path.hasPrefix("providers.") {
            node = ProviderKey.yaml(org.providerKeys)
        } else if path.hasPrefix("org."), let config = org.config {
            node = config.yaml
        } else {
            node = nil
        }
        return node.map { Array(CanonicalYAML.render($0, as: format).utf8) } ?? plain
    }

    // MARK: Settling

    /// `current` with the value at `field` set to `value` (compact JSON, as conflicts hold it; nil removes
    /// it), written canonically. Nil when the file or the value cannot be read, or the file has no such place.
    public static func setting(_ field: FieldPath, to value: String?, in current: [UInt8], path: String) -> [UInt8]? {
        guard let format = FileFormat(path: path), let tree = DocumentTree.parse(current, format: format, path: path) else { return nil }
        var chosen: DocumentTree?
        if let value {
            guard let parsed = DocumentTree(json: value) else { return nil }
            chosen = parsed
        }
        return tree.setting(field, to: chosen, path: path).map { render($0, path: path, format: format) }
    }

    /// Our version of an event whose id both sides used, under a new id: its new id, path and canonical bytes.
    /// The event keeps its `at` unless `newTime` is given (a re-stamp, SPEC S3), and the new id is greater
    /// than its old one and than `floor`. Nil when the event does not read.
    public static func reissue(event bytes: [UInt8], path: String, at newTime: Timestamp? = nil, after floor: String? = nil) -> (id: String, path: String, bytes: [UInt8])? {
        guard let format = FileFormat(path: path), var tree = DocumentTree.parse(bytes, format: format, path: path),
              let text = tree["at"]?.text, let old = try? Timestamp(parsing: text) else { return nil }
        var ids = ULIDGenerator()
        if let previous = [tree["id"]?.text, floor].compactMap({ $0 }).max() { ids.resume(after: previous) }
        let at = newTime ?? old
        let id = ids.next(at: at)
        if at != old {
            guard let moved = tree.setting(FieldPath([.key("at")]), to: .scalar(at.description, quoted: false), path: path) else { return nil }
            tree = moved
        }
        guard let renamed = tree.setting(FieldPath([.key("id")]), to: .scalar(id, quoted: false), path: path) else { return nil }
        // An event's folder is its month: a later time may be a later month.
        let folder = at == old ? path.split(separator: "/").dropLast().joined(separator: "/")
                               : String(LedgerEvent.path(id: id, at: at).split(separator: "/").dropLast().joined(separator: "/"))
        let newPath = "\(folder)/\(id).\(format == .json ? "json" : "yaml")"
        return (id, newPath, render(renamed, path: newPath, format: format))
    }

    /// A usage file's bytes without the line of record `id`.
    public static func removingRecord(_ id: String, from bytes: [UInt8], path: String) -> [UInt8] {
        guard let file = UsageFilePath(path) else { return bytes }
        let drop = Set(UsageRecord.decodeFile(bytes, file: file, path: path).records.filter { $0.id == id }.map(\.location.line))
        var out: [UInt8] = []
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
            where !drop.contains(number + 1) && !line.isEmpty {
            out += line + [UInt8(ascii: "\n")]
        }
        return out
    }

    // MARK: Usage files

    /// The union of three versions of a usage file by record id: the base's lines in their order, as each
    /// side left them, then the records the sides added, by `(at, id)`. Nil when a version does not read.
    private static func mergeUsage(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) -> FileMerge? {
        guard let file = UsageFilePath(path), let ours, let theirs else { return nil }
        func lines(_ bytes: [UInt8]?) -> [(id: String, at: Timestamp, line: [UInt8])]? {
            guard let bytes else { return [] }
            let (records, problems) = UsageRecord.decodeFile(bytes, file: file, path: path)
            guard !problems.contains(where: { $0.severity == .error }) else { return nil }
            let rawLines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            var out: [(String, Timestamp, [UInt8])] = []
            for record in records {
                let index = record.location.line - 1
                guard rawLines.indices.contains(index) else { return nil }
                out.append((record.id, record.at, Array(rawLines[index])))
            }
            return out
        }
        guard let baseLines = lines(base), let oursLines = lines(ours), let theirsLines = lines(theirs) else { return nil }
        let oursByID = Dictionary(oursLines.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let theirsByID = Dictionary(theirsLines.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let baseIDs = Set(baseLines.map(\.id))
        var out: [[UInt8]] = []
        var conflicts: [MergeConflict] = []
        func choose(_ id: String, _ b: [UInt8]?, _ o: [UInt8]?, _ t: [UInt8]?) -> [UInt8]? {
            if o == t || t == b { return o }
            if o == b { return t }
            conflicts.append(MergeConflict(kind: .record, path: path, field: FieldPath([.item(id)]), base: text(b), ours: text(o), theirs: text(t),
                                           kept: .ours, message: "usage record '\(id)' was written differently on each side; one id is one record, so theirs stays"))
            return o
        }
        for line in baseLines {
            if let kept = choose(line.id, line.line, oursByID[line.id]?.line, theirsByID[line.id]?.line) { out.append(kept) }
        }
        var added: [String: (at: Timestamp, line: [UInt8]?)] = [:]
        for line in oursLines + theirsLines where !baseIDs.contains(line.id) && added[line.id] == nil {
            let o = oursByID[line.id], t = theirsByID[line.id]
            added[line.id] = ((o ?? t)?.at ?? line.at, choose(line.id, nil, o?.line, t?.line))
        }
        for (_, entry) in added.sorted(by: { ($0.value.at, $0.key) < ($1.value.at, $1.key) }) {
            if let line = entry.line { out.append(line) }
        }
        let bytes = out.isEmpty ? [] : Array(out.joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
        return FileMerge(bytes: bytes, conflicts: conflicts)
    }
}

/// The field-by-field merge of one entity file's trees, collecting conflicts.
private struct FieldMerge {
    let path: String
    var conflicts: [MergeConflict]

    /// The merged value (nil: absent) of `base`, `ours` and `theirs` at `field`.
    mutating func merge(base: DocumentTree?, ours: DocumentTree?, theirs: DocumentTree?, at field: FieldPath, names: [String]) -> DocumentTree? {
        var (base, ours, theirs) = (base, ours, theirs)
        if case .item? = field.steps.last {} else if !names.isEmpty, MergeSchema.list(in: path, at: names) != .value,
            [base, ours, theirs].contains(where: { if case .list? = $0 { return true } else { return false } }) {
            // A keyed list or set that a side leaves out is an empty one: its items were removed one by one.
            func listed(_ value: DocumentTree?) -> DocumentTree? {
                switch value {
                case nil, .null?: return .list([])
                default: return value
                }
            }
            (base, ours, theirs) = (listed(base), listed(ours), listed(theirs))
        }
        if ours == theirs || theirs == base { return ours }
        if ours == base { return theirs }
        switch (ours, theirs) {
        case (.map(let o)?, .map(let t)?):
            var baseFields: [DocumentTree.Field] = []
            if case .map(let fields)? = base { baseFields = fields }
            return .map(mergeMaps(base: baseFields, ours: o, theirs: t, at: field, names: names))
        case (.list(let o)?, .list(let t)?):
            var baseItems: [DocumentTree]? = nil
            if case .list(let items)? = base { baseItems = items }
            switch MergeSchema.list(in: path, at: names) {
            case .keyed(let key):
                if let merged = mergeKeyed(base: baseItems ?? [], ours: o, theirs: t, key: key, at: field, names: names) { return .list(merged) }
            case .set:
                if let merged = mergeSet(base: baseItems ?? [], ours: o, theirs: t) { return .list(merged) }
            case .value:
                break
            }
        default:
            break
        }
        conflicts.append(MergeConflict(kind: .field, path: path, field: field, base: base?.json, ours: ours?.json, theirs: theirs?.json, kept: .ours,
                                       message: describe(field: field, base: base, ours: ours, theirs: theirs)))
        return ours
    }

    private func describe(field: FieldPath, base: DocumentTree?, ours: DocumentTree?, theirs: DocumentTree?) -> String {
        let what: String
        if case .item(let id)? = field.steps.last { what = "'\(id)' in \(FieldPath(field.steps.dropLast()))" } else { what = "\(field)" }
        switch (ours, theirs) {
        case (nil, _): return "\(what) was removed on our side and changed on theirs"
        case (_, nil): return "\(what) was changed on our side and removed on theirs"
        default: return base == nil ? "\(what) was added on both sides with different values" : "\(what) was changed on both sides to different values"
        }
    }

    private mutating func mergeMaps(base: [DocumentTree.Field], ours: [DocumentTree.Field], theirs: [DocumentTree.Field], at field: FieldPath, names: [String]) -> [DocumentTree.Field] {
        var keys = ours.map(\.key)
        for key in base.map(\.key) + theirs.map(\.key) where !keys.contains(key) { keys.append(key) }
        func value(_ fields: [DocumentTree.Field], _ key: String) -> DocumentTree? { fields.first { $0.key == key }?.value }
        var out: [DocumentTree.Field] = []
        for key in keys {
            if let merged = merge(base: value(base, key), ours: value(ours, key), theirs: value(theirs, key),
                                  at: field.appending(.key(key)), names: names + [key]) {
                out.append(DocumentTree.Field(key: key, value: merged))
            }
        }
        return out
    }

    /// Items by their key: the base's order, then added items by key. Nil when an item has no key.
    private mutating func mergeKeyed(base: [DocumentTree], ours: [DocumentTree], theirs: [DocumentTree], key: String, at field: FieldPath, names: [String]) -> [DocumentTree]? {
        func keyed(_ items: [DocumentTree]) -> [String: DocumentTree]? {
            var out: [String: DocumentTree] = [:]
            for item in items {
                guard let id = item[key]?.text, out[id] == nil else { return nil }
                out[id] = item
            }
            return out
        }
        guard let b = keyed(base), let o = keyed(ours), let t = keyed(theirs) else { return nil }
        var ids = base.compactMap { $0[key]?.text }
        ids += Set(o.keys).union(t.keys).subtracting(ids).sorted()
        var out: [DocumentTree] = []
        for id in ids {
            if let merged = merge(base: b[id], ours: o[id], theirs: t[id], at: field.appending(.item(id)), names: names) { out.append(merged) }
        }
        return out
    }

    /// Scalars as a set: the base's that neither side removed, then the additions, sorted. Nil for non-scalars.
    private func mergeSet(base: [DocumentTree], ours: [DocumentTree], theirs: [DocumentTree]) -> [DocumentTree]? {
        guard (base + ours + theirs).allSatisfy({ $0.text != nil }) else { return nil }
        let o = Set(ours), t = Set(theirs)
        var out = base.filter { o.contains($0) && t.contains($0) }
        var seen = Set(out)
        let added = (ours + theirs).filter { !base.contains($0) && seen.insert($0).inserted }
        out += added.sorted { ($0.text ?? "") < ($1.text ?? "") }
        return out
    }
}
