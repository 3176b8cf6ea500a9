// Dependency-free rendering of usage reports: a stacked bar chart as standalone SVG, and a
// self-contained HTML page around such charts and tables. Amounts stay exact integers of units
// (ten-thousandths of a credit) throughout; Double is used for pixel coordinates only. Output is
// deterministic: the same input gives the same bytes.

import OrgModel

/// One series of a stacked bar chart: a tool, or the deleted workspaces' share.
struct ChartSeries {
    var name: String
    /// A CSS color, normally `#rrggbb`.
    var color: String
    /// Amounts in units (1 credit = 10,000 units), one per category. Negative values are drawn as 0;
    /// missing values count as 0.
    var values: [Int64]

}

/// Exact integer arithmetic and formatting of amounts in units (ten-thousandths of a credit).
enum ChartUnits {
    static let perCredit: Int64 = 10_000

    /// Credits with thousands separators and without trailing fractional zeros: `2,500`, `0.25`.
    static func format(_ units: Int64) -> String { Credits(units: units).formatted }

    /// `1 credit`, `2,500 credits`.
    static func amount(_ units: Int64) -> String { Credits(units: units).amount }

    /// The smallest step of 1, 2 or 5 × 10^k units that reaches `maximum` in at most six steps;
    /// a maximum of 0 (or less) is treated as one credit, so an empty chart still gets an axis.
    static func tickStep(covering maximum: Int64) -> Int64 {
        let top = maximum > 0 ? maximum : perCredit
        let needed = top / 6 + (top % 6 == 0 ? 0 : 1)
        var power: Int64 = 1
        while true {
            for multiple: Int64 in [1, 2, 5] where power * multiple >= needed { return power * multiple }
            power *= 10  // needed ≤ Int64.max / 6 + 1, so a step of at most 2 × 10^18 is found first
        }
    }
}

/// A stacked bar chart of amounts in units: one vertical bar per category, one segment per series.
struct StackedBarChart {
    var title: String
    /// A line under the title, e.g. "2026-11-01 to 2026-11-20, UTC".
    var subtitle: String?
    /// The label under the bars, e.g. "Workspace" or "Day".
    var categoryAxisLabel: String
    /// The label of the vertical axis, e.g. "Credits".
    var valueAxisLabel: String
    /// Bar labels, in order. Callers group long tails into an "others" category (about 40 bars at most).
    var categories: [String]
    var series: [ChartSeries]

    /// Bars get their total written above them only up to this many bars.
    static let maxTotalledBars = 31
    /// Amounts are clamped to this, so that axis arithmetic never overflows (about 1.15 × 10^14 credits).
    static let maxUnits = Int64.max / 8

    /// A complete standalone SVG document (no XML declaration, so it can also be inlined in HTML).
    func svg() -> String {
        typealias M = ChartMarkup
        let count = categories.count
        let stacks = categories.indices.map { index in
            series.map { $0.values.indices.contains(index) ? min(max($0.values[index], 0), Self.maxUnits) : 0 }
        }
        let totals = stacks.map { $0.reduce(0) { min(Self.maxUnits, $0 + $1) } }
        let maxTotal = totals.max() ?? 0
        let step = ChartUnits.tickStep(covering: maxTotal)
        let top = maxTotal > 0 ? maxTotal : ChartUnits.perCredit
        let axisMax = (top + step - 1) / step * step
        let ticks = (0...Int(axisMax / step)).map { ChartUnits.format(step * Int64($0)) }

        // Horizontal layout: at least 28 px per bar; long labels are rotated -45° and truncated.
        var left = 34 + (ticks.map { M.width($0, 11) }.max() ?? 0) + 8
        let right = 24.0
        var width = min(1600, max(640, left + right + 28 * Double(count))).rounded(.up)
        var slot = (width - left - right) / Double(max(count, 1))
        let rotated = !categories.allSatisfy { M.width($0, 11) <= slot - 8 }
        let labels = rotated ? categories.map { M.truncate($0, to: 150, size: 11) } : categories
        let labelWidth = labels.map { M.width($0, 11) }.max() ?? 0
        if rotated, let first = labels.first {
            let reach = (0.71 * (M.width(first, 11) + 11) - slot / 2 + 4).rounded(.up)
            if reach > left {
                width = min(1600, width + reach - left)
                left = reach
                slot = (width - left - right) / Double(count)
            }
        }

        // Vertical layout: title, subtitle, legend, room for the totals, plot, labels, axis title.
        var out = ""
        var y = 30.0
        var header = "<text x=\"16\" y=\"30\" font-size=\"18\" font-weight=\"600\" fill=\"#1f2328\">\(M.escape(title))</text>\n"
        if let subtitle {
            y += 20
            header += "<text x=\"16\" y=\"50\" font-size=\"12\" fill=\"#57606a\">\(M.escape(subtitle))</text>\n"
        }
        var legendX = 16.0
        y += 24
        let shown = series.filter { $0.values.contains { $0 > 0 } }
        for item in shown {
            let itemWidth = 18 + M.width(item.name, 12) + 20
            if legendX > 16, legendX + itemWidth > width - 16 { legendX = 16; y += 20 }
            header += "<rect x=\"\(M.num(legendX))\" y=\"\(M.num(y - 10))\" width=\"12\" height=\"12\" rx=\"2\" fill=\"\(M.escape(item.color))\"/>"
            header += "<text x=\"\(M.num(legendX + 18))\" y=\"\(M.num(y))\" font-size=\"12\" fill=\"#1f2328\">\(M.escape(item.name))</text>\n"
            legendX += itemWidth
        }
        let plotHeight = 300.0
        let showTotals = count <= Self.maxTotalledBars && maxTotal > 0
        let totalLabels = totals.map { ChartUnits.format($0) }
        let uprightTotals = totalLabels.allSatisfy { M.width($0, 10) <= slot - 2 }
        var headroom = 10.0
        for (total, label) in zip(totals, totalLabels) where showTotals && total > 0 {
            let extent = uprightTotals ? 16 : M.width(label, 10) + 8
            headroom = max(headroom, extent - Double(axisMax - total) / Double(axisMax) * plotHeight + 4)
        }
        let plotTop = (y + (shown.isEmpty ? 0 : 8) + headroom).rounded(.up)
        let plotBottom = plotTop + plotHeight
        let height = (plotBottom + (rotated ? 0.71 * (labelWidth + 11) + 18 : 22) + 34).rounded(.up)
        let plotWidth = width - left - right
        func yOf(_ units: Int64) -> Double { plotBottom - Double(units) / Double(axisMax) * plotHeight }

        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(M.num(width))\" height=\"\(M.num(height))\" "
        out += "viewBox=\"0 0 \(M.num(width)) \(M.num(height))\" font-family=\"system-ui, sans-serif\" role=\"img\" aria-label=\"\(M.escape(title))\">\n"
        out += "<title>\(M.escape(title))</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n" + header

        // Value axis: gridlines, exact tick labels and the rotated axis title.
        for (index, label) in ticks.enumerated() {
            let lineY = M.num(yOf(step * Int64(index)))
            out += "<line x1=\"\(M.num(left))\" y1=\"\(lineY)\" x2=\"\(M.num(left + plotWidth))\" y2=\"\(lineY)\" stroke=\"\(index == 0 ? "#57606a" : "#e1e4e8")\" stroke-width=\"1\"/>"
            out += "<text x=\"\(M.num(left - 8))\" y=\"\(M.num(yOf(step * Int64(index)) + 4))\" font-size=\"11\" fill=\"#57606a\" text-anchor=\"end\">\(label)</text>\n"
        }
        out += "<line x1=\"\(M.num(left))\" y1=\"\(M.num(plotTop))\" x2=\"\(M.num(left))\" y2=\"\(M.num(plotBottom))\" stroke=\"#57606a\" stroke-width=\"1\"/>\n"
        let middle = M.num(plotTop + plotHeight / 2)
        out += "<text x=\"20\" y=\"\(middle)\" font-size=\"12\" fill=\"#1f2328\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(middle))\">\(M.escape(valueAxisLabel))</text>\n"
        out += "<text x=\"\(M.num(left + plotWidth / 2))\" y=\"\(M.num(height - 12))\" font-size=\"12\" fill=\"#1f2328\" text-anchor=\"middle\">\(M.escape(categoryAxisLabel))</text>\n"
        if maxTotal == 0 {
            out += "<text x=\"\(M.num(left + plotWidth / 2))\" y=\"\(M.num(plotTop + plotHeight / 2))\" font-size=\"14\" fill=\"#57606a\" text-anchor=\"middle\">No usage in this period</text>\n"
        }

        // Bars: one group per category, whose <title> keeps the full label for tooltips.
        let barWidth = min(slot * 0.7, 64)
        for index in categories.indices {
            let center = left + slot * (Double(index) + 0.5)
            out += "<g><title>\(M.escape(categories[index])): \(ChartUnits.amount(totals[index]))</title>\n"
            var cumulative: Int64 = 0
            for (item, value) in zip(series, stacks[index]) where value > 0 {
                let next = min(Self.maxUnits, cumulative + value)
                let upper = M.round(yOf(next)), lower = M.round(yOf(cumulative))
                cumulative = next
                out += "<rect x=\"\(M.num(center - barWidth / 2))\" y=\"\(M.num(upper))\" width=\"\(M.num(barWidth))\" height=\"\(M.num(lower - upper))\" fill=\"\(M.escape(item.color))\">"
                out += "<title>\(M.escape(categories[index])) · \(M.escape(item.name)): \(ChartUnits.amount(value))</title></rect>\n"
            }
            if showTotals, totals[index] > 0 {
                let labelY = yOf(totals[index]) - 4
                out += uprightTotals
                    ? "<text x=\"\(M.num(center))\" y=\"\(M.num(labelY))\" font-size=\"10\" fill=\"#1f2328\" text-anchor=\"middle\">\(totalLabels[index])</text>\n"
                    : "<text x=\"\(M.num(center + 3.5))\" y=\"\(M.num(labelY))\" font-size=\"10\" fill=\"#1f2328\" transform=\"rotate(-90 \(M.num(center + 3.5)) \(M.num(labelY)))\">\(totalLabels[index])</text>\n"
            }
            if rotated {
                let x = M.num(center + 4), labelY = M.num(plotBottom + 12)
                out += "<text x=\"\(x)\" y=\"\(labelY)\" font-size=\"11\" fill=\"#1f2328\" text-anchor=\"end\" transform=\"rotate(-45 \(x) \(labelY))\">\(M.escape(labels[index]))</text>\n"
            } else {
                out += "<text x=\"\(M.num(center))\" y=\"\(M.num(plotBottom + 16))\" font-size=\"11\" fill=\"#1f2328\" text-anchor=\"middle\">\(M.escape(labels[index]))</text>\n"
            }
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }
}

/// One block of a report page: a heading, then an optional chart and an optional table.
struct ReportSection {
    var heading: String
    /// An SVG document, typically `StackedBarChart.svg()`; a leading XML declaration is dropped.
    var chartSVG: String?
    var table: ReportTable?
}

/// A table of plain text cells; cells in `numericColumns` (zero-based) are right-aligned.
struct ReportTable {
    var headers: [String]
    var rows: [[String]]
    var numericColumns: Set<Int>
    /// A totals row, rendered in bold under the body.
    var footerRow: [String]?
}

/// A single self-contained HTML file: inline styles and SVG only, no scripts or external resources.
enum ReportPage {
    static func html(title: String, subtitle: String?, sections: [ReportSection], footer: String?) -> String {
        typealias M = ChartMarkup
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(M.escape(title))</title>
        <style>
        :root { color-scheme: light; }
        body { margin: 0; background: #f6f8fa; color: #1f2328; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 28px 20px 40px; }
        h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 4px; }
        h2 { font-size: 1.15rem; margin: 0 0 14px; }
        .subtitle { color: #57606a; margin: 0 0 24px; }
        section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 18px 20px; margin: 0 0 24px; break-inside: avoid; }
        figure { margin: 0 0 18px; }
        figure svg { display: block; max-width: 100%; height: auto; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { padding: 6px 12px; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; overflow-wrap: anywhere; }
        thead th { background: #f6f8fa; font-weight: 600; border-bottom: 2px solid #d0d7de; }
        tbody tr:hover { background: #f6f8fa; }
        th.num, td.num { text-align: right; white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }
        tfoot td { font-weight: 700; border-top: 2px solid #d0d7de; border-bottom: none; }
        footer { color: #57606a; font-size: 13px; }
        @media print { body { background: #fff; } main { padding: 0; } section { border: none; padding: 0; } }
        </style>
        </head>
        <body>
        <main>
        <h1>\(M.escape(title))</h1>

        """
        if let subtitle { out += "<p class=\"subtitle\">\(M.escape(subtitle))</p>\n" }
        for section in sections {
            out += "<section>\n<h2>\(M.escape(section.heading))</h2>\n"
            if var svg = section.chartSVG {
                if svg.hasPrefix("<?xml"), let end = svg.firstRange(of: "?>") { svg = String(svg[end.upperBound...]) }
                out += "<figure>\n\(svg.trimmingPrefix { $0.isWhitespace })</figure>\n"
            }
            if let table = section.table { out += html(table) }
            out += "</section>\n"
        }
        if let footer { out += "<footer>\(M.escape(footer))</footer>\n" }
        return out + "</main>\n</body>\n</html>\n"
    }

    /// The table in a horizontally scrollable wrapper; short rows are padded to the header's width.
    private static func html(_ table: ReportTable) -> String {
        func row(_ cells: [String], tag: String) -> String {
            let padded = cells + Array(repeating: "", count: max(0, table.headers.count - cells.count))
            let body = padded.enumerated().map { column, cell in
                let attributes = table.numericColumns.contains(column) ? " class=\"num\"" : ""
                return "<\(tag)\(attributes)>\(ChartMarkup.escape(cell))</\(tag)>"
            }
            return "<tr>" + body.joined() + "</tr>\n"
        }
        var out = "<div class=\"table-wrap\">\n<table>\n<thead>\n" + row(table.headers, tag: "th") + "</thead>\n<tbody>\n"
        out += table.rows.map { row($0, tag: "td") }.joined() + "</tbody>\n"
        if let footer = table.footerRow { out += "<tfoot>\n" + row(footer, tag: "td") + "</tfoot>\n" }
        return out + "</table>\n</div>\n"
    }
}

/// Text and number helpers shared by the SVG and HTML renderers.
enum ChartMarkup {
    /// Text safe in XML and HTML content and attribute values: markup characters become entities,
    /// and characters XML 1.0 forbids (and the C1 controls) become U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                let forbidden = value < 0x20 || (0x7F...0x9F).contains(value) || value == 0xFFFE || value == 0xFFFF
                out.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    /// An estimate of the rendered width of `text` at font `size`: 0.6 em per character, 1 em for wide scripts.
    static func width(_ text: String, _ size: Double) -> Double {
        text.reduce(0) { $0 + ((($1.unicodeScalars.first?.value ?? 0) >= 0x1100) ? size : size * 0.6) }
    }

    /// `text`, shortened with "…" so that its estimated width at `size` is at most `limit`.
    static func truncate(_ text: String, to limit: Double, size: Double) -> String {
        guard width(text, size) > limit else { return text }
        var kept = Substring(text)
        while !kept.isEmpty, width(String(kept), size) + size * 0.6 > limit { kept.removeLast() }
        return kept + "…"
    }

    /// `value` rounded to one decimal place.
    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// A coordinate with at most one decimal place and no trailing ".0", independent of locale.
    static func num(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int64((value * 10).rounded())
        let magnitude = tenths.magnitude
        let sign = tenths < 0 ? "-" : ""
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}
