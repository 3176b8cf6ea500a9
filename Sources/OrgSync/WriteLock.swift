import Foundation
import GitKit

/// Serializes orgsync's writes to one repository (SPEC S4): an exclusive `flock` on `.git/orgsync/lock`,
/// held from before a command reads HEAD until it has moved the branch, so that two orgsync processes on
/// one clone run one after the other instead of failing each other.
///
/// The kernel releases the lock when its process ends, however it ends, so a killed orgsync never leaves
/// a stale lock behind; the file itself stays. A second process waits for the holder, up to
/// `ORGSYNC_LOCK_TIMEOUT` seconds (120 by default; 0 refuses at once). Within one process the lock is
/// re-entrant on the thread that holds it: `sync` holds it across the merge and the commits it makes.
/// git's own commands take `index.lock` and the ref locks; this lock is orgsync's alone.
public final class WriteLock {
    let path: String
    private var descriptor: Int32 = -1
    /// Whether this instance took the lock, or re-entered the one its thread holds.
    private var owns = false
    private var reentered = false

    /// Called with a sentence when the lock is busy and this process starts waiting, and when it settles
    /// what an orgsync process stopped mid-write left behind (the journal).
    nonisolated(unsafe) public static var onNotice: ((String) -> Void)?

    init(_ repository: GitKit.Repository) throws(OrgSyncError) {
        let folder = repository.gitDirectory + "/orgsync"
        path = folder + "/lock"
        if Self.reenter(path) {
            reentered = true
            return
        }
        if mkdir(folder, 0o755) != 0, errno != EEXIST {
            throw OrgSyncError(.environment, "cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OrgSyncError(.environment, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let timeout = Self.timeout
        let started = Date()
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let failure = String(cString: strerror(errno))
                close(descriptor)
                throw OrgSyncError(.environment, "cannot lock \(path): \(failure)")
            }
            if Date().timeIntervalSince(started) >= timeout {
                close(descriptor)
                throw OrgSyncError(.refused, "another orgsync command\(Self.holder(path)) is writing to this repository and still was after \(Int(timeout)) s; nothing was changed: run the command again when it has finished (ORGSYNC_LOCK_TIMEOUT sets how long to wait)")
            }
            if !announced {
                announced = true
                Self.onNotice?("waiting for another orgsync command\(Self.holder(path)) to finish writing this repository…")
            }
            usleep(20_000)
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        owns = true
        Self.register(path)
        // The journal's writer is gone (we hold its lock): finish or undo what it was doing.
        if let note = Journal.recover(in: repository) { Self.onNotice?(note) }
    }

    deinit {
        if reentered { Self.leave(path) }
        guard owns else { return }
        Self.unregister(path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    // MARK: Re-entry within this process

    private static let registry = NSLock()
    nonisolated(unsafe) private static var holders: [String: (thread: pthread_t, depth: Int)] = [:]

    /// Enters the lock again when this thread holds it already.
    private static func reenter(_ path: String) -> Bool {
        registry.withLock {
            guard let holder = holders[path], pthread_equal(holder.thread, pthread_self()) != 0 else { return false }
            holders[path]?.depth += 1
            return true
        }
    }

    private static func leave(_ path: String) {
        registry.withLock { holders[path]?.depth -= 1 }
    }

    private static func register(_ path: String) {
        registry.withLock { holders[path] = (pthread_self(), 0) }
    }

    private static func unregister(_ path: String) {
        registry.withLock { _ = holders.removeValue(forKey: path) }
    }

    // MARK: Waiting

    private static var timeout: TimeInterval {
        ProcessInfo.processInfo.environment["ORGSYNC_LOCK_TIMEOUT"].flatMap { TimeInterval($0) }.map { max(0, $0) } ?? 120
    }

    /// " (pid N)" for the process the lock file names, or nothing.
    private static func holder(_ path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return "" }
        return " (pid \(pid))"
    }
}
