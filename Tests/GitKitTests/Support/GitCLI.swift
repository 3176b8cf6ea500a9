import Foundation
import GitKit
import Testing

/// The git CLI failed.
struct GitCommandError: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let standardError: String

    var description: String {
        "git \(arguments.joined(separator: " ")) exited with \(status): \(standardError)"
    }
}

extension Scratch {
    /// Runs the git CLI in the scratch directory with an isolated environment and returns its standard output.
    ///
    /// Authored and committed dates are fixed at 1700000000 +0200 so commits are reproducible.
    @discardableResult
    func git(_ arguments: String..., allowFailure: Bool = false) throws -> String {
        String(decoding: try gitData(arguments, allowFailure: allowFailure), as: UTF8.self)
    }

    /// Like `git(_:)`, returning the raw bytes of standard output.
    func gitData(_ arguments: [String], allowFailure: Bool = false) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root, isDirectory: true)
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            "TZ": "UTC",
            "GIT_AUTHOR_DATE": "1700000000 +0200",
            "GIT_COMMITTER_DATE": "1700000000 +0200",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || allowFailure else {
            throw GitCommandError(
                arguments: arguments,
                status: process.terminationStatus,
                standardError: String(decoding: errorData, as: UTF8.self)
            )
        }
        return Array(data)
    }

    /// Makes a non-bare repository with the git CLI, on branch `main`, with a committer identity in its own config.
    func makeRepository(_ relative: String = "repo") throws {
        try git("init", "--quiet", "-b", "main", relative)
        try git("-C", relative, "config", "user.name", "CLI Tester")
        try git("-C", relative, "config", "user.email", "cli@example.com")
    }

    /// The id `git rev-parse --verify` gives for `revision` in the repository at `relative`.
    func objectID(_ revision: String, in relative: String = "repo") throws -> ObjectID {
        let hex = try git("-C", relative, "rev-parse", "--verify", "--quiet", revision)
            .trimmingCharacters(in: .newlines)
        return try #require(ObjectID(hex: hex), "git rev-parse \(revision) printed '\(hex)'")
    }

    /// Commits everything staged in the repository at `relative` with the CLI and returns the new commit.
    @discardableResult
    func commit(_ message: String, in relative: String = "repo") throws -> ObjectID {
        try git("-C", relative, "commit", "--quiet", "--allow-empty", "-m", message)
        return try objectID("HEAD", in: relative)
    }

    /// Writes `contents` to `relative`, creating missing directories.
    func write(_ relative: String, _ contents: String) throws {
        try write(relative, Array(contents.utf8))
    }

    /// Writes `bytes` to `relative`, creating missing directories.
    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(bytes).write(to: url)
    }
}
