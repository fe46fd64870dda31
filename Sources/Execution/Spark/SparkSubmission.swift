import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `spark-submit` process of one job (the driver runs inside it, in
/// client mode, with the executors of a local cluster below it): its stdout
/// lines (the driver's JSON events) as a stream, its stderr kept in part for
/// error messages and logged at debug. Foundation starts it in its own
/// process group, so `stop` reaches the JVM, the Python driver and whatever
/// they started.
final class SparkSubmission: Sendable {
    let pid: Int32
    /// The driver's stdout, a line at a time; finishes when the process closes it.
    let lines: AsyncStream<String>
    private let shared = Shared()

    /// What the reader threads and the termination handler write.
    private final class Shared: Sendable {
        let exit = Mutex<Int32?>(nil)
        let stderrTail = Mutex<[String]>([])
    }

    static let keptLines = 60

    init(executable: String, arguments: [String], environment: [String: String], logger: Logger) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let (lines, continuation) = AsyncStream<String>.makeStream()
        self.lines = lines
        process.terminationHandler = { [shared] finished in shared.exit.withLock { $0 = finished.terminationStatus } }
        do {
            try process.run()
        } catch {
            throw ExecutionError("Cannot run spark-submit '\(executable)': \(error.localizedDescription)")
        }
        pid = process.processIdentifier
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        Thread {
            Self.readLines(stdout.fileHandleForReading) { continuation.yield($0) }
            continuation.finish()
        }.start()
        Thread { [shared] in
            Self.readLines(stderr.fileHandleForReading) { line in
                logger.debug("\(line)", metadata: ["output": "spark-submit"])
                shared.stderrTail.withLock { tail in
                    tail.append(line)
                    if tail.count > Self.keptLines { tail.removeFirst(tail.count - Self.keptLines) }
                }
            }
        }.start()
    }

    /// The exit status once the process has ended (waits up to `timeout`).
    func exitStatus(waitingUpTo timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = shared.exit.withLock({ $0 }) { return status }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return shared.exit.withLock { $0 }
    }

    var recentErrors: String { shared.stderrTail.withLock { $0.joined(separator: "\n") } }

    /// SIGTERM to the group (the driver cancels its Spark jobs and stops),
    /// SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        if shared.exit.withLock({ $0 }) != nil { return }
        kill(-pid, SIGTERM)
        kill(pid, SIGTERM)
        if await exitStatus(waitingUpTo: grace) != nil {
            kill(-pid, SIGKILL)  // whatever the group still holds (executors)
            return
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        _ = await exitStatus(waitingUpTo: .seconds(5))
    }

    private static func readLines(_ handle: FileHandle, _ line: (String) -> Void) {
        var partial = [UInt8]()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            partial.append(contentsOf: chunk)
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                line(String(decoding: partial[..<newline], as: UTF8.self))
                partial.removeSubrange(...newline)
            }
        }
        if !partial.isEmpty { line(String(decoding: partial, as: UTF8.self)) }
        try? handle.close()
    }
}
