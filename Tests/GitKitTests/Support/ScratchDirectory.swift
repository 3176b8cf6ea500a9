import Foundation
@testable import GitKit
import Testing

/// A test's own temporary directory, with a `home` folder used as `HOME` for the git CLI.
struct Scratch: Sendable {
    /// The directory's absolute path, with symbolic links resolved, so it compares equal to what libgit2 reports.
    let root: String

    /// The `HOME` given to the git CLI; it holds no configuration.
    var home: String { root + "/home" }

    /// The absolute path of `relative` inside the scratch directory.
    func path(_ relative: String) -> String {
        root + "/" + relative
    }

    /// The scratch directory of the running test, which must carry the `.scratchDirectory` trait.
    static func current() throws -> Scratch {
        try #require(ScratchDirectory.current, "the test needs the .scratchDirectory trait")
    }
}

/// Runs a test inside a fresh temporary directory that is removed afterwards.
///
/// It also makes sure libgit2 reads no system, XDG or global configuration (see `LibGit2Isolation`).
struct ScratchDirectory: TestTrait, TestScoping {
    @TaskLocal static var current: Scratch?

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        _ = try LibGit2Isolation.runtime.get()
        let fileManager = FileManager.default
        let url = fileManager.temporaryDirectory
            .appendingPathComponent("gitkit-\(UUID().uuidString)", isDirectory: true)
        try fileManager.createDirectory(at: url.appendingPathComponent("home"), withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: url) }
        let scratch = Scratch(root: url.resolvingSymlinksInPath().path)
        try await ScratchDirectory.$current.withValue(scratch) {
            try await function()
        }
    }
}

extension Trait where Self == ScratchDirectory {
    /// Gives the test its own temporary directory; read it with `Scratch.current()`.
    static var scratchDirectory: ScratchDirectory { ScratchDirectory() }
}

/// Keeps libgit2 away from the machine's git configuration for the whole test process.
///
/// libgit2 reads `$HOME/.gitconfig` and `/etc/gitconfig`; its search paths are process-wide and reset whenever
/// its last user shuts it down, so one runtime is held for the life of the process and the paths point nowhere.
enum LibGit2Isolation {
    static let runtime: Result<GitRuntime, any Error> = Result {
        let runtime = try GitRuntime.acquire()
        let nowhere = FileManager.default.temporaryDirectory
            .appendingPathComponent("gitkit-no-config-\(UUID().uuidString)", isDirectory: true)
        try runtime.setConfigSearchPaths(nowhere.path)
        return runtime
    }
}
