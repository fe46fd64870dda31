import JobService
import Logging
import Planner

/// The `JobExecutor` that runs pipelines: plans the job (an unplannable
/// pipeline fails at Run, naming what is unsupported), executes it with a
/// `JobRun`, and ends it DONE or FAILED with the reason. Cancellation is left
/// to `JobRunner`, which moves a cancelled job to CANCELLED.
public struct PipelineExecutor: JobExecutor {
    let settings: ExecutionSettings
    let logger: Logger

    public init(settings: ExecutionSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func execute(_ job: Job) async {
        var plan: ExecutionPlan
        do {
            plan = try PipelinePlanner.plan(job.pipeline)
        } catch {
            job.fail("The pipeline cannot run on beam-job-server: \(error)")
            return
        }
        do {
            if let fallback = settings.dockerFallback {
                plan.environments = try await fallback.apply(to: plan.environments, job: job)
            }
            try await JobRun(job: job, plan: plan, settings: settings, logger: logger).run()
            job.transition(to: .done)
        } catch {
            if Task.isCancelled || job.state == .cancelling { return }
            logger.warning("job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            job.fail("\(error)")
        }
    }
}
