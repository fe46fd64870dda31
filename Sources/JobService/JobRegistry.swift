import BeamModel
import Foundation
import Logging
import SwiftProtobuf
import Synchronization

/// Every job this server knows, by job id (which is also its preparation id,
/// so clients may watch a job's streams before Run) and by staging token:
/// the ones prepared here and, with a job store, those read back from it.
/// Keeps the history within its retention, deleting evicted jobs' artifacts.
public final class JobRegistry: Sendable {
    private let jobs = Mutex<[String: Job]>([:])
    private let byStagingToken = Mutex<[String: Job]>([:])
    private let history: any JobHistory
    private let store: JobStore?
    private let artifacts: ArtifactStore?
    private let retention: JobRetention
    private let harnessLogLimit: Int
    private let logger: Logger

    public init(store: JobStore? = nil, artifacts: ArtifactStore? = nil, retention: JobRetention = .init(),
                harnessLogLimit: Int = 1_000, logger: Logger = Logger(label: "beam-job-server.registry")) {
        self.store = store
        self.history = store ?? NoJobHistory()
        self.artifacts = artifacts
        self.retention = retention
        self.harnessLogLimit = harnessLogLimit
        self.logger = logger
    }

    /// Reads the store's jobs back. Jobs that had not finished when the server
    /// stopped are run again or failed, as `recovery` decides, saying so.
    /// Returns how many jobs were read and those to run again (in STARTING
    /// state, for the caller to launch).
    @discardableResult
    public func restore(recovery: JobRecovery = JobRecovery()) throws -> (count: Int, startOver: [Job]) {
        guard let store else { return (0, []) }
        let stored = try store.loadAll()
        var startOver: [Job] = []
        for record in stored {
            let job = Job(restoring: record, harnessLogLimit: harnessLogLimit, history: history)
            jobs.withLock { $0[job.id] = job }
            guard !job.isTerminal else { continue }
            switch recovery.outcome(for: job) {
            case .startOver(let text):
                let wasDraining = job.state == .draining
                job.startOver(text)
                // Drained from its first bundle, as when Drain reaches a STARTING job.
                if wasDraining { _ = try? job.requestDrain() }
                startOver.append(job)
            case .fail(let text):
                Self.endInterrupted(job, saying: text)
                recovery.checkpoints?.delete(jobID: job.id)
            }
        }
        enforceRetention()
        return (stored.count, startOver.sorted { $0.created < $1.created })
    }

    /// Registers a prepared job in STOPPED state.
    public func prepare(name: String, pipeline: Pipeline, options: Google_Protobuf_Struct) -> Job {
        enforceRetention(making: 1)
        let id = "\(Self.idSafe(name))_\(UUID().uuidString.lowercased())"
        let job = Job(id: id, name: name, stagingToken: UUID().uuidString.lowercased(), pipeline: pipeline,
                      options: options, harnessLogLimit: harnessLogLimit, history: history)
        jobs.withLock { $0[id] = job }
        byStagingToken.withLock { $0[job.stagingToken] = job }
        return job
    }

    public func job(id: String) throws -> Job {
        guard let job = jobs.withLock({ $0[id] }) else { throw JobServiceError.jobNotFound(id) }
        return job
    }

    public func job(stagingToken: String) throws -> Job {
        guard let job = byStagingToken.withLock({ $0[stagingToken] }) else {
            throw JobServiceError.stagingTokenNotFound(stagingToken)
        }
        return job
    }

    /// All jobs, oldest first.
    public var all: [Job] {
        jobs.withLock { Array($0.values) }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }

    /// Waits until the store has written every change so far.
    public func flush() {
        store?.flush()
    }

    /// Job names become part of ids and folder names: keep letters, digits, `-` and `_`.
    static func idSafe(_ name: String) -> String {
        let kept = name.unicodeScalars.prefix(64).map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "-" || scalar == "_"
                ? Character(scalar) : "_"
        }
        return kept.isEmpty ? "job" : String(kept)
    }

    // MARK: Retention

    /// Evicts finished jobs beyond the retention (leaving room for `making`
    /// new ones): from memory, from the store and their artifacts.
    func enforceRetention(making room: Int = 0) {
        let keep = retention.count.map { max(0, $0 - room) }
        let oldest = retention.maxAge.map { Date().addingTimeInterval(-$0) }
        let current = all
        let running = Set(current.filter { !$0.isTerminal }.map(\.id))
        var evicted = Set<String>()
        for (index, job) in current.reversed().enumerated() where !running.contains(job.id) {
            if keep.map({ index >= $0 }) ?? false || oldest.map({ job.created < $0 }) ?? false { evicted.insert(job.id) }
        }
        guard !evicted.isEmpty else { return }
        // The store holds the same jobs as memory (all are read back at startup).
        do {
            try store?.delete(evicted)
        } catch {
            logger.error("the job store could not delete old jobs", metadata: ["error": "\(error)"])
        }
        jobs.withLock { jobs in evicted.forEach { jobs.removeValue(forKey: $0) } }
        byStagingToken.withLock { tokens in tokens = tokens.filter { !evicted.contains($0.value.id) } }
        for id in evicted {
            if let folder = artifacts?.directory(forJob: id) { try? FileManager.default.removeItem(at: folder) }
        }
        logger.info("evicted \(evicted.count) old job(s) from the history")
    }

    private static func endInterrupted(_ job: Job, saying text: String) {
        if JobStateMachine.canTransition(from: job.state, to: .failed) {
            job.fail(text)
        } else {
            job.post(text, importance: .jobMessageError)
            job.transition(to: .cancelled)
        }
    }
}
