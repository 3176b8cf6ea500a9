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
    public static func load(_ snapshot: Snapshot) -> (Organization, [Diagnostic]) {
        var org = Organization()
        var diagnostics: [Diagnostic] = []
        var seenStems: [String: String] = [:] // "members/ana" → first path

        for path in snapshot.entries.keys.sorted() {
            guard let entry = snapshot.entries[path] else { continue }
            switch entry.kind {
            case .symlink:
                diagnostics.append(.error(.layout, "symbolic links are not allowed in an organization repository; replace it with the file itself",
                                          at: SourceLocation(path: path)))
                continue
            case .submodule:
                diagnostics.append(.error(.layout, "submodules are not allowed in an organization repository; remove it",
                                          at: SourceLocation(path: path)))
                continue
            case .file:
                break
            }
            guard Snapshot.isOrganizationPath(path) else { continue }
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)

            if parts[0] == "usage" {
                guard let file = UsageFilePath(path) else {
                    diagnostics.append(.error(.layout, "usage files go in usage/<workspace>/<yyyy>/<mm>/<dd>-<writer>.jsonl; move or rename this file",
                                              at: SourceLocation(path: path)))
                    continue
                }
                let (records, problems) = UsageRecord.decodeFile(entry.bytes, file: file, path: path)
                org.usage.append(contentsOf: records)
                diagnostics.append(contentsOf: problems)
                continue
            }

            guard let format = FileFormat(path: path) else {
                diagnostics.append(.error(.layout, "unexpected file in \(parts[0])/: orgsync reads only .yaml and .json files here; move it elsewhere",
                                          at: SourceLocation(path: path)))
                continue
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
                diagnostics.append(.error(.layout, "files in \(parts[0])/ go in \(layout); move this file", at: SourceLocation(path: path)))
                continue
            }
            let stemKey = (parts.dropLast() + [stem]).joined(separator: "/")
            if let first = seenStems[stemKey] {
                diagnostics.append(.error(.duplicate, "\(path) and \(first) describe the same entity; keep one of them",
                                          at: SourceLocation(path: path), notes: [.init("the other file", at: SourceLocation(path: first))]))
                continue
            }
            seenStems[stemKey] = path

            let idKind: IdentifierKind = parts[0] == "ledger" ? .ulid : .slug
            if parts.count > 1, !idKind.matches(stem) {
                diagnostics.append(.error(.f(1), "file name '\(stem)' is not a valid id: use \(idKind.pattern)", at: SourceLocation(path: path)))
                continue
            }

            let root: SourceNode
            switch SourceReader.parse(entry.bytes, format: format, path: path) {
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
                org.unreadable.insert(path)
                continue
            case .success(let node):
                root = node
            }
            let decoder = FileDecoder(path: path)
            defer { diagnostics.append(contentsOf: decoder.diagnostics) }

            func checkStem(_ id: String, _ source: SourceMap) {
                if id != stem {
                    decoder.report(.error(.f(1), "id '\(id)' does not match the file name '\(stem)'; rename the file to \(id).\(format == .json ? "json" : "yaml") or fix the id",
                                          at: source["id"]))
                }
            }

            switch parts[0] {
            case "org.yaml", "org.json":
                if let newer = OrgConfig.newerSchema(root, path: path) {
                    org.requiresNewerOrgsync = newer
                } else {
                    org.config = OrgConfig.decode(root, decoder)
                }
            case "providers.yaml", "providers.json":
                org.providerKeys = ProviderKey.decodeFile(root, decoder)
            case "members":
                if let member = Member.decode(root, decoder) {
                    checkStem(member.id, member.source)
                    org.members.append(member)
                } else {
                    org.unreadable.insert(path)
                }
            case "workspaces":
                if let workspace = Workspace.decode(root, decoder) {
                    checkStem(workspace.id, workspace.source)
                    org.workspaces.append(workspace)
                } else {
                    org.unreadable.insert(path)
                }
            default: // ledger
                if let event = LedgerEvent.decode(root, decoder) {
                    checkStem(event.id, event.source)
                    let (year, month, _) = event.at.date
                    if parts[1] != String(year) || parts[2] != twoDigits(month) {
                        decoder.report(.error(.layout, "an event at \(event.at) belongs in \(LedgerEvent.path(id: event.id, at: event.at)); move the file",
                                              at: event.source["at"]))
                    }
                    org.events.append(event)
                } else {
                    org.unreadable.insert(path)
                }
            }
        }
        if org.config == nil, org.requiresNewerOrgsync == nil, !diagnostics.contains(where: { $0.location.path.hasPrefix("org.") }) {
            diagnostics.append(.error(.r(1), "org.yaml is missing; every organization repository has one (run 'orgsync init' to create a repository)",
                                      at: SourceLocation(path: "org.yaml")))
        }
        org.reindex()
        return (org, diagnostics)
    }
}
