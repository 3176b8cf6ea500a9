import Foundation
import GitKit
import OrgModel

/// A large, valid organization made from a seed, for benchmarks (SPEC §10): the same seed and sizes always
/// give the same files, byte for byte.
///
/// The story it tells: the organization starts in shared mode, where every workspace spends the Primary's
/// credits, and switches to budget mode after `sharedDays`. From then on the Primary allocates credits to each
/// workspace before it spends them, some workspaces are deleted (their usage files removed, their balance
/// refunded, their consumption kept in a tombstone), and at the end some workspaces return what they did not
/// spend. Top-ups keep the Primary ahead of what it pays. Usage is spread over every tool, unevenly: a few
/// workspaces and days carry most of it.
public struct BenchmarkOrganization: Sendable {
    public struct Sizes: Sendable, Equatable {
        public var workspaces: Int
        public var members: Int
        public var events: Int
        public var usage: Int

        public init(workspaces: Int, members: Int, events: Int, usage: Int) {
            self.workspaces = workspaces
            self.members = members
            self.events = events
            self.usage = usage
        }

        /// The reference large organization of SPEC §10.
        public static let reference = Sizes(workspaces: 10_000, members: 50_000, events: 100_000, usage: 1_000_000)

        /// Checks the sizes: the organization needs room for its owners, its Primary, and its fixed events.
        public func check() throws(OrgSyncError) {
            guard workspaces >= 2 else { throw OrgSyncError(.environment, "--workspaces must be at least 2: the Primary and one other") }
            guard members >= 3 else { throw OrgSyncError(.environment, "--members must be at least 3: the organization's three owners") }
            guard events >= 3 else { throw OrgSyncError(.environment, "--events must be at least 3: a top-up, the switch to budget mode and one transfer") }
            guard usage >= 0 else { throw OrgSyncError(.environment, "--usage must be zero or more") }
            let limit = 10_000_000
            guard workspaces <= limit, members <= limit, events <= limit, usage <= 10 * limit else {
                throw OrgSyncError(.environment, "sizes above 10,000,000 (100,000,000 usage records) are not supported")
            }
        }
    }

    public let sizes: Sizes
    public let seed: UInt64
    /// Every file of the organization: path → bytes.
    public private(set) var files: [String: [UInt8]] = [:]
    /// What was written, counted.
    public private(set) var summary = Summary()

    public struct Summary: Sendable, Equatable {
        public var liveWorkspaces = 0
        public var deletedWorkspaces = 0
        public var members = 0
        public var events = 0
        public var usageRecords = 0
        public var usageFiles = 0
        public var bytes = 0
    }

    /// The first day of the story, a Monday.
    static let start = Timestamp(seconds: 1_767_571_200) // 2026-01-05T00:00:00Z
    static let days = 300
    static let sharedDays = 60
    static let day: Int64 = 86_400

    public init(sizes: Sizes = .reference, seed: UInt64 = 1) throws(OrgSyncError) {
        try sizes.check()
        self.sizes = sizes
        self.seed = seed
        var builder = Builder(sizes: sizes, seed: seed)
        builder.build()
        files = builder.files
        summary = builder.summary
        summary.bytes = files.values.reduce(0) { $0 + $1.count }
    }

    /// Writes the organization into `directory` (missing or empty) as a new git repository with one commit,
    /// made by the first owner at the end of the story.
    @discardableResult
    public func write(to directory: String) throws(OrgSyncError) -> ObjectID {
        let fileManager = FileManager.default
        if let existing = try? fileManager.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw OrgSyncError(.environment, "'\(directory)' is not empty; pass a new folder with --output")
        }
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OrgSyncError(.environment, "cannot create '\(directory)': \(error.localizedDescription)")
        }
        let repository: GitKit.Repository
        do {
            repository = try GitKit.Repository.create(at: directory)
        } catch {
            throw OrgSyncError.git("cannot create a git repository in '\(directory)'", error)
        }
        let owner = Builder.ownerID
        let time = Self.start.seconds + Int64(Self.days + 2) * Self.day
        let author = Signature(name: "Bench Owner", email: "\(owner)@bench.example", time: time, offsetMinutes: 0)
        let message = """
        Generate a benchmark organization

        \(sizes.workspaces) workspaces, \(sizes.members) members, \(sizes.events) ledger events, \(sizes.usage) usage records, seed \(seed).

        Orgsync-Operation: bench-generate

        """
        let absolute = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: fileManager.currentDirectoryPath)).standardizedFileURL.path
        return try Committer(repository: repository, directory: absolute, prefix: "")
            .commit(writes: files, removals: [], head: nil, message: message, author: author, committer: author)
    }
}

/// SplitMix64: a small, fast generator whose sequence depends only on its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension BenchmarkOrganization {
    fileprivate struct Builder {
        static let ownerID = "olivia-owner"
        static let firstNames = ["ana", "ben", "carl", "dana", "eli", "farah", "gus", "hana", "ivan", "jun", "kira", "leo", "mira", "nils",
                                 "omar", "pia", "quinn", "rosa", "sami", "tara", "uma", "vik", "wen", "xavi", "yara", "zoe"]
        static let lastNames = ["lopez", "smith", "nguyen", "okafor", "kim", "garcia", "muller", "rossi", "sato", "ivanova", "haddad",
                                "novak", "silva", "berg", "khan", "moreau", "costa", "dubois", "fischer", "weber"]
        static let teams = ["search", "chat", "voice", "vision", "growth", "support", "billing", "risk", "docs", "ads", "maps", "music",
                            "video", "games", "health", "legal", "sales", "ops", "data", "labs"]
        static let products = ["assistant", "agent", "summaries", "translate", "ranker", "moderation", "captions", "tagging",
                               "insights", "copilot", "faq", "routing"]
        static let environments = [("prod", "production"), ("staging", "staging"), ("dev", "development"), ("eval", "evaluation")]
        static let models: [Tool: [String]] = [
            .chat: ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "mistral-large", "gemini-2.5-flash"],
            .image: ["gpt-image-1", "imagen-4"], .video: ["veo-3"], .audio: ["whisper-1"], .speech: ["eleven-multilingual-v2", "tts-1"],
        ]

        let sizes: Sizes
        var random: SeededGenerator
        var files: [String: [UInt8]] = [:]
        var summary = Summary()

        init(sizes: Sizes, seed: UInt64) {
            self.sizes = sizes
            self.random = SeededGenerator(seed: seed)
        }

        struct Draft {
            var at: Timestamp
            var member: Int
            var tool: Tool
            var credits: Int64
            var writer: Int
            var tokens: Int?
            var model: String
        }

        struct Planned {
            var at: Timestamp
            var kind: LedgerEvent.Kind
            var by: String
        }

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

        func time(day: Int, second: Int64, milliseconds: Int32 = 0) -> Timestamp {
            Timestamp(seconds: BenchmarkOrganization.start.seconds + Int64(day) * BenchmarkOrganization.day + second,
                      nanoseconds: milliseconds * 1_000_000)
        }

        mutating func build() {
            let workspaceCount = sizes.workspaces, memberCount = sizes.members
            let days = BenchmarkOrganization.days, sharedDays = BenchmarkOrganization.sharedDays

            // Members: three owners, some admins and billing people, a service account per gateway, the rest members.
            var memberIDs: [String] = [Self.ownerID]
            var used = Set(memberIDs)
            while memberIDs.count < memberCount {
                let first = Self.firstNames[int(0...Self.firstNames.count - 1)], last = Self.lastNames[int(0...Self.lastNames.count - 1)]
                let id = "\(first)-\(last)-\(memberIDs.count)"
                if used.insert(id).inserted { memberIDs.append(id) }
            }
            for (index, id) in memberIDs.enumerated() {
                let role: OrgRole = index < 3 ? .owner : index % 97 == 0 ? .admin : index % 89 == 0 ? .billing : .member
                let parts = id.split(separator: "-")
                let name = parts.count >= 2 ? "\(parts[0].capitalized) \(parts[1].capitalized)" : id
                let member = Member(id: id, email: "\(id.replacingOccurrences(of: "-", with: "."))@bench.example", name: name, role: role,
                                    github: index % 5 == 0 ? "gh-\(id)" : nil)
                put(Member.path(for: id), CanonicalYAML.render(member.yaml))
            }
            summary.members = memberCount
            let billers = memberIDs.prefix(3)

            // Workspaces: the Primary first; about one in a hundred of the others is deleted during budget mode.
            var workspaceIDs = ["core-platform"]
            var workspaceNames = ["Core Platform (production)"]
            while workspaceIDs.count < workspaceCount {
                let team = Self.teams[int(0...Self.teams.count - 1)], product = Self.products[int(0...Self.products.count - 1)]
                let (environment, long) = Self.environments[int(0...Self.environments.count - 1)]
                let number = workspaceIDs.count
                workspaceIDs.append("\(team)-\(product)-\(environment)-\(number)")
                workspaceNames.append("\(team.capitalized) \(product.capitalized) (\(long)) \(number)")
            }
            var deletionDay: [Int: Int] = [:]
            // Each deletion takes a refund event: leave most events for top-ups and allocations.
            for index in 1..<workspaceCount where index % 100 == 50 && deletionDay.count < (sizes.events - 2) / 4 {
                deletionDay[index] = int(sharedDays + 30...days - 20)
            }
            // Assignments: every member in at least one workspace; the first listed is the workspace's admin.
            var assigned = [[Int]](repeating: [], count: workspaceCount)
            assigned[0] = [0, 1, 2]
            for member in 3..<memberCount {
                assigned[1 + (member - 3) % (workspaceCount - 1)].append(member)
            }
            for index in 0..<workspaceCount where assigned[index].isEmpty {
                assigned[index] = [int(0...memberCount - 1)]
            }

            // Usage: each workspace's share follows a long tail, on a few busy days, through one or two gateways.
            // Live workspaces hold exactly `sizes.usage` records; deleted ones had their own, now only in tombstones.
            let weights = (0..<workspaceCount).map { 1.0 / pow(Double($0 % 997 + 1), 0.8) }
            let liveWeight = weights.indices.filter { deletionDay[$0] == nil }.reduce(0) { $0 + weights[$1] }
            var counts = weights.map { Int(Double(sizes.usage) * $0 / liveWeight) }
            var remainder = sizes.usage - counts.indices.filter { deletionDay[$0] == nil }.reduce(0) { $0 + counts[$1] }
            var cursor = 0
            while remainder > 0 {
                if deletionDay[cursor % workspaceCount] == nil {
                    counts[cursor % workspaceCount] += 1
                    remainder -= 1
                }
                cursor += 1
            }
            let topupCount = max(1, sizes.events / 100)
            let returnCount = min(workspaceCount - 1, max(0, (sizes.events - topupCount - 1 - deletionDay.count) / 50))
            let allocationCount = max(0, sizes.events - 1 - topupCount - deletionDay.count - returnCount)
            let others = workspaceCount - 1
            /// How many allocations workspace `index` gets; one without any spends only in shared mode.
            func share(_ index: Int) -> Int { allocationCount / others + (index - 1 < allocationCount % others ? 1 : 0) }
            var drafts = [[Draft]](repeating: [], count: workspaceCount)
            for index in 0..<workspaceCount where counts[index] > 0 {
                let lastDay = index > 0 && share(index) == 0 ? sharedDays - 1 : (deletionDay[index] ?? days) - 1
                let activeDays = min(lastDay + 1, max(1, counts[index] / 40))
                var chosen = Set<Int>()
                while chosen.count < activeDays { chosen.insert(int(0...lastDay)) }
                let dayList = chosen.sorted()
                let writers = counts[index] > 2_000 ? 2 : 1
                var records: [Draft] = []
                records.reserveCapacity(counts[index])
                for _ in 0..<counts[index] {
                    let day = dayList[int(0...dayList.count - 1)]
                    // Nothing in the first ten minutes of budget mode, before the first allocations.
                    let at = time(day: day, second: Int64(int((day == sharedDays ? 600 : 1)...86_399)), milliseconds: Int32(int(0...999)))
                    let toolRoll = int(1...100)
                    let tool: Tool = toolRoll <= 60 ? .chat : toolRoll <= 75 ? .image : toolRoll <= 85 ? .audio : toolRoll <= 95 ? .speech : .video
                    let credits: Int64
                    var tokens: Int?
                    switch tool {
                    case .chat:
                        let count = int(50...4_000)
                        tokens = count
                        credits = Int64(count) * Int64(int(2...15)) // 0.0002 to 0.0015 credits a token
                    case .image: credits = Int64(int(10_000...80_000))
                    case .video: credits = Int64(int(100_000...600_000))
                    case .audio: credits = Int64(int(5_000...40_000))
                    case .speech: credits = Int64(int(2_000...20_000))
                    }
                    let models = Self.models[tool] ?? ["default"]
                    // Viewers do not spend: every fourth member listed after the admin is a viewer.
                    let spenders = assigned[index].indices.filter { $0 % 4 != 3 }
                    records.append(Draft(at: at, member: assigned[index][spenders[int(0...spenders.count - 1)]], tool: tool, credits: credits,
                                         writer: int(1...writers), tokens: tokens, model: models[int(0...models.count - 1)]))
                }
                records.sort { $0.at < $1.at }
                drafts[index] = records
            }

            // Events. The budget switch, one refund per deleted workspace, top-ups, allocations, and returns at the end.
            let budgetStart = time(day: sharedDays, second: 30)
            var planned: [Planned] = [Planned(at: budgetStart, kind: .mode(.budget), by: billers[0])]
            // Each non-primary workspace gets its share of allocations, covering its budget-mode usage in order.
            var primaryNeeds: [(Timestamp, Int64)] = []
            var leftover = [Int64](repeating: 0, count: workspaceCount)
            var tombstones: [Int: Workspace.Tombstone] = [:]
            for index in 1..<workspaceCount {
                let share = share(index)
                let budgetUsage = drafts[index].filter { $0.at > budgetStart }
                var sharedUsage: Int64 = 0
                for draft in drafts[index] where draft.at <= budgetStart {
                    sharedUsage += draft.credits
                    if deletionDay[index] == nil { primaryNeeds.append((draft.at, draft.credits)) }
                }
                var allocated: Int64 = 0
                if share > 0 {
                    let chunk = max(1, (budgetUsage.count + share - 1) / share)
                    for slot in 0..<share {
                        let part = budgetUsage.dropFirst(slot * chunk).prefix(chunk)
                        let at: Timestamp
                        if let first = part.first {
                            at = Timestamp(seconds: max(budgetStart.seconds + 1, first.at.seconds - 60 - Int64(int(0...3_600))))
                        } else {
                            let end = (deletionDay[index] ?? days) - 1
                            at = time(day: int(sharedDays...max(sharedDays, end)), second: Int64(int(60...40_000)))
                        }
                        let needed = part.reduce(0) { $0 + $1.credits }
                        // Whole credits, rounded up, plus a margin of 5 to 50.
                        let amount = (needed + 9_999) / 10_000 * 10_000 + Int64(int(5...50)) * 10_000
                        allocated += amount
                        primaryNeeds.append((at, amount))
                        planned.append(Planned(at: at, kind: .transfer(Transfer(from: "core-platform", to: workspaceIDs[index],
                                                                                  credits: Credits(units: amount), memo: slot == 0 ? "Budget" : nil)),
                                               by: billers[slot % billers.count]))
                    }
                }
                let spent = budgetUsage.reduce(0) { $0 + $1.credits }
                leftover[index] = allocated - spent
                if let day = deletionDay[index] {
                    let at = time(day: day, second: 43_200)
                    let tombstone = Workspace.Tombstone(at: at, by: billers[0], consumed: Credits(units: sharedUsage + spent),
                                                        chargedToPrimary: Credits(units: sharedUsage))
                    tombstones[index] = tombstone
                    primaryNeeds.append((at, sharedUsage))
                    if leftover[index] > 0 {
                        planned.append(Planned(at: at, kind: .transfer(Transfer(from: workspaceIDs[index], to: "core-platform",
                                                                                  credits: Credits(units: leftover[index]), reason: .deletion)),
                                               by: billers[0]))
                    }
                }
            }
            for draft in drafts[0] { primaryNeeds.append((draft.at, draft.credits)) }
            var returned = 0
            for index in stride(from: 1, to: workspaceCount, by: 1) where returned < returnCount && deletionDay[index] == nil && leftover[index] > 0 {
                let at = time(day: days, second: Int64(3_600 + returned))
                let amount = index % 2 == 0 ? leftover[index] : max(1, leftover[index] / 2)
                planned.append(Planned(at: at, kind: .transfer(Transfer(from: workspaceIDs[index], to: "core-platform",
                                                                          credits: Credits(units: amount), memo: "Unused budget returned")),
                                       by: billers[1]))
                returned += 1
            }
            // Top-ups at even intervals, each paying for what the Primary spends until the next, plus a reserve.
            primaryNeeds.sort { $0.0 < $1.0 }
            let span = Int64(days + 1) * BenchmarkOrganization.day
            let step = max(1, span / Int64(topupCount))
            var needIndex = 0
            for topup in 0..<topupCount {
                let at = Timestamp(seconds: BenchmarkOrganization.start.seconds + Int64(topup) * step)
                let until = topup == topupCount - 1 ? Int64.max : at.seconds + step
                var need: Int64 = 0
                while needIndex < primaryNeeds.count, primaryNeeds[needIndex].0.seconds < until {
                    need += primaryNeeds[needIndex].1
                    needIndex += 1
                }
                let amount = (need + 9_999) / 10_000 * 10_000 + (topup == 0 ? 50_000 : 5_000) * 10_000
                planned.append(Planned(at: at, kind: .topup(credits: Credits(units: amount), reference: "invoice-\(2026_0000 + topup)"),
                                       by: billers[topup % billers.count]))
            }

            // Ids in time order, as the platform makes them.
            planned.sort { $0.at < $1.at }
            var ulids = ULIDGenerator()
            for event in planned {
                let ledgerEvent = LedgerEvent(id: ulids.next(at: event.at, using: &random), at: event.at, by: event.by, kind: event.kind)
                put(LedgerEvent.path(id: ledgerEvent.id, at: ledgerEvent.at), CanonicalYAML.render(ledgerEvent.yaml))
            }
            summary.events = planned.count

            // Workspace files.
            let pins = [("anthropic", "anthropic-main"), ("openai", "openai-main"), ("google", "google-vertex")]
            for index in 0..<workspaceCount {
                var workspace = Workspace(id: workspaceIDs[index], name: workspaceNames[index], isPrimary: index == 0)
                if let tombstone = tombstones[index] {
                    workspace.deleted = tombstone
                    summary.deletedWorkspaces += 1
                } else {
                    summary.liveWorkspaces += 1
                    workspace.members = assigned[index].enumerated().map { position, member in
                        Workspace.Assignment(member: memberIDs[member], role: position == 0 ? .admin : position % 4 == 3 ? .viewer : .member)
                    }
                    if index > 0 { workspace.limits = Limits(daily: Credits(whole: 20_000), monthly: Credits(whole: 400_000), alertAt: 80) }
                    if index % 3 == 0 {
                        let (provider, key) = pins[index % pins.count]
                        workspace.providers.pin[provider] = key
                    }
                    if index % 4 == 0 {
                        let secret = APIKeySecret.generate(using: &random)
                        workspace.keys = [APIKey(id: "\(workspaceIDs[index])-key", name: "Gateway", prefix: APIKeySecret.prefix(of: secret),
                                                 hash: APIKeySecret.hash(of: secret), createdBy: memberIDs[assigned[index][0]],
                                                 createdAt: time(day: 0, second: Int64(index)))]
                    }
                    if index % 5 == 0 {
                        workspace.settings = ["routing": .map(["default-model": .string("gpt-4o-mini"), "max-output-tokens": .number("2048")])]
                    }
                }
                put(Workspace.path(for: workspace.id), CanonicalYAML.render(workspace.yaml))
            }

            // Usage files of live workspaces: usage/<workspace>/<yyyy>/<mm>/<dd>-gw-<n>.jsonl.
            for index in 0..<workspaceCount where tombstones[index] == nil && !drafts[index].isEmpty {
                var ids = ULIDGenerator()
                var byFile: [String: String] = [:]
                var order: [String] = []
                for draft in drafts[index] {
                    let (year, month, day) = draft.at.date
                    let path = UsageFilePath(workspace: workspaceIDs[index], year: year, month: month, day: day, writer: "gw-\(draft.writer)").path
                    let record = UsageRecord(id: ids.next(at: draft.at, using: &random), at: draft.at, workspace: workspaceIDs[index],
                                             member: memberIDs[draft.member], tool: draft.tool, credits: Credits(units: draft.credits),
                                             model: draft.model, tokens: draft.tokens, location: SourceLocation(path: path))
                    if byFile[path] == nil { order.append(path) }
                    byFile[path, default: ""] += record.jsonLine + "\n"
                }
                for path in order { put(path, byFile[path] ?? "") }
                summary.usageRecords += drafts[index].count
                summary.usageFiles += order.count
            }

            put("org.yaml", CanonicalYAML.render(OrgConfig(id: "bench", name: "Benchmark Org").yaml))
            put(ProviderKey.path, """
                providers:
                  - id: openai-main
                    provider: openai
                    secretRef: env:OPENAI_API_KEY
                    default: true
                  - id: anthropic-main
                    provider: anthropic
                    secretRef: vault:secret/ai/anthropic
                    default: true
                  - id: google-vertex
                    provider: google
                    secretRef: vault:secret/ai/google-vertex
                    default: true

                """)
        }

        mutating func put(_ path: String, _ text: String) { files[path] = Array(text.utf8) }
    }
}

/// P6: how many charges per second the gateway makes in process, each checked against its balance and caps.
public enum ChargeBenchmark {
    public struct Result: Sendable {
        public var charges: Int
        /// Charges refused by a balance or a cap (counted: a refusal is checked like any charge).
        public var blocked: Int
        /// The (workspace, member) pairs the charges were spread over.
        public var spenders: Int
        public var seconds: Double
        public var perSecond: Int { seconds > 0 ? Int(Double(charges) / seconds) : 0 }
    }

    /// Loads a gateway on `repository`'s HEAD and makes `count` charges of 0.0001 credits. The clock runs only
    /// around the charges.
    public static func run(repository: String, count: Int) throws(OrgSyncError) -> Result {
        let gateway = try UsageGateway(repository: repository, writer: "bench")
        let report = Validator.validate(try gateway.reader.snapshot(revision: gateway.revision.hex))
        var spenders: [(workspace: String, member: String)] = []
        for workspace in report.organization.workspaces where !workspace.isDeleted {
            for assignment in workspace.members where assignment.role != .viewer {
                spenders.append((workspace.id, assignment.member))
            }
        }
        guard !spenders.isEmpty else { throw OrgSyncError(.refused, "no live workspace has a member who can spend") }
        let credits = Credits(units: 1)
        let now = Timestamp.now()
        var blocked = 0
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            let spender = spenders[index % spenders.count]
            do {
                _ = try gateway.charge(workspace: spender.workspace, member: spender.member, tool: .chat, credits: credits, at: now)
            } catch {
                blocked += 1
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(charges: count, blocked: blocked, spenders: spenders.count, seconds: seconds)
    }
}
