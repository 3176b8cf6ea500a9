import CLibGit2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps libgit2 initialized for as long as any instance is alive.
///
/// This is GitKit's only call site of `git_libgit2_init` and `git_libgit2_shutdown`. libgit2 counts those calls,
/// so every `Repository` holds its own runtime and the library shuts down when the last one is released.
/// Process-wide libgit2 options (search paths, owner validation) are forgotten at that point.
final class GitRuntime: Sendable {
    private init() {}

    /// Initializes libgit2, or adds one more user to an initialized libgit2.
    static func acquire() throws(GitError) -> GitRuntime {
        let count = git_libgit2_init()
        guard count > 0 else {
            // libgit2 may have no thread state to report through after a failed init, so don't ask it.
            throw GitError(code: count, klass: 0, message: "libgit2 could not be initialized", function: "git_libgit2_init")
        }
        return GitRuntime()
    }

    deinit {
        git_libgit2_shutdown()
    }

    /// Points libgit2's system, XDG, global and ProgramData config search paths at `directory`, or back at the
    /// defaults derived from the environment when `directory` is nil.
    ///
    /// Process-wide; it lasts only while some runtime stays alive.
    func setConfigSearchPaths(_ directory: String?) throws {
        let levels = [
            GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
        ]
        for level in levels {
            if let directory {
                try withCheckedCString(directory, "config search path", function: "git_libgit2_opts") { path in
                    try check(orgsync_git_set_search_path(level.rawValue, path), function: "git_libgit2_opts")
                }
            } else {
                try check(orgsync_git_set_search_path(level.rawValue, nil), function: "git_libgit2_opts")
            }
        }
    }
}

/// Calls `body` with a C string of `string`, refusing strings with a NUL byte, which C would silently cut short.
@discardableResult
func withCheckedCString<R>(
    _ string: String,
    _ what: String,
    function: String,
    _ body: (UnsafePointer<CChar>) throws -> R
) throws -> R {
    guard !string.utf8.contains(0) else {
        throw GitError.invalidInput("\(what) contains a NUL byte", function: function)
    }
    return try string.withCString(body)
}

/// Calls a libgit2 function that returns a new owned handle through its first argument, and returns that handle.
///
/// The caller owns the handle and frees it in a `defer`.
func make(_ function: String, _ call: (inout OpaquePointer?) -> Int32) throws -> OpaquePointer {
    var handle: OpaquePointer?
    try check(call(&handle), function: function)
    guard let handle else { throw GitError.missingResult(function: function) }
    return handle
}

/// Copies a NUL-terminated C string that libgit2 lends, or returns nil for a NULL pointer.
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

/// Copies the bytes of a NUL-terminated C string that libgit2 lends, without the NUL.
func bytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
    var result: [UInt8] = []
    var cursor = pointer
    while cursor.pointee != 0 {
        result.append(UInt8(bitPattern: cursor.pointee))
        cursor += 1
    }
    return result
}

/// Drops one trailing slash, as libgit2 ends directory paths with one.
func trimmingTrailingSlash(_ path: String) -> String {
    path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
}

/// Whether `path` names a directory, following symbolic links.
func isDirectory(_ path: UnsafePointer<CChar>) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
}
