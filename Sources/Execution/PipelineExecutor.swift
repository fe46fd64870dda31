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
        // A job that ends (or is cancelled) is never resumed: only a crash leaves its checkpoint.
        defer { settings.checkpoints?.delete(jobID: job.id) }
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
            if let spark = try sparkBackend(for: job, plan: plan) {
                try await SparkJobRun(job: job, plan: plan, spark: spark, logger: logger).run()
            } else {
                try await JobRun(job: job, plan: plan, settings: settings, logger: logger).run()
            }
            job.finishRun()
        } catch {
            if Task.isCancelled || job.state == .cancelling { return }
            logger.warning("job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            job.fail("\(error)")
        }
    }

    /// Spark's settings when this job runs there: bounded jobs do when the
    /// server has `--spark-master`, unless they ask for the local engine.
    private func sparkBackend(for job: Job, plan: ExecutionPlan) throws -> SparkSettings? {
        let requested = SparkSettings.requestedEngine(job.options)
        if let requested, !["spark", "local"].contains(requested) {
            throw ExecutionError("Unknown --beam_engine '\(requested)': use spark or local")
        }
        guard requested != "local" else { return nil }
        guard let spark = settings.spark else {
            if requested == "spark" { throw ExecutionError("The job asks for --beam_engine=spark, but this server was started without --spark-master") }
            return nil
        }
        if job.isStreaming || plan.hasTestStream {
            job.post("Unbounded pipelines run on the local engine, not on Spark")
            return nil
        }
        return spark
    }
}
