import Logging

/// Owns the tasks that execute jobs. `run()` is a long-lived loop started by
/// the server's lifecycle; `launch` hands it a job that Run moved to STARTING.
/// Each job runs under a structured child task that is cancelled when the job
/// is cancelled or the server shuts down, and always ends in a terminal state.
/// With `maxConcurrentJobs`, jobs beyond it wait STARTING, in Run order.
public final class JobRunner: Sendable {
    private let executor: any JobExecutor
    private let slots: JobSlots?
    private let logger: Logger
    private let launches: AsyncStream<Job>
    private let launchContinuation: AsyncStream<Job>.Continuation

    public init(executor: any JobExecutor, maxConcurrentJobs: Int? = nil, logger: Logger) {
        self.executor = executor
        self.slots = maxConcurrentJobs.map { JobSlots(limit: $0) }
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
            race.addTask {
                guard await self.takeSlot(for: job) else { return }
                await self.executor.execute(job)
                await self.slots?.release()
            }
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

    /// Waits for a free slot (saying so in the job's messages); false if the job was cancelled meanwhile.
    private func takeSlot(for job: Job) async -> Bool {
        guard let slots else { return true }
        if await !slots.hasFreeSlot {
            let ahead = await slots.queued
            job.post("Queued: \(slots.limit) job(s) already running (--max-concurrent-jobs \(slots.limit))"
                     + (ahead > 0 ? ", \(ahead) waiting ahead of this one" : "") + "; the job starts when one ends")
        }
        let started = ContinuousClock.now
        guard await slots.acquire() else { return false }
        let waited = (ContinuousClock.now - started) / .seconds(1)
        if waited > 0.05 {
            job.post("Starting after \((waited * 10).rounded() / 10) s in the queue")
        }
        return true
    }
}
