@testable import OrgModel
import Testing

/// SSH signatures (SSHSIG) and T5, on signatures made by `ssh-keygen -Y sign` with the keys below.
@Suite("SSH commit signatures (T5)")
struct SignatureTests {
    static let message = Array("tree 0000\nauthor A\n\nmessage\n".utf8)
    static let ana = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7mwKpVlC/f+Rr8SmRSBA/FSiK/echBZkgJqQbIhWtJ ana"
    static let eve = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMF26nG5CZRL0hRLCppgtXkSJQepBc58e/mW+sqTNcR eve"
    /// `ssh-keygen -Y sign -n git -f ana` of `message` (sha512).
    static let signed = """
    -----BEGIN SSH SIGNATURE-----
    U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgHubAqlWUL9/5GvxKZFIED8VKIr
    95yEFmSAmpBsiFa0kAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5
    AAAAQIVnH+PBhwosSa0vBwPvnwDQduWLIHeig7dlMbvhMJbQ7Jnyei+8pqO17EDUMNGfX6
    g/ZurlT6+9m4LsYsMdEAY=
    -----END SSH SIGNATURE-----
    """
    /// `ssh-keygen -Y sign -n file -O hashalg=sha256 -f ana` of `message`.
    static let fileNamespace = """
    -----BEGIN SSH SIGNATURE-----
    U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgHubAqlWUL9/5GvxKZFIED8VKIr
    95yEFmSAmpBsiFa0kAAAAEZmlsZQAAAAAAAAAGc2hhMjU2AAAAUwAAAAtzc2gtZWQyNTUx
    OQAAAEB9TvkF3gxHetFGi9/DlsNVhDliD1jCguSPlrRw3kE5sNQTHMsp8JSWVqZNFD6iR3
    QBCmVEhVTwiy3jPd3VPlYJ
    -----END SSH SIGNATURE-----
    """

    @Test func aSignatureVerifiesOnlyForItsMessageKeyAndNamespace() throws {
        let signature = try SSHSignature(armored: Array(Self.signed.utf8))
        #expect(signature.key == SSHPublicKey(line: Self.ana))
        #expect(signature.key != SSHPublicKey(line: Self.eve))
        #expect(signature.key.fingerprint == "SHA256:8BFG/h2MTWC6FplTO2h4629eXTUVaqLEYyQ1/I3OLHY")
        #expect(signature.namespace == "git")
        #expect(signature.verifies(Self.message))
        #expect(!signature.verifies(Self.message + [0x0A]))
        #expect(!signature.verifies(Self.message, namespace: "file"))

        let other = try SSHSignature(armored: Array(Self.fileNamespace.utf8))
        #expect(other.verifies(Self.message, namespace: "file"))
        #expect(!other.verifies(Self.message))
    }

    @Test func whatIsNotAnSSHSignatureSaysWhy() {
        func problem(_ text: String) -> SSHSignatureError? {
            do throws(SSHSignatureError) {
                _ = try SSHSignature(armored: Array(text.utf8))
                return nil
            } catch {
                return error
            }
        }
        #expect(problem("") == .notSSH("the signature is empty"))
        #expect(problem("-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n") == .notSSH("it is an OpenPGP (gpg) signature, not an SSH one"))
        #expect(problem(Self.signed.replacing("g/ZurlT6", with: "g/Zurl*6")) == .malformed("its armor or base64 is damaged"))
        #expect(problem(String(Self.signed.prefix(60))) == .malformed("its armor or base64 is damaged"))
        // The magic preamble changed: "SSHSIG" → "SSHSIH".
        #expect(problem(Self.signed.replacing("U1NIU0lH", with: "U1NIU0lI")) == .malformed("it is not SSHSIG version 1"))
        func armored(_ blob: [UInt8]) -> String { "-----BEGIN SSH SIGNATURE-----\n\(Base64.encode(blob))\n-----END SSH SIGNATURE-----\n" }
        let preamble = Array("SSHSIG".utf8) + [0, 0, 0, 1]
        #expect(problem(armored(preamble + [0, 0, 0, 9, 1, 2])) == .malformed("its fields are truncated"))
        // A well-formed signature by an RSA key.
        let rsa = [0, 0, 0, 7] + Array("ssh-rsa".utf8)
        let fields: [[UInt8]] = [rsa, Array("git".utf8), [], Array("sha512".utf8), rsa]
        #expect(problem(armored(preamble + fields.flatMap { [0, 0, 0, UInt8($0.count)] + $0 })) == .unsupported("only ssh-ed25519 keys are accepted"))
    }

    @Test func t5NamesWhatIsWrongAndHowToSign() throws {
        let keys = (id: "ana", keys: [Self.ana])
        let good = CommitSignature.signed(signature: Array(Self.signed.utf8), signedData: Self.message)
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", good, author: "ana@acme.example", signer: keys) == nil)
        // git writes the header's continuation lines with a leading space, and libgit2 hands them back so.
        let indented = Self.signed.split(separator: "\n").joined(separator: "\n ")
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", .signed(signature: Array(indented.utf8), signedData: Self.message), author: "ana@acme.example", signer: keys) == nil)

        let howTo = "git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub; git commit --amend -S --no-edit"
        let at = SourceLocation(path: "members/ana.yaml")
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", .unsigned, author: "ana@acme.example", signer: keys)
            == .error(.t(5), "commit 1a2b3c4d5e is not signed, and policy.signedCommits is required; sign it with one of ana's signing keys (\(howTo))", at: at))
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", good, author: "eve@evil.example", signer: nil)
            == .error(.t(5), "commit 1a2b3c4d5e is by eve@evil.example, who is not an active member with signing keys, and policy.signedCommits is required; every commit must be signed by its author's key",
                      at: SourceLocation(path: "org.yaml")))
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", good, author: "ana@acme.example", signer: (id: "ana", keys: [Self.eve]))
            == .error(.t(5), "commit 1a2b3c4d5e is signed with SHA256:8BFG/h2MTWC6FplTO2h4629eXTUVaqLEYyQ1/I3OLHY, which is not one of ana's signing keys; sign it with a key listed in members/ana.yaml, or have an owner add this key there first",
                      at: at))
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", .signed(signature: Array(Self.signed.utf8), signedData: Self.message + Array("tampered\n".utf8)), author: "ana@acme.example", signer: keys)
            == .error(.t(5), "commit 1a2b3c4d5e's signature by SHA256:8BFG/h2MTWC6FplTO2h4629eXTUVaqLEYyQ1/I3OLHY does not verify: the commit was changed after it was signed, or the signature is not for git (namespace 'git'); sign it again",
                      at: at))
        #expect(Transition.signature(of: "commit 1a2b3c4d5e", .signed(signature: Array("-----BEGIN PGP SIGNATURE-----\n".utf8), signedData: Self.message), author: "ana@acme.example", signer: keys)
            == .error(.t(5), "commit 1a2b3c4d5e's signature cannot be checked: it is an OpenPGP (gpg) signature, not an SSH one; sign it with one of ana's ssh-ed25519 signing keys (\(howTo))",
                      at: at))
    }

    /// A commit orgsync signed with ana's key (`git cat-file commit`), which `git verify-commit` accepts.
    static let commitObject = """
    tree fb40706e59f890820c41733bbc38ced14902b665
    parent d98ca3ef1385ea9adba3153ce0242870ad4a87bc
    author Ana <ana@example.com> 1795253131 +0000
    committer Ana <ana@example.com> 1795253131 +0000
    gpgsig -----BEGIN SSH SIGNATURE-----
     U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgHubAqlWUL9/5GvxKZFIED8VKIr
     95yEFmSAmpBsiFa0kAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5
     AAAAQD2441VNKVGw9B2koO5GMiYOYyxOCRfNbYBEgkBz1OqsJ5nR0Lq5FoN/XmDKrV+2Ze
     ul7Gfo/T6ZiEQMrV/4ewI=
     -----END SSH SIGNATURE-----

    Top up 100 credits

    Orgsync-Operation: topup
    Orgsync-Event: 01M7YPSNQR7CPDP2YDMX88574N

    """

    @Test func aCommitIsReadAsGitReadsItAndOnlyItsHeaderHoldsTheSignature() throws {
        let keys = (id: "ana", keys: [Self.ana])
        func verdict(_ object: String) -> Diagnostic? {
            Transition.signature(of: "commit 5861857861", CommitSignature(commitObject: Array(object.utf8)), author: "ana@example.com", signer: keys)
        }
        #expect(verdict(Self.commitObject) == nil)
        guard case .signed(_, let signedData) = CommitSignature(commitObject: Array(Self.commitObject.utf8)) else {
            Issue.record("the commit is not read as signed")
            return
        }
        // What was signed: the object without its gpgsig header.
        let lines = Self.commitObject.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(String(decoding: signedData, as: UTF8.self) == (lines[0..<4] + lines[10...]).joined(separator: "\n"))

        let tampered = verdict(Self.commitObject.replacing("Top up 100", with: "Top up 900"))
        #expect(tampered?.message.hasPrefix("commit 5861857861's signature by SHA256:8BFG/h2MTWC6FplTO2h4629eXTUVaqLEYyQ1/I3OLHY does not verify") == true)
        // A NUL ends C strings: libgit2 would have verified the part before it.
        #expect(verdict(Self.commitObject + "\u{0}Orgsync-Operation: forged\n")?.message
            == "commit 5861857861's signature cannot be checked: the commit object holds a NUL byte, which git and libgit2 read differently; make the commit again and sign it (git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub; git commit --amend -S --no-edit)")
        // A signature block moved into the message is not a signature.
        let header = lines[0..<4].joined(separator: "\n")
        let signature = lines[4..<10].joined(separator: "\n")
        let moved = header + "\n\nTop up 100 credits\n" + signature + "\n"
        #expect(CommitSignature(commitObject: Array(moved.utf8)) == .unsigned)
        #expect(verdict(moved)?.message.hasPrefix("commit 5861857861 is not signed") == true)
        // Two signature headers: not judged.
        let twice = header + "\n" + signature + "\n" + signature + "\n\nTop up 100 credits\n"
        #expect(CommitSignature(commitObject: Array(twice.utf8)) == .malformed("the commit has 2 gpgsig headers; a signed commit has one"))
        // Another algorithm's signature header (gpgsig-sha256) is left out of the signed data, as git leaves it.
        let other = lines[0..<4] + ["gpgsig-sha256 -----BEGIN SSH SIGNATURE-----", " abc", " -----END SSH SIGNATURE-----"] + lines[4...]
        #expect(verdict(other.joined(separator: "\n")) == nil)
    }

    @Test func hostileWireLengthsAreRefusedWithoutTrapping() {
        var reader = SSHWireReader([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(reader.string() == nil)
        var huge = SSHWireReader([0x7F, 0xFF, 0xFF, 0xFF])
        #expect(huge.string() == nil)
        var trailing = SSHWireReader([0, 0, 0, 1, 9, 0])
        #expect(trailing.string() == [9])
        #expect(!trailing.isAtEnd)
    }

    @Test func base64RoundTrips() {
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64.encode(bytes)
            #expect(text.count == (count + 2) / 3 * 4)
            #expect(count == 0 ? Base64.decode(Substring(text)) == nil : Base64.decode(Substring(text)) == bytes)
        }
        #expect(Base64.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw==")
    }
}
