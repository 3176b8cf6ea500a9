import Foundation
import OrgTestSupport
import Testing

/// T5 end to end: real keys from `ssh-keygen`, commits signed by the real git CLI and by orgsync, checked by
/// `validate --range` and by the server's pre-receive hook.
@Suite("signed commits (T5)")
struct SignedCommitTests {
    typealias World = EnforcementTests.World

    /// An ed25519 key pair at `scratch/name` (private) and `.pub`; returns the public line and its fingerprint.
    static func key(_ name: String, in world: World) throws -> (line: String, fingerprint: String) {
        let path = world.scratch + "/" + name
        let made = try runProcess("/usr/bin/env", ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], in: world.scratch,
                                  environment: isolatedEnvironment(home: world.scratch))
        try #require(made.status == 0, "\(made.stderr)")
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let listed = try runProcess("/usr/bin/env", ["ssh-keygen", "-l", "-f", path + ".pub"], in: world.scratch, environment: isolatedEnvironment(home: world.scratch))
        let fingerprint = try #require(listed.stdout.split(separator: " ").dropFirst().first.map(String.init))
        return (line, fingerprint)
    }

    @Test func withThePolicyEveryCommitCarriesItsAuthorsSignature() throws {
        try EnforcementTests.withWorld { world in
            let ana = try Self.key("ana", in: world)
            let eve = try Self.key("eve", in: world)
            let member = try String(contentsOfFile: world.org + "/members/ana.yaml", encoding: .utf8)
            try world.write("members/ana.yaml", member + "signingKeys:\n  - \(ana.line)\n")
            #expect(try world.commit("Ana's signing key").status == 0)
            try #require(try world.git(["config", "gpg.format", "ssh"]).status == 0)
            try #require(try world.git(["config", "user.signingkey", world.scratch + "/ana"]).status == 0)
            let org = try String(contentsOfFile: world.org + "/org.yaml", encoding: .utf8)
            try world.write("org.yaml", org + "policy:\n  signedCommits: required\n")
            try world.git(["add", "-A"])
            #expect(try world.git(["commit", "-q", "-S", "-m", "Require signed commits"]).status == 0)

            try #require(try world.git(["init", "-q", "--bare", "-b", "main", world.remote], in: world.scratch).status == 0)
            try #require(try world.orgsync(["hooks", "install", "--server", "--repo", world.remote]).status == 0)
            try #require(try world.git(["remote", "add", "origin", world.remote]).status == 0)
            let first = try world.git(["push", "-q", "origin", "main"])
            #expect(first.status == 0, "\(first.stderr)")
            let published = try world.head()

            // An unsigned commit: the client hook cannot see a signature that does not exist yet, the range
            // check and the server can.
            let (path, text) = EnforcementTests.event(1, "by: ana\ntype: transfer\nfrom: core\nto: team-a\ncredits: 100\n")
            try world.write(path, text)
            let committed = try world.commit("Fund team A")
            #expect(committed.status == 0)
            #expect(committed.stderr == "orgsync: note: policy.signedCommits is required; commit with -S (or 'git config commit.gpgsign true'), or the server will reject this commit\n")
            let unsigned = try world.head()
            let howTo = "git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub; git commit --amend -S --no-edit"
            let notSigned = "members/ana.yaml: error: [T5] commit \(unsigned.prefix(10)) is not signed, and policy.signedCommits is required; sign it with one of ana's signing keys (\(howTo))"
            let range = try world.orgsync(["validate", "--range", "origin/main..HEAD"])
            #expect(range.status == 1)
            #expect(range.stdout == "commit \(unsigned.prefix(10)) Fund team A (ana@acme.example): invalid\n  \(notSigned)\ninvalid: 1 of 1 commit in origin/main..HEAD breaks a rule\n")
            let rejected = try world.git(["push", "origin", "main"])
            #expect(rejected.status != 0)
            #expect(rejected.stderr.contains("remote:     \(notSigned)\n"), "\(rejected.stderr)")

            // Signed, but with a key that is not ana's.
            #expect(try world.git(["-c", "user.signingkey=" + world.scratch + "/eve", "commit", "-q", "--amend", "-S", "--no-edit"]).status == 0)
            let foreign = try world.head()
            let rejectedForeign = try world.git(["push", "origin", "main"])
            #expect(rejectedForeign.status != 0)
            #expect(rejectedForeign.stderr.contains("remote:     members/ana.yaml: error: [T5] commit \(foreign.prefix(10)) is signed with \(eve.fingerprint), which is not one of ana's signing keys; sign it with a key listed in members/ana.yaml, or have an owner add this key there first\n"),
                    "\(rejectedForeign.stderr)")
            #expect(try world.git(["rev-parse", "main"], in: world.remote).stdout == published + "\n")

            // Signed with ana's key: accepted.
            #expect(try world.git(["commit", "-q", "--amend", "-S", "--no-edit"]).status == 0)
            let signedPush = try world.git(["push", "-q", "origin", "main"])
            #expect(signedPush.status == 0, "\(signedPush.stderr)")

            // A merge with a commit from before the policy, keeping that commit's tree (no policy): the policy
            // of every parent counts, so the unsigned merge is rejected and cannot turn signatures off.
            let beforePolicy = try world.git(["rev-parse", "HEAD~2"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try world.git(["log", "-1", "--format=%s", beforePolicy]).stdout == "Ana's signing key\n")
            #expect(try world.git(["checkout", "-q", "-b", "sneak", beforePolicy]).status == 0)
            #expect(try world.git(["merge", "-q", "--no-verify", "-s", "ours", "-m", "Sneak the policy out", "main"]).status == 0)
            let sneak = try world.head()
            let rejectedMerge = try world.git(["push", "origin", "sneak:main"])
            #expect(rejectedMerge.status != 0)
            #expect(rejectedMerge.stderr.contains("remote:     members/ana.yaml: error: [T5] commit \(sneak.prefix(10)) is not signed, and policy.signedCommits is required;"),
                    "\(rejectedMerge.stderr)")
            #expect(try world.git(["checkout", "-q", "main"]).status == 0)

            // orgsync signs its own commits with the configured key, and git itself verifies them.
            let topUp = try world.orgsync(["topup", "--credits", "5"])
            #expect(topUp.status == 0, "\(topUp.stderr)")
            try Data("ana@acme.example \(ana.line)\n".utf8).write(to: URL(fileURLWithPath: world.scratch + "/allowed-signers"))
            let verified = try world.git(["-c", "gpg.ssh.allowedSignersFile=" + world.scratch + "/allowed-signers", "verify-commit", "HEAD"])
            #expect(verified.status == 0)
            #expect(verified.stderr.hasPrefix("Good \"git\" signature for ana@acme.example with ED25519 key \(ana.fingerprint)"), "\(verified.stderr)")
            #expect(try world.git(["push", "-q", "origin", "main"]).status == 0)

            // With a key that is not hers, orgsync refuses before writing anything.
            let before = try world.head()
            #expect(try world.git(["config", "user.signingkey", world.scratch + "/eve"]).status == 0)
            let refused = try world.orgsync(["topup", "--credits", "5"])
            #expect(refused.status == 1)
            #expect(refused.stderr == """
            members/ana.yaml: error: [T5] the new commit is signed with \(eve.fingerprint), which is not one of ana's signing keys; sign it with a key listed in members/ana.yaml, or have an owner add this key there first
            error: the commit would not be accepted (above); nothing was written

            """)
            #expect(try world.head() == before)
            #expect(try world.git(["status", "--porcelain"]).stdout == "")

            // Without a key configured, it says how to set one up.
            #expect(try world.git(["config", "--unset", "user.signingkey"]).status == 0)
            let unconfigured = try world.orgsync(["topup", "--credits", "5"])
            #expect(unconfigured.status == 1)
            #expect(unconfigured.stderr == "error: policy.signedCommits is required, and user.signingkey is not set; name your ssh-ed25519 key with 'git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub' and run the command again\n")
            #expect(try world.head() == before)
        }
    }
}
