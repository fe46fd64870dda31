// beam-boot: the boot program PROCESS and DOCKER environments run for the
// Python SDK. See BootCommand for the flags and BootSequence for the steps.
import ArgumentParser
import Foundation

/// Prints the one-line failure the runner surfaces, and exits 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("beam-boot: \(message)\n".utf8))
    exit(1)
}

if CommandLine.arguments.dropFirst().first == RunnerWatch.flag {
    RunnerWatch.run(Array(CommandLine.arguments.dropFirst(2)))
}

let command: BootCommand
do {
    command = try BootCommand.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    // --help and friends still print and exit as ArgumentParser intends.
    if BootCommand.exitCode(for: error) == .success { BootCommand.exit(withError: error) }
    fail("argument parsing failed: \(BootCommand.message(for: error))")
}

let logger = BootLog.bootstrap()
do {
    try await BootSequence(settings: command.settings(), logger: logger).run()
} catch let failure as BootFailure {
    fail(failure.description)
} catch {
    fail("boot failed: \(error)")
}
