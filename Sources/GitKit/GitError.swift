import CLibGit2

/// A failed libgit2 call, with libgit2's own code, error class and message.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// The `git_error_code` the call returned, such as `GIT_ENOTFOUND` (-3).
    public var code: Int32
    /// The `git_error_t` class libgit2 reported, or 0 (`GIT_ERROR_NONE`) when it reported none.
    public var klass: Int32
    /// What went wrong, in libgit2's words or GitKit's when libgit2 gave none.
    public var message: String
    /// The libgit2 function that failed, such as `git_revparse_single`.
    public var function: String

    init(code: Int32, klass: Int32, message: String, function: String) {
        self.code = code
        self.klass = klass
        self.message = message
        self.function = function
    }

    /// The error as `<function> failed: <message>`.
    public var description: String {
        "\(function) failed: \(message)"
    }

    /// Whether the thing asked for (object, reference, revision, config key, repository) does not exist.
    public var isNotFound: Bool {
        code == GIT_ENOTFOUND.rawValue
    }

    /// Whether a compare-and-swap reference update was refused because the reference was not where the caller expected.
    public var isReferenceMismatch: Bool {
        code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue
    }
}

extension GitError {
    /// Builds the error for `code` from `git_error_last()`, then clears libgit2's error so it cannot go stale.
    ///
    /// Call it immediately after the failing call, on the same thread, while a `GitRuntime` is alive.
    static func last(code: Int32, function: String) -> GitError {
        defer { git_error_clear() }
        guard let last = git_error_last(), let text = last.pointee.message else {
            return GitError(
                code: code,
                klass: 0,
                message: "libgit2 returned \(code) without an error message",
                function: function
            )
        }
        return GitError(code: code, klass: last.pointee.klass, message: String(cString: text), function: function)
    }

    /// An error GitKit raises itself for input libgit2 would silently mangle or misread.
    static func invalidInput(_ message: String, function: String) -> GitError {
        GitError(
            code: GIT_EINVALID.rawValue,
            klass: Int32(bitPattern: GIT_ERROR_INVALID.rawValue),
            message: message,
            function: function
        )
    }

    /// An error for a libgit2 call that reported success but returned no result.
    static func missingResult(function: String) -> GitError {
        GitError(
            code: GIT_ERROR.rawValue,
            klass: 0,
            message: "libgit2 reported success but returned no result",
            function: function
        )
    }
}

/// Throws the `GitError` for a negative libgit2 return code; passes non-negative codes through.
@discardableResult
func check(_ code: Int32, function: String) throws(GitError) -> Int32 {
    guard code < 0 else { return code }
    throw GitError.last(code: code, function: function)
}
