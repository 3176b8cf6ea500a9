import FuzzSupport
import FuzzerMain
import OrgModel

/// Fuzzes the three-way merge of one file (`OrgMerge.mergeFile`, and `mergeFileChecked`, what the git merge
/// driver runs). The input is split at 0xFF bytes (never part of UTF-8 text) into base, ours and theirs; a missing part is a
/// side without the file. Each triple is merged as a YAML workspace, a JSON workspace, a member, org.yaml,
/// providers.yaml, a ledger event and a usage file, and checked for what SPEC §5 and the merge promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = split(Array(UnsafeBufferPointer(start: data, count: size)), at: 0xFF, into: 3)
    for path in MergeTarget.paths {
        MergeTarget.check(path: path, base: parts[0], ours: parts[1], theirs: parts[2])
    }
    return 0
}

enum MergeTarget {
    static let paths = [
        "workspaces/chat-prod.yaml",
        "workspaces/chat-prod.json",
        "members/ana.yaml",
        "org.yaml",
        "providers.yaml",
        "ledger/2026/11/01JD0000000000000000000001.yaml",
        "usage/chat-prod/2026/11/05-gw-1.jsonl",
    ]

    static func check(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?) {
        let context = "merging \(path)"
        let forward = OrgMerge.mergeFile(path: path, base: base, ours: ours, theirs: theirs)

        // M8: merging a side with itself, or with the base, is the identity.
        for (a, b, expected) in [(ours, ours, ours), (base, ours, ours), (ours, base, ours), (theirs, theirs, theirs)] {
            let identity = OrgMerge.mergeFile(path: path, base: base, ours: a, theirs: b)
            require(identity.bytes == expected && identity.conflicts.isEmpty, "\(context): merging a side with itself or with the base is not the identity")
        }

        for conflict in forward.conflicts {
            require(conflict.path == path, "\(context): a conflict names \(conflict.path)")
            require(!conflict.message.isEmpty, "\(context): a conflict without a message")
            // M6: a conflicted value keeps ours, except that a deletion wins over an edit (M4).
            if conflict.kind != .deleteEdit { require(conflict.kept == .ours, "\(context): a \(conflict.kind) conflict keeps theirs") }
            if conflict.kind == .file || conflict.kind == .event {
                require(forward.bytes == ours, "\(context): a whole-file conflict does not keep our file as it is")
            }
        }

        // The merge driver's merge: the same file, and an `.invalid` conflict only for a written file that breaks
        // a rule on its own.
        let checked = OrgMerge.mergeFileChecked(path: path, base: base, ours: ours, theirs: theirs)
        require(checked.bytes == forward.bytes, "\(context): the merge driver writes other bytes than the merge")
        let added = checked.conflicts.filter { conflict in !forward.conflicts.contains(conflict) }
        require(checked.conflicts.count == forward.conflicts.count + added.count && added.allSatisfy { $0.kind == .invalid } && added.count <= 1,
                "\(context): the merge driver's conflicts are not the merge's, plus at most one invalid file: \(added)")
        if let written = checked.bytes, !forward.conflicts.contains(where: { $0.field.steps.isEmpty }) {
            let breaks = Validator.fileDiagnostics(written, path: path).contains { $0.severity == .error }
            require(breaks == !added.isEmpty, "\(context): the written file \(breaks ? "breaks" : "breaks no") rule on its own, and the merge driver \(added.isEmpty ? "does not say so" : "says it does")")
        } else {
            require(added.isEmpty, "\(context): an invalid-file conflict besides a whole-file conflict")
        }

        // M2: ledger events are immutable, so a ledger file both sides wrote differently is a conflict.
        if path.hasPrefix("ledger/"), ours != theirs, ours != base, theirs != base {
            require(!forward.conflicts.isEmpty && forward.bytes == ours, "\(context): an event both sides wrote differently merged without a conflict")
        }

        // M8: merge(a, b) equals merge(b, a) up to the naming of sides.
        let backward = OrgMerge.mergeFile(path: path, base: base, ours: theirs, theirs: ours)
        func named(_ conflicts: [MergeConflict], swapped: Bool) -> Set<String> {
            Set(conflicts.map { conflict in
                let (o, t) = swapped ? (conflict.theirs, conflict.ours) : (conflict.ours, conflict.theirs)
                return "\(conflict.kind) \(conflict.field) \(o ?? "<none>") \(t ?? "<none>")"
            })
        }
        require(named(forward.conflicts, swapped: false) == named(backward.conflicts, swapped: true),
                "\(context): the conflicts depend on which side is ours:\n  forward:  \(named(forward.conflicts, swapped: false).sorted())\n  backward: \(named(backward.conflicts, swapped: true).sorted())")
        if forward.conflicts.isEmpty {
            require((forward.bytes == nil) == (backward.bytes == nil), "\(context): one order of the sides removes the file and the other keeps it")
            if let a = forward.bytes, let b = backward.bytes, a != b {
                if let format = FileFormat(path: path) {
                    let (x, y) = (meaning(a, format: format, path: path), meaning(b, format: format, path: path))
                    require(x != nil && x == y, "\(context): the merge depends on which side is ours:\n--- forward:\n\(String(decoding: a, as: UTF8.self))\n--- backward:\n\(String(decoding: b, as: UTF8.self))")
                } else {
                    require(false, "\(context): the merged usage file depends on which side is ours:\n--- forward:\n\(String(decoding: a, as: UTF8.self))\n--- backward:\n\(String(decoding: b, as: UTF8.self))")
                }
            }
        }

        guard let merged = forward.bytes else { return }
        if let format = FileFormat(path: path) {
            // M6: when every version reads, so does the merge.
            let reads = { (bytes: [UInt8]?) -> Bool in bytes.map { meaning($0, format: format, path: path) != nil } ?? true }
            if reads(base), reads(ours), reads(theirs) {
                require(meaning(merged, format: format, path: path) != nil,
                        "\(context): every version reads, but the merge does not:\n\(String(decoding: merged, as: UTF8.self))")
            }
            // `orgsync resolve --take theirs` settles a field conflict in the merged file.
            for conflict in forward.conflicts where conflict.kind == .field {
                let settled = OrgMerge.setting(conflict.field, to: conflict.theirs, in: merged, path: path)
                require(settled != nil, "\(context): the conflict on \(conflict.field) cannot be settled for theirs (\(conflict.theirs ?? "removed")) in\n\(String(decoding: merged, as: UTF8.self))")
                if let settled {
                    require(meaning(settled, format: format, path: path) != nil, "\(context): settling \(conflict.field) writes a file that does not read:\n\(String(decoding: settled, as: UTF8.self))")
                }
            }
        } else {
            usage(path: path, base: base, ours: ours, theirs: theirs, merged: merged, conflicts: forward.conflicts)
        }
    }

    // MARK: Usage files

    /// The records of a usage file when it reads without an error and holds each record id once, by the
    /// validator of a repository that holds only it.
    static func records(_ bytes: [UInt8], path: String) -> [UsageRecord]? {
        let report = Validator.validate(Snapshot(entries: [path: Snapshot.Entry(bytes: bytes)]))
        let formatRules: Set<RuleID> = [.syntax, .schema, .layout, .duplicate, .f(1), .f(2), .f(3), .f(4), .f(6)]
        guard !report.diagnostics.contains(where: { $0.location.path == path && formatRules.contains($0.rule) }) else { return nil }
        return report.organization.usage
    }

    static func usage(path: String, base: [UInt8]?, ours: [UInt8]?, theirs: [UInt8]?, merged: [UInt8], conflicts: [MergeConflict]) {
        guard let o = ours, let t = theirs, let oursRecords = records(o, path: path), let theirsRecords = records(t, path: path) else { return }
        let baseRecords = base.map { records($0, path: path) } ?? []
        guard let baseRecords else { return }
        guard let mergedRecords = records(merged, path: path) else {
            require(false, "merging \(path): every version reads, but the merge does not:\n\(String(decoding: merged, as: UTF8.self))")
            return
        }
        // M2: the union by id. Nothing either side added is lost, and nothing either side removed comes back.
        let mergedIDs = Set(mergedRecords.map(\.id))
        let baseIDs = Set(baseRecords.map(\.id))
        for record in oursRecords + theirsRecords where !baseIDs.contains(record.id) {
            require(mergedIDs.contains(record.id), "merging \(path): the record \(record.id) one side added is lost")
        }
        let (oursIDs, theirsIDs) = (Set(oursRecords.map(\.id)), Set(theirsRecords.map(\.id)))
        for id in mergedIDs {
            require(oursIDs.contains(id) || theirsIDs.contains(id), "merging \(path): the record \(id) is in neither side")
        }
        if conflicts.isEmpty {
            for id in baseIDs where !oursIDs.contains(id) || !theirsIDs.contains(id) {
                // A side removed it (an edit of what the deletion of a workspace removes), and the other kept it unchanged.
                require(!mergedIDs.contains(id), "merging \(path): the record \(id) a side removed is back")
            }
        }
    }
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver.
@_cdecl("FuzzMerge_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    orgsync_fuzzer_main(argc, argv)
}
