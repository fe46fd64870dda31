/// Runs one job after Run: moves it from STARTING to a terminal state (or
/// leaves it CANCELLING when its task is cancelled). `JobRunner` calls it on
/// a task of its own and cancels that task when the job is cancelled.
public protocol JobExecutor: Sendable {
    func execute(_ job: Job) async
}

/// The executor used until pipeline execution exists: it fails every job with
/// a message saying so, after staging has done its work.
public struct ExecutionUnavailable: JobExecutor {
    public init() {}

    public func execute(_ job: Job) async {
        job.fail("Pipeline execution is not available in this build of beam-job-server yet: the job was accepted and its artifacts staged, but no stage was run.")
    }
}
