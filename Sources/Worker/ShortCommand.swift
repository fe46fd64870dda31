import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a short-lived command (`podman info`, `docker pull`, `podman rm -f`)
/// to its end, with stdout and stderr merged and kept (the last `keptBytes`),
/// killed after `timeout`. For harnesses, which run for long, see `ChildProcess`.
public enum ShortCommand {
    public struct Outcome: Sendable {
        public let status: Int32
        public let timedOut: Bool
        public let output: String

        public var succeeded: Bool { status == 0 && !timedOut }
        /// The last non-empty output lines, for error messages.
        public func lastLines(_ count: Int = 8) -> String {
            output.split(separator: "\n").suffix(count).joined(separator: "\n")
        }
    }

    static let keptBytes = 16 << 10

    public static func run(_ executable: String, _ arguments: [String], timeout: Duration) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let kept = Mutex(Data())
        let readerDone = Mutex(false)
        let deadline = Mutex((finished: false, killed: false))

        let status: Int32 = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                kept.withLock { $0 = Data("cannot run \(executable): \(error.localizedDescription)".utf8) }
                continuation.resume(returning: 127)
                return
            }
            try? pipe.fileHandleForWriting.close()
            // Read on a thread of its own so a chatty command (a pull's progress) never blocks on a full pipe.
            Thread {
                while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                    kept.withLock { data in
                        data.append(chunk)
                        if data.count > keptBytes { data.removeFirst(data.count - keptBytes) }
                    }
                }
                readerDone.withLock { $0 = true }
            }.start()
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval) {
                deadline.withLock { state in
                    guard !state.finished else { return }
                    state.killed = true
                    // Its process group too: a child it started may hold the output pipe.
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                }
            }
        }
        let timedOut = deadline.withLock { state in
            state.finished = true
            return state.killed
        }
        // Let the reader take what the command wrote last (a child it left behind may hold the pipe: not forever).
        for _ in 0..<50 where !readerDone.withLock({ $0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let output = kept.withLock { String(decoding: $0, as: UTF8.self) }
        return Outcome(status: status, timedOut: timedOut, output: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
