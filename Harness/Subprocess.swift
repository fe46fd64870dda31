import Foundation

/// Runs a child process to completion (pip, sha256sum). Its stderr and, unless
/// captured, its stdout go to our stderr: beam-boot's stdout belongs to the harness.
enum Subprocess {
    /// How a finished child ended.
    struct Outcome: Sendable {
        let status: Int32
        let killedBySignal: Bool
        let output: Data

        var succeeded: Bool { status == 0 && !killedBySignal }
        var summary: String { killedBySignal ? "killed by signal \(status)" : "exit status \(status)" }
    }

    static func run(_ executable: String, _ arguments: [String], captureOutput: Bool = false) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        let pipe = Pipe()
        process.standardOutput = captureOutput ? pipe : FileHandle.standardError

        // Wait on the termination handler rather than blocking a pool thread.
        let (status, bySignal): (Int32, Bool) = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                continuation.resume(returning: (finished.terminationStatus, finished.terminationReason == .uncaughtSignal))
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        // Only small outputs (a hash line) are captured, so the pipe never fills.
        let output = captureOutput ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
        return Outcome(status: status, killedBySignal: bySignal, output: output)
    }
}
