/// Every entity of an organization, decoded from a snapshot (SPEC §2).
public struct Organization: Sendable {
    public var config: OrgConfig?
    public var providerKeys: [ProviderKey] = []
    /// Sorted by id.
    public var members: [Member] = []
    /// Sorted by id.
    public var workspaces: [Workspace] = []
    /// In file path order; the replay orders them by `(at, id)`.
    public var events: [LedgerEvent] = []
    public var usage: [UsageRecord] = []
    /// Organization files that could not be read or decoded; rules that need what they hold say nothing about them.
    public var unreadable: Set<String> = []
    /// Set when `org.yaml` declares a newer schema than this orgsync reads.
    public var requiresNewerOrgsync: Diagnostic?

    public init() {}

    public func member(_ id: String) -> Member? { memberIndex[id].map { members[$0] } }

    /// Whether `folder/<id>.yaml` or `.json` exists but could not be read: references to it are not reported again.
    public func isUnreadable(_ folder: String, _ id: String) -> Bool {
        unreadable.contains("\(folder)/\(id).yaml") || unreadable.contains("\(folder)/\(id).json")
    }
    public func workspace(_ id: String) -> Workspace? { workspaceIndex[id].map { workspaces[$0] } }

    /// The Primary Workspace (R3), when exactly one live workspace is primary.
    public var primary: Workspace? {
        let primaries = workspaces.filter { $0.isPrimary && !$0.isDeleted }
        return primaries.count == 1 ? primaries[0] : nil
    }

    private(set) var memberIndex: [String: Int] = [:]
    private(set) var workspaceIndex: [String: Int] = [:]

    mutating func reindex() {
        members.sort { $0.id < $1.id }
        workspaces.sort { $0.id < $1.id }
        memberIndex = [:]
        for (index, member) in members.enumerated() where memberIndex[member.id] == nil { memberIndex[member.id] = index }
        workspaceIndex = [:]
        for (index, workspace) in workspaces.enumerated() where workspaceIndex[workspace.id] == nil { workspaceIndex[workspace.id] = index }
    }
}

extension Organization {
    /// Decodes every organization file of `snapshot`. Problems with single files (syntax, schema, ids that do
    /// not match file names, misplaced files, symlinks) are returned as diagnostics; the rest still loads.
    ///
    /// Files are parsed and decoded on every core; what they hold is gathered in path order, so the result
    /// does not depend on the number of cores.
    public static func load(_ snapshot: Snapshot) -> (Organization, [Diagnostic]) {
        var org = Organization()
        var diagnostics: [Diagnostic] = []
        let paths = snapshot.entries.keys.sorted()
        let plans = paths.map { FilePlan(path: $0, entry: snapshot.entries[$0]) }
        var seenStems: [String: String] = [:] // "members/ana" → first path
        var jobs: [(path: String, plan: FilePlan)] = []
        for (path, plan) in zip(paths, plans) {
            switch plan {
            case .skip: continue
            case .problem(let diagnostic):
                // A link, a submodule or a misplaced file may stand for an entity: references to it are not reported again.
                diagnostics.append(diagnostic)
                if Snapshot.isOrganizationPath(path) { org.unreadable.insert(path) }
            case .usage: jobs.append((path, plan))
            case .document(_, let stemKey, _, _):
                if let first = seenStems[stemKey] {
                    diagnostics.append(.error(.duplicate, "\(path) and \(first) describe the same entity; keep one of them",
                                              at: SourceLocation(path: path), notes: [.init("the other file", at: SourceLocation(path: first))]))
                    continue
                }
                seenStems[stemKey] = path
                jobs.append((path, plan))
            }
        }
        var outcomes = ParallelWork.map(jobs) { job in
            FileOutcome(path: job.path, plan: job.plan, bytes: snapshot.entries[job.path]?.bytes ?? [])
        }
        // Each outcome is released once gathered, so the records are not held twice.
        for (index, job) in jobs.enumerated() {
            let outcome = outcomes[index]
            outcomes[index] = FileOutcome()
            diagnostics += outcome.diagnostics
            // A file decoded with errors (a bad value, an id that is not its name) holds an entity only partly known:
            // what it would have said is not reported as missing elsewhere (no Primary, dangling references, a
            // partial ledger's overdraws).
            if outcome.diagnostics.hasErrors {
                org.unreadable.insert(job.path)
            }
            switch outcome.entity {
            case .none: org.unreadable.insert(job.path)
            case .usage(let records): org.usage.append(contentsOf: records)
            case .config(let config): org.config = config
            case .newerSchema(let diagnostic): org.requiresNewerOrgsync = diagnostic
            case .providers(let keys): org.providerKeys = keys
            case .member(let member): org.members.append(member)
            case .workspace(let workspace): org.workspaces.append(workspace)
            case .event(let event): org.events.append(event)
            }
        }
        if org.config == nil, org.requiresNewerOrgsync == nil, !diagnostics.contains(where: { $0.location.path.hasPrefix("org.") }) {
            diagnostics.append(.error(.r(1), "org.yaml is missing; every organization repository has one (run 'orgsync init' to create a repository)",
                                      at: SourceLocation(path: "org.yaml")))
        }
        org.reindex()
        return (org, diagnostics)
    }

    /// What a path in a snapshot is, decided from the path and the entry's kind alone.
    private enum FilePlan {
        /// Not an organization file.
        case skip
        case problem(Diagnostic)
        case usage(UsageFilePath)
        /// A YAML or JSON file in `folder` (`org.yaml`, `members`, …) whose file name without extension is `stem`.
        case document(folder: String, stemKey: String, stem: String, format: FileFormat)

        init(path: String, entry: Snapshot.Entry?) {
            guard let entry else {
                self = .skip
                return
            }
            switch entry.kind {
            case .symlink:
                self = .problem(.error(.layout, "symbolic links are not allowed in an organization repository; replace it with the file itself",
                                       at: SourceLocation(path: path)))
                return
            case .submodule:
                self = .problem(.error(.layout, "submodules are not allowed in an organization repository; remove it",
                                       at: SourceLocation(path: path)))
                return
            case .file:
                break
            }
            guard Snapshot.isOrganizationPath(path) else {
                self = .skip
                return
            }
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if parts[0] == "usage" {
                guard let file = UsageFilePath(path) else {
                    self = .problem(.error(.layout, "usage files go in usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl; move or rename this file",
                                           at: SourceLocation(path: path)))
                    return
                }
                self = .usage(file)
                return
            }
            guard let format = FileFormat(path: path) else {
                self = .problem(.error(.layout, "unexpected file in \(parts[0])/: orgsync reads only .yaml and .json files here; move it elsewhere",
                                       at: SourceLocation(path: path)))
                return
            }
            let fileName = parts[parts.count - 1]
            let stem = String(fileName[..<(fileName.lastIndex(of: ".") ?? fileName.endIndex)])
            let expectedDepth: Int
            switch parts[0] {
            case "members", "workspaces": expectedDepth = 2
            case "ledger": expectedDepth = 4
            default: expectedDepth = 1
            }
            guard parts.count == expectedDepth else {
                let layout = parts[0] == "ledger" ? "ledger/<yyyy>/<mm>/<event-id>.yaml" : "\(parts[0])/<id>.yaml"
                self = .problem(.error(.layout, "files in \(parts[0])/ go in \(layout); move this file", at: SourceLocation(path: path)))
                return
            }
            let idKind: IdentifierKind = parts[0] == "ledger" ? .ulid : .slug
            if parts.count > 1, !idKind.matches(stem) {
                self = .problem(.error(.f(1), "file name '\(stem.excerpt.visible)' is not a valid id: \(idKind.whyNot(stem) ?? "it does not match"); use \(idKind.pattern)", at: SourceLocation(path: path)))
                return
            }
            self = .document(folder: parts[0], stemKey: (parts.dropLast() + [stem]).joined(separator: "/"), stem: stem, format: format)
        }
    }

    /// What one file holds, parsed and decoded: independent of every other file, so files are read in parallel.
    private struct FileOutcome: Sendable {
        enum Entity: Sendable {
            case usage([UsageRecord])
            case config(OrgConfig?)
            case newerSchema(Diagnostic)
            case providers([ProviderKey])
            case member(Member)
            case workspace(Workspace)
            case event(LedgerEvent)
        }

        /// nil when the file could not be read or decoded.
        var entity: Entity?
        var diagnostics: [Diagnostic] = []

        init() {}

        init(path: String, plan: FilePlan, bytes: [UInt8]) {
            switch plan {
            case .skip, .problem:
                return
            case .usage(let file):
                let (records, problems) = UsageRecord.decodeFile(bytes, file: file, path: path)
                entity = .usage(records)
                diagnostics = problems
            case .document(let folder, _, let stem, let format):
                let root: SourceNode
                switch SourceReader.parse(bytes, format: format, path: path) {
                case .failure(let diagnostic):
                    diagnostics = [diagnostic]
                    return
                case .success(let node):
                    root = node
                }
                let decoder = FileDecoder(path: path)
                defer { diagnostics += decoder.diagnostics }

                func checkStem(_ id: String, _ source: SourceMap) {
                    if id != stem {
                        decoder.report(.error(.f(1), "id '\(id)' does not match the file name '\(stem)'; rename the file to \(id).\(format == .json ? "json" : "yaml") or fix the id",
                                              at: source["id"]))
                    }
                }

                switch folder {
                case "org.yaml", "org.json":
                    if let newer = OrgConfig.newerSchema(root, path: path) {
                        entity = .newerSchema(newer)
                    } else {
                        entity = .config(OrgConfig.decode(root, decoder))
                    }
                case "providers.yaml", "providers.json":
                    entity = .providers(ProviderKey.decodeFile(root, decoder))
                case "members":
                    if let member = Member.decode(root, decoder) {
                        checkStem(member.id, member.source)
                        entity = .member(member)
                    }
                case "workspaces":
                    if let workspace = Workspace.decode(root, decoder) {
                        checkStem(workspace.id, workspace.source)
                        entity = .workspace(workspace)
                    }
                default: // ledger
                    if let event = LedgerEvent.decode(root, decoder) {
                        checkStem(event.id, event.source)
                        let (year, month, _) = event.at.date
                        let parts = path.split(separator: "/")
                        if parts.count == 4, parts[1] != String(year) || parts[2] != twoDigits(month) {
                            decoder.report(.error(.layout, "an event at \(event.at) belongs in \(LedgerEvent.path(id: event.id, at: event.at)); move the file",
                                                  at: event.source["at"]))
                        }
                        entity = .event(event)
                    }
                }
            }
        }
    }
}
