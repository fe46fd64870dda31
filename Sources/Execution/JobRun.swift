import BeamCore
import BeamModel
import Engine
import Foundation
import GRPCCore
import JobService
import Logging
import Planner
import Worker

/// Executes one planned job: starts the job's Fn API server and one SDK
/// harness per environment, then hands the plan to the `Scheduler`, which
/// moves data and watermarks between runner steps and bundles on the
/// harnesses until every watermark is +inf (or the job is cancelled).
/// Stops every worker on every exit path.
struct JobRun {
    let job: Job
    let plan: ExecutionPlan
    let settings: ExecutionSettings
    let logger: Logger
    /// Set when this run is one segment of a job that runs elsewhere (a Spark task).
    var boundary: PlanBoundary?

    private let metrics = MetricsAggregator()
    private let userState = UserStateStore()

    init(job: Job, plan: ExecutionPlan, settings: ExecutionSettings, logger: Logger, boundary: PlanBoundary? = nil) {
        self.job = job
        self.boundary = boundary
        self.plan = plan
        self.settings = settings
        var logger = logger
        logger[metadataKey: "job"] = "\(job.id)"
        self.logger = logger
    }

    func run() async throws {
        let server = try await settings.workerPool.fnAPIServer()
        let environments = plan.environments.count
        let count = settings.workerBudget.grant(wanted: workerCount.maximum ?? settings.workerBudget.maxWorkers,
                                                environments: environments)
        defer { settings.workerBudget.release(count, environments: environments) }
        // Autoscaled jobs start small (`--num_workers`, else 1) and grow with their backlog.
        let initial = workerCount.autoscaling ? min(count, workerCount.initial ?? 1) : count
        let workers = WorkerSet(pool: settings.workerPool, server: server, plan: plan, jobID: job.id,
                                provisionInfo: provisionInfo(), logSink: { [job] entry in JobRun.forward(entry, to: job) },
                                timeout: settings.workerStartTimeout, perEnvironment: initial)
        do {
            try await withTaskCancellationHandler {
                let slots = try await workers.startAll(upTo: count)
                job.transition(to: .running)
                let warm = await workers.warmCount
                let started = slots.values.max() ?? initial
                let scaling = workerCount.autoscaling && count > started ? ", autoscaling up to \(count)" : ""
                job.post("Running \(plan.steps.count) steps (\(plan.stages.count) fused stages) on \(environments) SDK environment(s), \(started) worker(s) each\(scaling)\(warm > 0 ? " (\(warm) warm, reused from an earlier job)" : "")\(loopbackNote(count))")
                try await schedule(workers, slots: slots, maximum: count)
            } onCancel: {
                // Bundles end with their worker: stopping the workers unblocks a cancelled job.
                Task { await workers.stopAll() }
            }
        } catch {
            await workers.stopAll()
            throw error
        }
        // The dashboard keeps the workers' final bundle counts.
        let finalWorkers = await workers.status()
        job.updateRuntime { $0.workers = finalWorkers }
        await job.harnessLogsSettle()
        // Only a job that ended cleanly leaves its harnesses idle and fit for the next one.
        await workers.finish(keepWarm: keepWarm)
    }

    /// How long this job's workers stay warm: Beam's `--environment_cache_millis`
    /// when above 0 (Python sends 0 when it is not given), else the server's.
    private var keepWarm: Duration {
        if case .stringValue(let text)? = job.options.fields["beam:option:environment_cache_millis:v1"]?.kind,
           let millis = Int(text), millis > 0 {
            return .milliseconds(millis)
        }
        return settings.environmentCache
    }

    private var workerCount: WorkerCountOptions { WorkerCountOptions(job.options) }

    /// LOOPBACK workers share the submitting Python process unless it runs them as processes.
    private func loopbackNote(_ count: Int) -> String {
        let loopback = plan.environments.values.contains { $0.urn == "beam:env:external:v1" }
        guard loopback, count > 1, !workerCount.loopbackProcesses else { return "" }
        return "; LOOPBACK workers run as threads of the submitting Python process and share one core: pass --experiments=use_loopback_process_worker to run them as processes"
    }

    private func provisionInfo() -> ProvisionInfo {
        ProvisionInfo.with {
            $0.pipelineOptions = job.options
            $0.retrievalToken = job.id
            if let environment = plan.environments.values.first {
                $0.dependencies = environment.dependencies
            }
        }
    }

    private func schedule(_ workers: WorkerSet, slots: [String: Int], maximum: Int) async throws {
        let progress = BundleProgress(metrics: metrics, job: job)
        let bundles = StageBundleRunner(job: job, workers: workers, retries: settings.bundleRetries,
                                        attempts: settings.bundleRetries.attempts(streaming: job.isStreaming, scripted: plan.hasTestStream), metrics: metrics,
                                        cacheTokens: StateCacheTokens(jobID: job.id), progress: progress)
        let scheduler = try Scheduler(plan: plan, streaming: job.isStreaming, bundles: bundles, userState: userState,
                                      slots: slots,
                                      autoscaling: workerCount.autoscaling && maximum > 1
                                          ? AutoscalingPolicy(maximum: maximum, keepWarm: keepWarm) : nil,
                                      sizing: settings.bundleSizing, boundary: boundary, checkpoints: checkpointPolicy,
                                      logger: logger)
        // Running bundles report progress while the scheduler waits for them.
        let poller = Task { await progress.run(every: Self.progressInterval) }
        let reporter = Task { await JobStatusReporter(job: job, workers: workers).run() }
        defer {
            poller.cancel()
            reporter.cancel()
        }
        try await scheduler.run()
        scheduler.postSummary()
    }

    static let progressInterval: Duration = .seconds(1)

    /// Streaming jobs a restarted server can resume are checkpointed; one
    /// that has a checkpoint already was interrupted and resumes from it.
    /// LOOPBACK/EXTERNAL jobs and jobs that opt out of recovery are not
    /// (their workers, or their wish, do not survive a restart).
    private var checkpointPolicy: CheckpointPolicy? {
        guard let store = settings.checkpoints, boundary == nil, job.isStreaming, !job.hasOutsideWorkers,
              !job.options.beamExperiments.contains(JobRecovery.optOut) else { return nil }
        let jobID = job.id
        return CheckpointPolicy(interval: settings.checkpointInterval,
                                write: { try store.write($0, jobID: jobID) },
                                resumeFrom: store.read(jobID: jobID))
    }

    /// SDK harness log entries become job messages at the matching importance
    /// (bounded per job; the server log has every one).
    static func forward(_ entry: LogEntry, to job: Job) {
        let importance: JobMessage.MessageImportance
        switch entry.severity {
        case .error, .critical: importance = .jobMessageError
        case .warn: importance = .jobMessageWarning
        case .info, .notice, .unspecified, .UNRECOGNIZED: importance = .jobMessageBasic
        case .debug, .trace: return
        }
        let place = entry.transformID.isEmpty ? "" : " [\(entry.transformID)]"
        job.postHarnessLog("SDK harness\(place): \(entry.message)\(entry.trace.isEmpty ? "" : "\n\(entry.trace)")",
                           importance: importance)
    }
}

/// A failure of the run itself, with a message for the pipeline's author.
struct ExecutionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
