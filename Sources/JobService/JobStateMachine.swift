import BeamModel

/// The legal transitions between Beam's job states (beam_job_api.proto's
/// JobState). `Job` consults it on every change, so an illegal transition is
/// refused instead of reaching a client.
public enum JobStateMachine {
    public typealias State = JobState.Enum

    /// States after which nothing changes any more.
    public static let terminalStates: Set<State> = [.done, .failed, .cancelled, .updated, .drained]

    public static func isTerminal(_ state: State) -> Bool {
        terminalStates.contains(state)
    }

    /// Whether a job in `from` may move to `to`.
    public static func canTransition(from: State, to: State) -> Bool {
        allowed[from, default: []].contains(to)
    }

    private static let allowed: [State: Set<State>] = [
        // Prepared, not yet run: Run starts it, Cancel drops it, a failed staging fails it.
        .stopped: [.starting, .cancelled, .failed],
        // A STARTING job may be drained before its first bundle (it never becomes RUNNING then).
        .starting: [.running, .failed, .cancelling, .cancelled, .draining],
        // Back to starting only when a restarted server runs the job over (JobRecovery).
        .running: [.done, .failed, .cancelling, .draining, .starting],
        // Once cancelling, the only way out is cancelled.
        .cancelling: [.cancelled],
        // Back to starting only when a restarted server resumes the drain (JobRecovery).
        .draining: [.drained, .failed, .cancelling, .starting],
    ]
}
