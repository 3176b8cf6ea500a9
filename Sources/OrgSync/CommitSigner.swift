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

    /// The signer for a commit by `author` from `before` to `after`, when either requires signed commits;
    /// nil when neither does. Throws when signing is required and git is not configured for it.
    static func required(from before: OrgState?, to after: OrgState?, author: String, in repository: GitKit.Repository) throws(OrgSyncError) -> CommitSigner? {
        guard before?.requiresSignedCommits == true || after?.requiresSignedCommits == true else { return nil }
        let setup = "git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub"
        let config = { (key: String) in ((try? repository.config(key)) ?? nil).flatMap { $0.isEmpty ? nil : $0 } }
        guard config("gpg.format") == "ssh" else {
            throw OrgSyncError(.refused, "policy.signedCommits is required, and git is not set to sign with SSH (gpg.format is \(config("gpg.format") ?? "unset")); set it up with '\(setup)' and run the command again")
        }
        guard let key = config("user.signingkey") else {
            throw OrgSyncError(.refused, "policy.signedCommits is required, and user.signingkey is not set; name your ssh-ed25519 key with '\(setup)' and run the command again")
        }
        let signer = (before ?? after)?.signer(email: author)
        if key.hasPrefix("key::") {
            return CommitSigner(program: config("gpg.ssh.program") ?? "ssh-keygen", keyFile: String(key.dropFirst(5)), literal: true, signer: signer, author: author)
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
        var temporary: String?
        defer { if let temporary { unlink(temporary) } }
        if literal {
            let path = NSTemporaryDirectory() + "orgsync-signingkey-\(getpid()).pub"
            do {
                try Data((keyFile + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw OrgSyncError(.environment, "cannot write the signing key to \(path): \(error.localizedDescription)")
            }
            temporary = path
            keyFile = path
        }
        let output = try run([program, "-Y", "sign", "-n", "git", "-f", keyFile] + (literal ? ["-U"] : []), input: Array(content.utf8))
        let armored = output.trimmingCharacters(in: .whitespacesAndNewlines)
        // A key that is not the author's makes a commit every hook rejects: refuse it before anything is written.
        if let problem = Transition.signature(of: "the new commit", (Array(armored.utf8), Array(content.utf8)), author: author, signer: signer) {
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
        // The commit text is small; write it, then read both outputs to their end.
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
        let signature = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw OrgSyncError(.environment, "\(program) could not sign the commit with \(keyFile): \(detail.isEmpty ? "exit \(process.terminationStatus)" : detail)")
        }
        return String(decoding: signature, as: UTF8.self)
    }
}
