import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A harness process a launcher started (the PROCESS command, or `docker
/// run`): runs it in its own process group with stdout and stderr merged into
/// one pipe, keeps the last output lines for error messages and forwards each
/// line to the logger, reports its exit once, and stops it with SIGTERM, then
/// SIGKILL. Foundation's `Process` reaps it. Used as a `RunningEnvironment`.
final class ChildProcess: RunningEnvironment {
    let pid: Int32
    var processID: Int32? { pid }
    let label: String
    private let state: Mutex<State>
    private let onExit: @Sendable (String) -> Void
    private let stopGrace: Duration

    /// Lines of output kept for error messages.
    static let keptLines = 50
    /// After exit, how long to wait for the output pipe to drain before reporting.
    static let drainWait: TimeInterval = 0.5

    private struct State {
        var lines: [String] = []
        var partialLine = ""
        var outputClosed = false
        var exit: (status: Int32, signalled: Bool)?
        var report: String?
    }

    private init(pid: Int32, label: String, stopGrace: Duration, onExit: @escaping @Sendable (String) -> Void) {
        self.pid = pid
        self.label = label
        self.stopGrace = stopGrace
        self.onExit = onExit
        self.state = Mutex(State())
    }

    /// Starts `executable` with `arguments`; `environment` is added to ours.
    /// Throws `WorkerError.launchFailed` if it cannot be started.
    static func launch(
        executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        label: String,
        stopGrace: Duration,
        logger: Logger,
        onExit: @escaping @Sendable (String) -> Void
    ) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice

        let started = Mutex<ChildProcess?>(nil)
        let exitedEarly = Mutex<(Int32, Bool)?>(nil)
        process.terminationHandler = { finished in
            let status = (finished.terminationStatus, finished.terminationReason == .uncaughtSignal)
            let child = started.withLock { child in
                if child == nil { exitedEarly.withLock { $0 = status } }
                return child
            }
            child?.exited(status: status.0, signalled: status.1)
        }
        do {
            try process.run()
        } catch {
            throw WorkerError.launchFailed("cannot run '\(executable)': \(error.localizedDescription)")
        }
        try? output.fileHandleForWriting.close()

        let child = ChildProcess(pid: process.processIdentifier, label: label, stopGrace: stopGrace, onExit: onExit)
        let childLogger = {
            var logger = logger
            logger[metadataKey: "pid"] = "\(child.pid)"
            return logger
        }()
        let reader = Thread { [child, childLogger] in child.readOutput(from: output.fileHandleForReading, logger: childLogger) }
        reader.name = "\(label)-output"
        reader.start()
        let early = started.withLock { slot in
            slot = child
            return exitedEarly.withLock { $0 }
        }
        if let early { child.exited(status: early.0, signalled: early.1) }
        return child
    }

    // MARK: RunningEnvironment

    func exitDescription(waitingUpTo timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let report = state.withLock({ $0.report }) { return report }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    var recentOutput: [String] {
        state.withLock { $0.lines }
    }

    /// Lets the process end by itself briefly (it usually exits once its
    /// control stream closes), then SIGTERM to its process group, then SIGKILL
    /// after the grace period.
    func stop() async {
        if await exitDescription(waitingUpTo: .seconds(1)) != nil { return }
        kill(-pid, SIGTERM)
        kill(pid, SIGTERM)
        kill(-pid, SIGCONT)  // a stopped (frozen) harness gets its SIGTERM only once continued
        if await exitDescription(waitingUpTo: stopGrace) != nil { return }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        _ = await exitDescription(waitingUpTo: .seconds(5))
    }

    // MARK: Output and exit

    private func readOutput(from handle: FileHandle, logger: Logger) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            let lines: [String] = state.withLock { state in
                state.partialLine += String(decoding: chunk, as: UTF8.self)
                var parts = state.partialLine.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                state.partialLine = parts.removeLast()
                Self.keep(parts, in: &state)
                return parts
            }
            for line in lines where !line.isEmpty {
                logger.debug("\(line)", metadata: ["output": "\(label)"])
            }
        }
        try? handle.close()
        let reportNow = state.withLock { state in
            if !state.partialLine.isEmpty { Self.keep([state.partialLine], in: &state) }
            state.partialLine = ""
            state.outputClosed = true
            return state.exit != nil
        }
        if reportNow { report() }
    }

    private static func keep(_ lines: [String], in state: inout State) {
        state.lines.append(contentsOf: lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        if state.lines.count > keptLines { state.lines.removeFirst(state.lines.count - keptLines) }
    }

    private func exited(status: Int32, signalled: Bool) {
        let drained = state.withLock { state in
            state.exit = (status, signalled)
            return state.outputClosed
        }
        if drained {
            report()
        } else {
            // Something else may hold the pipe open; report without waiting forever.
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.drainWait) { [self] in report() }
        }
    }

    private func report() {
        let description: String? = state.withLock { state in
            guard state.report == nil, let exit = state.exit else { return nil }
            var text = exit.signalled
                ? "\(label) (pid \(pid)) was killed by signal \(exit.status)"
                : "\(label) (pid \(pid)) exited with status \(exit.status)"
            if !state.lines.isEmpty {
                text += "; last output:\n" + state.lines.joined(separator: "\n")
            }
            state.report = text
            return text
        }
        if let description { onExit(description) }
    }
}
