import Foundation
import GitKit
import OrgModel

/// Signs the commits orgsync makes, as `git commit -S` does with `gpg.format ssh`: `ssh-keygen -Y sign -n git`
/// with the key `user.signingkey` names (a key file, or `key::` and a public key held by ssh-agent), or the
/// program `gpg.ssh.program` names. Used when the organization's policy requires signed commits (T5).
struct CommitSigner {
    let program: String
    /// The path given to `-f`: a private key, or a public key whose private half ssh-agent holds.
    let keyFile: String
    /// Whether the key is a literal public key (`key::`), which ssh-keygen finds in ssh-agent.
    let literal: Bool
    /// The author's id and keys, against which every signature is checked before the commit is written.
    let signer: (id: String, keys: [String])?
    let author: String

    /// The signer for a commit by `author` from `parents` to `result`, when T5 applies to it; nil when it
    /// does not. Throws when signing is required and git is not configured for it.
    static func required(from parents: [OrgState], to result: OrgState, author: String, in repository: GitKit.Repository) throws(OrgSyncError) -> CommitSigner? {
        guard Transition.requiresSignature(from: parents, to: result) else { return nil }
        let setup = "git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub"
        let config = { (key: String) in ((try? repository.config(key)) ?? nil).flatMap { $0.isEmpty ? nil : $0 } }
        guard config("gpg.format") == "ssh" else {
            throw OrgSyncError(.refused, "policy.signedCommits is required, and git is not set to sign with SSH (gpg.format is \(config("gpg.format") ?? "unset")); set it up with '\(setup)' and run the command again")
        }
        guard let key = config("user.signingkey") else {
            throw OrgSyncError(.refused, "policy.signedCommits is required, and user.signingkey is not set; name your ssh-ed25519 key with '\(setup)' and run the command again")
        }
        let signer = Transition.signer(author, from: parents, to: result)
        // As git: `key::` and a public key line are the key itself, held by ssh-agent; anything else is a path.
        if key.hasPrefix("key::") || key.hasPrefix("ssh-") {
            return CommitSigner(program: config("gpg.ssh.program") ?? "ssh-keygen", keyFile: key.hasPrefix("key::") ? String(key.dropFirst(5)) : key,
                                literal: true, signer: signer, author: author)
        }
        let path = key.hasPrefix("~/") ? NSHomeDirectory() + key.dropFirst(1) : key
        guard FileManager.default.fileExists(atPath: path) else {
            throw OrgSyncError(.refused, "user.signingkey names '\(key)', which does not exist; point it at your ssh-ed25519 key ('\(setup)')")
        }
        return CommitSigner(program: config("gpg.ssh.program") ?? "ssh-keygen", keyFile: path, literal: false, signer: signer, author: author)
    }

    /// The armored SSH signature of `content` (a commit object's text), checked against the author's keys.
    func sign(_ content: String) throws(OrgSyncError) -> String {
        var keyFile = self.keyFile
        var folder: String?
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        if literal {
            // A private folder of our own: nobody else can put a file at the key's path.
            var template = Array((NSTemporaryDirectory() + "/orgsync-sign-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw OrgSyncError(.environment, "cannot make a temporary folder for the signing key: \(String(cString: strerror(errno)))")
            }
            folder = String(cString: made)
            keyFile = String(cString: made) + "/signingkey.pub"
            do {
                try Data((self.keyFile + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
            } catch {
                throw OrgSyncError(.environment, "cannot write the signing key to \(keyFile): \(error.localizedDescription)")
            }
        }
        let output = try run([program, "-Y", "sign", "-n", "git", "-f", keyFile] + (literal ? ["-U"] : []), input: Array(content.utf8))
        let armored = output.trimmingCharacters(in: .whitespacesAndNewlines)
        // A key that is not the author's makes a commit every hook rejects: refuse it before anything is written.
        if let problem = Transition.signature(of: "the new commit", .signed(signature: Array(armored.utf8), signedData: Array(content.utf8)),
                                              author: author, signer: signer) {
            throw OrgSyncError(.refused, "the commit would not be accepted (above); nothing was written", diagnostics: [problem])
        }
        return armored
    }

    private func run(_ arguments: [String], input: [UInt8]) throws(OrgSyncError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw OrgSyncError(.environment, "cannot run \(program) to sign the commit: \(error.localizedDescription); install OpenSSH or set gpg.ssh.program")
        }
        // Read standard error on the side, so that neither pipe can fill and block the child. A child that
        // exits without reading its input is an error to report, not a SIGPIPE that ends orgsync.
        nonisolated(unsafe) var errors = Data()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            errors = stderr.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        let previous = signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
        try? stdin.fileHandleForWriting.close()
        signal(SIGPIPE, previous)
        let signature = stdout.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw OrgSyncError(.environment, "\(program) could not sign the commit with \(keyFile): \(detail.isEmpty ? "exit \(process.terminationStatus)" : detail)")
        }
        return String(decoding: signature, as: UTF8.self)
    }
}
