import Logging

/// Owns the tasks that execute jobs. `run()` is a long-lived loop started by
/// the server's lifecycle; `launch` hands it a job that Run moved to STARTING.
/// Each job runs under a structured child task that is cancelled when the job
/// is cancelled or the server shuts down, and always ends in a terminal state.
public final class JobRunner: Sendable {
    private let executor: any JobExecutor
    private let logger: Logger
    private let launches: AsyncStream<Job>
    private let launchContinuation: AsyncStream<Job>.Continuation

    public init(executor: any JobExecutor, logger: Logger) {
        self.executor = executor
        self.logger = logger
        (launches, launchContinuation) = AsyncStream<Job>.makeStream()
    }

    public func launch(_ job: Job) {
        launchContinuation.yield(job)
    }

    /// Runs launched jobs until cancelled; on cancellation every running job is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in launches {
                group.addTask { await self.execute(job) }
            }
            group.cancelAll()
        }
    }

    /// Stops accepting launches; `run()` returns once running jobs have ended.
    public func shutdown() {
        launchContinuation.finish()
    }

    private func execute(_ job: Job) async {
        logger.info("job starting", metadata: ["job": "\(job.id)"])
        await withTaskGroup(of: Void.self) { race in
            race.addTask { await self.executor.execute(job) }
            race.addTask { await job.waitForCancelRequest() }
            await race.next()
            race.cancelAll()
        }
        if job.state == .cancelling || (Task.isCancelled && !job.isTerminal) {
            if job.state != .cancelling { job.transition(to: .cancelling) }
            job.post("Job cancelled")
            job.transition(to: .cancelled)
        } else if !job.isTerminal {
            job.fail("The executor stopped without finishing the job (state \(job.state))")
        }
        logger.info("job ended", metadata: ["job": "\(job.id)", "state": "\(job.state)"])
    }
}
