/// Runs one job after Run: moves it from STARTING to a terminal state (or
/// leaves it CANCELLING when its task is cancelled). `JobRunner` calls it on
/// a task of its own and cancels that task when the job is cancelled.
public protocol JobExecutor: Sendable {
    func execute(_ job: Job) async
}
