import ArgumentParser
import Foundation
import OrgModel
import OrgSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the terminal: color only on a TTY and never with NO_COLOR, errors to standard error.
enum Terminal {
    static var colorsOut: Bool { isatty(1) == 1 && getenv("NO_COLOR") == nil && getenv("TERM").map { String(cString: $0) != "dumb" } != false }
    static var colorsErr: Bool { isatty(2) == 1 && getenv("NO_COLOR") == nil }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func bold(_ text: String, color: Bool = colorsOut) -> String { color ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func green(_ text: String, color: Bool = colorsOut) -> String { color ? "\u{1B}[32m\(text)\u{1B}[0m" : text }
    static func red(_ text: String, color: Bool = colorsOut) -> String { color ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
    static func dim(_ text: String, color: Bool = colorsOut) -> String { color ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

    /// Reports a failed operation in the requested format and returns the exit code it deserves.
    static func fail(_ error: OrgSyncError, format: OutputFormat) -> ExitCode {
        let code: Int32 = error.kind == .environment ? 2 : 1
        let kind: String
        switch error.kind {
        case .refused: kind = "refused"
        case .blocked: kind = "blocked"
        case .environment: kind = "environment"
        }
        switch format {
        case .json:
            let object: JSONValue = .object(["error": .object([
                "kind": .string(kind),
                "message": .string(error.message),
                "diagnostics": DiagnosticRenderer.jsonValue(error.diagnostics),
            ])])
            write(object.rendered() + "\n")
        case .text:
            if !error.diagnostics.isEmpty { writeError(DiagnosticRenderer.text(error.diagnostics, color: colorsErr)) }
            writeError("\(red(error.kind == .blocked ? "blocked:" : "error:", color: colorsErr)) \(error.message)\n")
        }
        return ExitCode(code)
    }

    /// Runs `body`, turning an `OrgSyncError` into its report and exit code.
    static func run(format: OutputFormat, _ body: () throws(OrgSyncError) -> Void) throws(ExitCode) {
        do {
            try body()
        } catch {
            throw fail(error, format: format)
        }
    }
}

/// Plain-text tables with aligned columns.
struct TextTable {
    enum Alignment { case left, right }
    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    func rendered(indent: String = "") -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                parts.append(alignments[index] == .right ? padding + cell : cell + padding)
            }
            var text = indent + parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

/// Values a command keeps until the process exits, for the operating system to reclaim at once: freeing a large
/// organization's million records one by one takes a good part of the time it took to validate them.
enum ProcessLifetime {
    nonisolated(unsafe) private static var kept: [Any] = []

    static func keep(_ values: Any...) { kept.append(contentsOf: values) }
}
