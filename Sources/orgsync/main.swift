import ArgumentParser
import OrgSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A command that waits for another orgsync on the same clone, or settles what a killed one left, says so (on standard error, so output stays data).
WriteLock.onNotice = { Terminal.writeError("orgsync: \($0)\n") }

// Usage errors exit 2, as the CLI contract says, rather than ArgumentParser's 64.
do {
    var command = try Orgsync.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    if Orgsync.exitCode(for: error) == .success {
        print(Orgsync.fullMessage(for: error))
        exit(0)
    }
    Terminal.writeError(Orgsync.fullMessage(for: error) + "\n")
    Terminal.writeError("Run 'orgsync help' or add --help to a command to see its options.\n")
    exit(2)
}
