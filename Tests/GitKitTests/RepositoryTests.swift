import Foundation
import GitKit
import Testing

@Suite("Opening and creating repositories")
struct RepositoryTests {
    @Test(.scratchDirectory)
    func createMakesMissingDirectoriesAndAnUnbornBranch() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("nested/repo"))

        #expect(repository.workingDirectory == scratch.path("nested/repo"))
        #expect(repository.gitDirectory == scratch.path("nested/repo/.git"))
        #expect(!repository.isBare)
        #expect(repository.isHeadUnborn)
        #expect(try repository.headCommit() == nil)
        #expect(try repository.headReferenceName() == "refs/heads/main")
        #expect(try scratch.git("-C", "nested/repo", "symbolic-ref", "HEAD") == "refs/heads/main\n")
        #expect(try scratch.git("-C", "nested/repo", "rev-parse", "--is-bare-repository") == "false\n")
    }

    @Test(.scratchDirectory)
    func createBareWithAnotherInitialBranch() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("org.git"), bare: true, initialBranch: "trunk")

        #expect(repository.isBare)
        #expect(repository.workingDirectory == nil)
        #expect(repository.gitDirectory == scratch.path("org.git"))
        #expect(try repository.headReferenceName() == "refs/heads/trunk")
        #expect(try scratch.git("-C", "org.git", "rev-parse", "--is-bare-repository") == "true\n")
        #expect(try scratch.git("-C", "org.git", "symbolic-ref", "HEAD") == "refs/heads/trunk\n")
    }

    @Test(.scratchDirectory, arguments: ["", "bad..name", "has space", "../escape", "refs/heads/", "with\u{0}nul"])
    func createRefusesAnInvalidInitialBranch(_ branch: String) throws {
        let scratch = try Scratch.current()
        let error = try #require(throws: GitError.self) {
            try Repository.create(at: scratch.path("repo"), initialBranch: branch)
        }
        #expect(error.function == "git_repository_init_ext")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("repo")))
    }

    @Test(.scratchDirectory)
    func createOnAnExistingRepositoryKeepsHeadAndHistory() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.git("-C", "repo", "commit", "--quiet", "--allow-empty", "-m", "first")
        let head = try scratch.git("-C", "repo", "rev-parse", "HEAD").trimmingCharacters(in: .newlines)

        let repository = try Repository.create(at: scratch.path("repo"), initialBranch: "other")
        #expect(try repository.headReferenceName() == "refs/heads/main")
        #expect(try repository.headCommit()?.hex == head)
    }

    @Test(.scratchDirectory)
    func aCorruptHeadThrowsInsteadOfCrashing() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.git("-C", "repo", "commit", "--quiet", "--allow-empty", "-m", "first")
        try scratch.write("repo/.git/HEAD", "garbage\n")

        let repository = try Repository.open(scratch.path("repo"))
        #expect(!repository.isHeadUnborn)
        #expect(throws: GitError.self) { try repository.headCommit() }
        #expect(throws: GitError.self) { try repository.headReferenceName() }
        #expect(throws: GitError.self) { try repository.resolveCommit("HEAD") }
    }

    @Test(.scratchDirectory)
    func openAcceptsTheWorkingDirectoryOrTheGitDirectory() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()

        for path in [scratch.path("repo"), scratch.path("repo/.git")] {
            let repository = try Repository.open(path)
            #expect(repository.workingDirectory == scratch.path("repo"))
            #expect(repository.gitDirectory == scratch.path("repo/.git"))
        }
    }

    @Test(.scratchDirectory)
    func openAndDiscoverABareRepositoryMadeByTheCLI() throws {
        let scratch = try Scratch.current()
        try scratch.git("init", "--quiet", "--bare", "-b", "main", "org.git")

        let opened = try Repository.open(scratch.path("org.git"))
        #expect(opened.isBare)
        #expect(opened.workingDirectory == nil)
        #expect(opened.gitDirectory == scratch.path("org.git"))

        let discovered = try Repository.discover(from: scratch.path("org.git/refs/heads"))
        #expect(discovered.isBare)
        #expect(discovered.gitDirectory == scratch.path("org.git"))
    }

    @Test(.scratchDirectory)
    func openIsExactButDiscoverSearchesUpwards() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try FileManager.default.createDirectory(atPath: scratch.path("repo/teams/eng"), withIntermediateDirectories: true)

        let error = try #require(throws: GitError.self) { try Repository.open(scratch.path("repo/teams/eng")) }
        #expect(error.isNotFound)

        let repository = try Repository.discover(from: scratch.path("repo/teams/eng"))
        #expect(repository.workingDirectory == scratch.path("repo"))
        #expect(repository.gitDirectory == scratch.path("repo/.git"))
    }

    @Test(.scratchDirectory)
    func openOrDiscoverWithoutARepositoryThrows() throws {
        let scratch = try Scratch.current()
        try FileManager.default.createDirectory(atPath: scratch.path("plain"), withIntermediateDirectories: true)

        let notARepository = try #require(throws: GitError.self) { try Repository.open(scratch.path("plain")) }
        #expect(notARepository.isNotFound)
        #expect(notARepository.function == "git_repository_open")
        #expect(notARepository.description.hasPrefix("git_repository_open failed: "))
        #expect(notARepository.message.contains(scratch.path("plain")))

        let missing = try #require(throws: GitError.self) { try Repository.open(scratch.path("missing")) }
        #expect(missing.isNotFound)

        let nothingAbove = try #require(throws: GitError.self) { try Repository.discover(from: scratch.path("plain")) }
        #expect(nothingAbove.isNotFound)
        #expect(nothingAbove.function == "git_repository_discover")

        let nul = try #require(throws: GitError.self) { try Repository.open(scratch.path("plain") + "\0/x") }
        #expect(nul.message == "path contains a NUL byte")
    }

    @Test(.scratchDirectory)
    func detachedHeadIsItsOwnReference() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        try scratch.git("-C", "repo", "commit", "--quiet", "--allow-empty", "-m", "first")
        try scratch.git("-C", "repo", "checkout", "--quiet", "--detach")
        let head = try scratch.git("-C", "repo", "rev-parse", "HEAD").trimmingCharacters(in: .newlines)

        let repository = try Repository.open(scratch.path("repo"))
        #expect(try repository.headReferenceName() == "HEAD")
        #expect(try repository.headCommit()?.hex == head)
        #expect(!repository.isHeadUnborn)
    }
}

@Suite("Configuration and identity")
struct ConfigurationTests {
    @Test(.scratchDirectory)
    func configReadsTheRepositoryConfigAtEachCall() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        let repository = try Repository.open(scratch.path("repo"))

        #expect(try repository.config("user.email") == "cli@example.com")
        #expect(try repository.config("orgsync.remote") == nil)

        try scratch.git("-C", "repo", "config", "orgsync.remote", "origin")
        #expect(try repository.config("orgsync.remote") == "origin")
    }

    @Test(.scratchDirectory, arguments: ["nodot", "", "user.with\u{0}nul"])
    func configRefusesAnInvalidKey(_ key: String) throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        #expect(throws: GitError.self) { try repository.config(key) }
    }

    @Test(.scratchDirectory)
    func defaultSignatureIsNilWithoutIdentity() throws {
        let scratch = try Scratch.current()
        let repository = try Repository.create(at: scratch.path("repo"))
        #expect(try repository.config("user.name") == nil)
        #expect(try repository.defaultSignature() == nil)

        // A name alone is not an identity either.
        try scratch.git("-C", "repo", "config", "user.name", "Ada Lovelace")
        #expect(try repository.defaultSignature() == nil)
    }

    @Test(.scratchDirectory)
    func defaultSignatureComesFromConfig() throws {
        let scratch = try Scratch.current()
        try scratch.makeRepository()
        let repository = try Repository.open(scratch.path("repo"))

        let before = Int64(Date().timeIntervalSince1970)
        let signature = try #require(try repository.defaultSignature())
        let after = Int64(Date().timeIntervalSince1970)

        #expect(signature.name == "CLI Tester")
        #expect(signature.email == "cli@example.com")
        #expect((before...after).contains(signature.time))
    }
}
