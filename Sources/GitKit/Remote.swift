import CGitExec
import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// What a clone, fetch or push reports while it runs, from libgit2's transfer callbacks.
public enum TransferProgress: Sendable, Equatable {
    /// Objects received from the remote so far, of `total`, and the bytes they took.
    case receiving(objects: Int, total: Int, bytes: Int)
    /// Deltas resolved so far, of `total`, once every object is in.
    case resolving(deltas: Int, total: Int)
    /// Objects sent to the remote so far, of `total`, and the bytes they took.
    case sending(objects: Int, total: Int, bytes: Int)
    /// Text the remote printed (git's `remote:` lines): its own progress, and what its hooks say.
    case remote(String)
}

/// How a push went, ref by ref.
public struct PushResult: Sendable, Equatable {
    /// The refs the remote refused, with its reason, such as `pre-receive hook declined`.
    public var rejected: [String: String] = [:]
    /// Everything the remote printed, in order, split into lines (its hooks' output among them).
    public var remoteLines: [String] = []
}

/// Collects what libgit2's remote callbacks report during one operation.
private final class TransferObserver {
    let progress: ((TransferProgress) -> Void)?
    var rejected: [String: String] = [:]
    var remoteText: [UInt8] = []
    var credentialRequests = 0

    init(progress: ((TransferProgress) -> Void)?) { self.progress = progress }

    var remoteLines: [String] {
        String(decoding: remoteText, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .map { String($0) }
    }

    /// Fills `callbacks` with functions that report to `observer` through the payload, and with the
    /// transport that runs git's own upload-pack and receive-pack for repositories on this machine.
    static func install(_ observer: TransferObserver, into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(observer).toOpaque()
        callbacks.transport = orgsync_exec_transport
        callbacks.transfer_progress = { stats, payload in
            guard let stats = stats?.pointee, let observer = TransferObserver.from(payload) else { return 0 }
            if stats.received_objects < stats.total_objects || stats.total_deltas == 0 {
                observer.progress?(.receiving(objects: Int(stats.received_objects), total: Int(stats.total_objects), bytes: Int(stats.received_bytes)))
            } else {
                observer.progress?(.resolving(deltas: Int(stats.indexed_deltas), total: Int(stats.total_deltas)))
            }
            return 0
        }
        callbacks.push_transfer_progress = { current, total, bytes, payload in
            TransferObserver.from(payload)?.progress?(.sending(objects: Int(current), total: Int(total), bytes: bytes))
            return 0
        }
        callbacks.sideband_progress = { text, length, payload in
            guard let text, length > 0, let observer = TransferObserver.from(payload) else { return 0 }
            let bytes = Array(UnsafeRawBufferPointer(start: text, count: Int(length)))
            observer.remoteText += bytes
            observer.progress?(.remote(String(decoding: bytes, as: UTF8.self)))
            return 0
        }
        callbacks.push_update_reference = { name, status, payload in
            if let name, let status, let observer = TransferObserver.from(payload) {
                observer.rejected[String(cString: name)] = String(cString: status)
            }
            return 0
        }
        callbacks.credentials = { out, _, username, allowed, payload in
            // One try with the ssh agent; libgit2 asks again after a refusal, and asking forever would hang.
            guard let observer = TransferObserver.from(payload), observer.credentialRequests == 0,
                  allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            observer.credentialRequests += 1
            if let username { return git_credential_ssh_key_from_agent(out, username) }
            return git_credential_ssh_key_from_agent(out, "git")
        }
    }

    static func from(_ payload: UnsafeMutableRawPointer?) -> TransferObserver? {
        payload.map { Unmanaged<TransferObserver>.fromOpaque($0).takeUnretainedValue() }
    }
}

extension Repository {
    /// Clones `url` into `path` and checks out the remote's default branch, as `git clone` does: the remote
    /// is `origin`, and every remote branch becomes `refs/remotes/origin/…`.
    ///
    /// A local path or `file://` URL is reached through `git upload-pack`, so the `git` CLI must be on PATH
    /// (or named by `ORGSYNC_GIT`); ssh (with the ssh agent) and https are libgit2's own.
    public static func clone(url: String, to path: String, progress: ((TransferProgress) -> Void)? = nil) throws -> Repository {
        let runtime = try GitRuntime.acquire()
        return try withExtendedLifetime(runtime) {
            var options = git_clone_options()
            try check(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), function: "git_clone_options_init")
            // Through the transport (upload-pack), never by copying files: one path for every kind of remote.
            options.local = GIT_CLONE_NO_LOCAL
            let observer = TransferObserver(progress: progress)
            TransferObserver.install(observer, into: &options.fetch_opts.callbacks)
            try requireLocalRepository(url, function: "git_clone")
            let repository = try withExtendedLifetime(observer) {
                try withCheckedCString(url, "URL", function: "git_clone") { url in
                    try withCheckedCString(path, "path", function: "git_clone") { path in
                        try make("git_clone") { git_clone(&$0, url, path, &options) }
                    }
                }
            }
            return Repository(pointer: repository, runtime: runtime)
        }
    }

    /// The names of the configured remotes, sorted.
    public func remoteNames() throws -> [String] {
        var names = git_strarray()
        try check(git_remote_list(&names, pointer), function: "git_remote_list")
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { string(names.strings[$0]) }.sorted()
    }

    /// The URL of the remote `name` (its push URL when `forPush` and one is set), or nil when there is no such remote.
    public func remoteURL(_ name: String, forPush: Bool = false) throws -> String? {
        guard let remote = try lookupRemote(name) else { return nil }
        defer { git_remote_free(remote) }
        if forPush, let push = string(git_remote_pushurl(remote)) { return push }
        return string(git_remote_url(remote))
    }

    /// Fetches from the remote `name` with its configured refspecs, updating its remote-tracking references
    /// (`refs/remotes/<name>/…`), as `git fetch <name>` does.
    public func fetch(remote name: String, progress: ((TransferProgress) -> Void)? = nil) throws {
        guard let remote = try lookupRemote(name) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, klass: Int32(bitPattern: GIT_ERROR_CONFIG.rawValue),
                           message: "remote '\(name)' does not exist", function: "git_remote_lookup")
        }
        defer { git_remote_free(remote) }
        try requireLocalRepository(string(git_remote_url(remote)) ?? "", function: "git_remote_fetch")
        var options = git_fetch_options()
        try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), function: "git_fetch_options_init")
        let observer = TransferObserver(progress: progress)
        TransferObserver.install(observer, into: &options.callbacks)
        try withExtendedLifetime(observer) {
            try withCheckedCString("fetch: \(name)", "reflog message", function: "git_remote_fetch") { message in
                try check(git_remote_fetch(remote, nil, &options, message), function: "git_remote_fetch")
            }
        }
    }

    /// Pushes `refspecs` (such as `refs/heads/main:refs/heads/main`) to the remote `name`, and updates its
    /// remote-tracking references for what the remote accepted.
    ///
    /// A ref the remote refuses (a hook declined it, or it moved) is in the result's `rejected`; a push that
    /// is not a fast-forward of what this repository knows of the remote throws with `isNonFastForward`.
    public func push(remote name: String, refspecs: [String], progress: ((TransferProgress) -> Void)? = nil) throws -> PushResult {
        guard let remote = try lookupRemote(name) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, klass: Int32(bitPattern: GIT_ERROR_CONFIG.rawValue),
                           message: "remote '\(name)' does not exist", function: "git_remote_lookup")
        }
        defer { git_remote_free(remote) }
        try requireLocalRepository(string(git_remote_pushurl(remote)) ?? string(git_remote_url(remote)) ?? "", function: "git_remote_push")
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), function: "git_push_options_init")
        let observer = TransferObserver(progress: progress)
        TransferObserver.install(observer, into: &options.callbacks)
        for spec in refspecs where spec.utf8.contains(0) {
            throw GitError.invalidInput("refspec contains a NUL byte", function: "git_remote_push")
        }
        var copies = refspecs.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        try withExtendedLifetime(observer) {
            try copies.withUnsafeMutableBufferPointer { buffer in
                var specs = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                try check(git_remote_push(remote, &specs, &options), function: "git_remote_push")
            }
        }
        return PushResult(rejected: observer.rejected, remoteLines: observer.remoteLines)
    }

    /// Looks up the remote `name`; nil when it is not configured. The caller frees it.
    private func lookupRemote(_ name: String) throws -> OpaquePointer? {
        var remote: OpaquePointer?
        let result = try withCheckedCString(name, "remote name", function: "git_remote_lookup") { name in
            git_remote_lookup(&remote, pointer, name)
        }
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue {
            git_error_clear()
            return nil
        }
        try check(result, function: "git_remote_lookup")
        return remote
    }
}

/// Throws a clear error when `url` names a repository on this machine that is not there (a moved folder,
/// an unmounted disk), which git's upload-pack would only report as an early end of the conversation.
private func requireLocalRepository(_ url: String, function: String) throws {
    guard orgsync_url_is_local(url) != 0 else { return }
    let path = url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : url
    let isRepository = ["/HEAD", "/.git/HEAD", "/.git"].contains { suffix in access(path + suffix, F_OK) == 0 }
    guard isRepository else {
        throw GitError(code: GIT_ENOTFOUND.rawValue, klass: Int32(bitPattern: GIT_ERROR_NET.rawValue),
                       message: "'\(path)' is not a git repository, or cannot be reached", function: function)
    }
}

extension GitError {
    /// Whether a push was refused because the remote's branch has commits this one does not contain.
    public var isNonFastForward: Bool { code == GIT_ENONFASTFORWARD.rawValue }
}
