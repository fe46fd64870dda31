import BeamModel
import Foundation

/// What becomes of a job the server was running when it stopped without
/// finishing it (a crash, SIGKILL, power loss), once it starts again on the
/// same state folder. With `--recover-jobs` a batch job starts over from its
/// stored pipeline and staged artifacts; its sinks see a second run from
/// scratch, as after a failed Dataflow batch job resubmitted. A streaming job
/// resumes from its last checkpoint (`--checkpoint-interval`), if it has one;
/// a job that was draining is drained again.
/// Anything else is failed, saying why. A job chooses for itself with
/// `--experiments=recover_after_restart` or `no_recover_after_restart`.
public struct JobRecovery: Sendable {
    /// The server's default (`--recover-jobs`).
    public var enabled: Bool
    /// Restarts a job gets before it is failed: a job that takes the server
    /// down each time must not do so forever.
    public var maxRestarts: Int
    /// Where streaming jobs' checkpoints are; nil: streaming jobs are not checkpointed.
    public var checkpoints: CheckpointStore?

    public static let optIn = "recover_after_restart"
    public static let optOut = "no_recover_after_restart"
    static let restartedPrefix = "beam-job-server stopped while this job was"

    public init(enabled: Bool = false, maxRestarts: Int = 3, checkpoints: CheckpointStore? = nil) {
        self.enabled = enabled
        self.maxRestarts = maxRestarts
        self.checkpoints = checkpoints
    }

    public enum Outcome: Equatable, Sendable {
        /// Run it again; the text is the job's message.
        case startOver(String)
        /// Fail it; the text says why.
        case fail(String)
    }

    /// For a job that was not terminal when the server stopped.
    public func outcome(for job: Job) -> Outcome {
        let state = "\(job.state)".uppercased()
        let stopped = "\(Self.restartedPrefix) \(state)"
        let restarts = job.messages.filter { $0.messageText.hasPrefix(Self.restartedPrefix) && $0.importance == .jobMessageWarning }.count
        if let why = whyNot(job, restarts: restarts) {
            return .fail("\(stopped); it did not finish and is not run again: \(why)")
        }
        if job.isStreaming, let taken = checkpoints?.takenAt(jobID: job.id) {
            let age = Int(Date().timeIntervalSince(taken).rounded())
            return .startOver("\(stopped); resuming it from its checkpoint of \(age) s before (restart \(restarts + 1) of at most \(maxRestarts))")
        }
        return .startOver("\(stopped); running it again from its pipeline (restart \(restarts + 1) of at most \(maxRestarts))")
    }

    private func whyNot(_ job: Job, restarts: Int) -> String? {
        let experiments = job.options.beamExperiments
        switch job.state {
        case .starting, .running, .draining: break
        case .stopped: return "it had not been run (its client was still preparing it)"
        case .cancelling: return "it was being cancelled"
        default: return "only STARTING, RUNNING and DRAINING jobs are run again"
        }
        if experiments.contains(Self.optOut) { return "the job asked not to be (--experiments=\(Self.optOut))" }
        if !enabled && !experiments.contains(Self.optIn) {
            return "--recover-jobs is off (a job may ask with --experiments=\(Self.optIn))"
        }
        if job.hasOutsideWorkers {
            return "its SDK workers ran in the submitting program or another outside service (LOOPBACK or EXTERNAL), which a restarted server cannot bring back"
        }
        if job.isStreaming, checkpoints?.takenAt(jobID: job.id) == nil {
            return checkpoints == nil
                ? "it is a streaming job and this server keeps no checkpoints (--checkpoint-interval 0 or no state folder), so its runner-side state is lost"
                : "it is a streaming job that had not written a checkpoint yet, so its runner-side state is lost"
        }
        if restarts >= maxRestarts { return "it was run again \(restarts) time(s) already, and the server stopped each time" }
        return nil
    }
}

extension Job {
    /// Whether SDK workers of the job live outside the server (LOOPBACK,
    /// EXTERNAL): a restarted server cannot bring them back, so such a job is
    /// neither recovered nor checkpointed.
    public var hasOutsideWorkers: Bool {
        pipeline.components.environments.values.contains { $0.urn == "beam:env:external:v1" }
    }
}
