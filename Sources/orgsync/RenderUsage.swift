import OrgModel
import OrgSync

/// Renderings of a usage report (U3): a table, CSV, JSON, Markdown, an SVG chart and an HTML page.
enum RenderUsage {
    /// The parts of every row, in column order: each tool with usage, then deleted workspaces' consumption.
    private static func parts(_ report: UsageReport) -> [(name: String, tool: Tool?)] {
        report.tools.map { ($0.rawValue, $0) } + (report.total.deleted.isZero ? [] : [("deleted workspaces", nil)])
    }

    /// The report's window in words: whole UTC days as dates, other bounds as times.
    private static func window(_ report: UsageReport) -> String {
        func since(_ time: Timestamp) -> String {
            time.seconds % 86_400 == 0 && time.nanoseconds == 0 ? CapPeriod.daily.label(of: time) : time.description
        }
        func until(_ time: Timestamp) -> String {
            (time.seconds + 1) % 86_400 == 0 && time.nanoseconds == 999_999_999 ? CapPeriod.daily.label(of: time) : time.description
        }
        switch (report.since, report.until) {
        case (nil, nil): return "all time"
        case (let start?, nil): return "from \(since(start)) (UTC)"
        case (nil, let end?): return "up to \(until(end)) (UTC)"
        case (let start?, let end?): return "\(since(start)) to \(until(end)) (UTC)"
        }
    }

    private static func label(_ row: UsageReport.Row, _ report: UsageReport) -> String {
        report.grouping == .workspace && row.isDeleted ? row.key + " (deleted)" : row.key
    }

    /// The columns of the parts in tables: none by tool, where each row is one part already.
    private static func columns(_ report: UsageReport) -> [(name: String, tool: Tool?)] {
        report.grouping == .tool ? [] : parts(report)
    }

    /// Header and cells of the table every format shares.
    private static func table(_ report: UsageReport, formatted: Bool) -> (headers: [String], rows: [[String]], footer: [String]) {
        let parts = columns(report)
        let named = report.grouping == .workspace || report.grouping == .member
        let amount: (Credits) -> String = { formatted ? $0.formatted : $0.description }
        var headers = [report.grouping.rawValue]
        if named { headers.append("name") }
        headers += parts.map(\.name) + ["total", "records"]
        func cells(_ row: UsageReport.Row, key: String, name: String?) -> [String] {
            (named ? [key, name ?? ""] : [key]) + parts.map { amount(row.credits($0.tool)) } + [amount(row.total), String(row.records)]
        }
        let rows = report.rows.map { cells($0, key: label($0, report), name: $0.name) }
        return (headers, rows, cells(report.total, key: "total", name: nil))
    }

    static func text(_ report: UsageReport, title: String) -> String {
        var out = Terminal.bold(title) + " — \(window(report)), in credits\n\n"
        guard !report.rows.isEmpty else { return out + "  No usage in this period.\n" }
        let (headers, rows, footer) = table(report, formatted: true)
        let alignments: [TextTable.Alignment] = headers.indices.map { $0 < (headers.count - columns(report).count - 2) ? .left : .right }
        var table = TextTable(headers: headers.map { $0.uppercased() }, alignments: alignments)
        table.rows = rows + [["TOTAL"] + footer.dropFirst()]
        return out + table.rendered(indent: "  ")
    }

    static func csv(_ report: UsageReport) -> String {
        let (headers, rows, footer) = table(report, formatted: false)
        return ([headers] + rows + [footer]).map(CSV.line).joined()
    }

    static func markdown(_ report: UsageReport, title: String) -> String {
        var out = "## \(markdownText(title))\n\n\(window(report)), in credits.\n\n"
        guard !report.rows.isEmpty else { return out + "No usage in this period.\n" }
        let (headers, rows, footer) = table(report, formatted: true)
        let textColumns = headers.count - columns(report).count - 2
        out += "| " + headers.map(markdownText).joined(separator: " | ") + " |\n"
        out += "|" + headers.indices.map { $0 < textColumns ? " --- |" : " ---: |" }.joined() + "\n"
        for row in rows { out += "| " + row.map(markdownText).joined(separator: " | ") + " |\n" }
        out += "| " + footer.map { "**\(markdownText($0))**" }.joined(separator: " | ") + " |\n"
        return out
    }

    /// Text that Markdown shows as it is: no formatting, links or tables broken by a `|`.
    private static func markdownText(_ text: String) -> String {
        var out = ""
        for character in text.printable {
            if "\\`*_[]<>|~".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    static func json(_ report: UsageReport) -> JSONValue {
        func row(_ row: UsageReport.Row) -> JSONValue {
            var fields: [String: JSONValue] = [
                "key": .string(row.key),
                "byTool": .object(Dictionary(uniqueKeysWithValues: row.byTool.map { ($0.key.rawValue, JSONValue.credits($0.value)) })),
                "deletedWorkspaces": .credits(row.deleted),
                "total": .credits(row.total),
                "records": .int(row.records),
            ]
            if let name = row.name { fields["name"] = .string(name) }
            if report.grouping == .workspace { fields["deleted"] = .bool(row.isDeleted) }
            return .object(fields)
        }
        return .object([
            "by": .string(report.grouping.rawValue),
            "since": report.since.map { .string($0.description) } ?? .null,
            "until": report.until.map { .string($0.description) } ?? .null,
            "rows": .array(report.rows.map(row)),
            "total": row(report.total),
        ])
    }

    /// The colors of the chart's parts: one per tool, grey for deleted workspaces.
    private static func color(_ tool: Tool?) -> String {
        switch tool {
        case .chat: return "#4e79a7"
        case .image: return "#f28e2b"
        case .video: return "#e15759"
        case .audio: return "#76b7b2"
        case .speech: return "#59a14f"
        case nil: return "#9d9d9d"
        }
    }

    /// Most bars a chart shows; beyond them, the smallest rows are one "others" bar (days are never merged).
    static let maxBars = 30

    static func chart(_ report: UsageReport, title: String) -> StackedBarChart {
        var rows = report.rows
        if report.grouping != .day, rows.count > maxBars {
            var others = UsageReport.Row(key: "\(rows.count - maxBars + 1) others")
            for row in rows[(maxBars - 1)...] {
                for (tool, credits) in row.byTool { others.byTool[tool] = (try? (others.byTool[tool] ?? .zero).adding(credits)) ?? .max }
                others.deleted = (try? others.deleted.adding(row.deleted)) ?? .max
            }
            rows = Array(rows.prefix(maxBars - 1)) + [others]
        }
        let axis: String
        switch report.grouping {
        case .workspace: axis = "Workspace"
        case .member: axis = "Member"
        case .tool: axis = "Tool"
        case .day: axis = "Day (UTC)"
        }
        return StackedBarChart(
            title: title, subtitle: "\(window(report)) · total \(report.total.total.amount)",
            categoryAxisLabel: axis, valueAxisLabel: "Credits",
            categories: rows.map { label($0, report) },
            series: parts(report).map { part in ChartSeries(name: part.name, color: color(part.tool), values: rows.map { $0.credits(part.tool).units }) })
    }

    static func page(_ report: UsageReport, title: String) -> String {
        let (headers, rows, footer) = table(report, formatted: true)
        let numeric = Set((headers.count - columns(report).count - 2)..<headers.count)
        let section = ReportSection(heading: "By \(report.grouping.rawValue)", chartSVG: chart(report, title: title).svg(),
                                    table: ReportTable(headers: headers, rows: rows, numericColumns: numeric, footerRow: footer))
        return ReportPage.html(title: title, subtitle: "\(window(report)), in credits", sections: [section],
                               footer: "Made by orgsync from the organization's usage records and tombstones; totals are exact to 0.0001 credit.")
    }
}
