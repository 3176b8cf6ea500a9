import Foundation

/// A temporary folder for one test, removed when the test ends.
public func withScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array((NSTemporaryDirectory() + "/orgsync-test-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    let path = URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// What a finished process printed and how it exited.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments` and waits for it. `environment` replaces the whole environment.
public func runProcess(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String]) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes to the end before waiting, so a full pipe cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessOutput(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// An isolated git environment: its own HOME, no system config, a fixed identity and no colors.
public func isolatedEnvironment(home: String, email: String? = "ana@acme.example", name: String = "Ana Lopez") -> [String: String] {
    var environment = [
        "HOME": home,
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "TMPDIR": home,
    ]
    if let email {
        environment["GIT_AUTHOR_NAME"] = name
        environment["GIT_AUTHOR_EMAIL"] = email
        environment["GIT_COMMITTER_NAME"] = name
        environment["GIT_COMMITTER_EMAIL"] = email
    }
    return environment
}

/// Runs the real `git` CLI in `directory` with an isolated environment.
@discardableResult
public func git(_ arguments: [String], in directory: String, home: String) throws -> ProcessOutput {
    try runProcess("/usr/bin/env", ["git"] + arguments, in: directory, environment: isolatedEnvironment(home: home))
}

/// The root of the orgsync package, for reading samples and docs.
public let packageRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}()

/// Every regular file below `directory`, as path relative to it → contents.
public func filesBelow(_ directory: String) throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    let base = URL(fileURLWithPath: directory).standardizedFileURL.path
    guard let enumerator = FileManager.default.enumerator(atPath: base) else { return files }
    while let relative = enumerator.nextObject() as? String {
        var isDirectory: ObjCBool = false
        let full = base + "/" + relative
        if relative == ".git" || relative.hasPrefix(".git/") { continue }
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
           let data = FileManager.default.contents(atPath: full) {
            files[relative] = [UInt8](data)
        }
    }
    return files
}

/// SplitMix64: a small deterministic generator, the same on every machine, so a failing seed replays.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
