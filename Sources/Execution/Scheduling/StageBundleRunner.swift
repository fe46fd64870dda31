import BeamCore
import Engine
import JobService
import Planner
import Worker

/// Runs one bundle of a fused stage on one of its environment's workers:
/// retries a failed attempt (on a fresh worker when its worker died, else on
/// a healthy one) after a backoff, up to `attempts`; finalizes it once its
/// outputs are committed (the caller commits before `finalize`), and folds
/// its metrics into the job's. Nothing of a failed attempt is kept: its
/// outputs, timers and residuals are dropped with its result, its state
/// writes with its transaction. Called from many bundle tasks at once.
struct StageBundleRunner: Sendable {
    let job: Job
    let workers: WorkerSet
    let retries: BundleRetryPolicy
    /// Attempts per bundle; nil: until it succeeds or the job is cancelled (streaming).
    let attempts: Int?
    let metrics: MetricsAggregator
    let cacheTokens: StateCacheTokens
    let progress: BundleProgress

    /// User state writes of an attempt are kept in a transaction, committed
    /// only when the bundle succeeds, so a retried bundle does not repeat them.
    /// The bundle's input comes from `handle`, which splits may shrink while it runs.
    /// `sideInputTokens` name the versions of the side inputs the bundle reads.
    func run(_ stage: FusedStage, handle: BundleHandle, timers: [BundleTimerInput],
             sideInputs: [BundleStateServer.SideInputKey: BundleStateServer.SideInput],
             sideInputTokens: [StateCacheTokens.CacheToken] = [],
             userState: UserStateStore) async throws -> RanBundle {
        var attempt = 1
        defer { handle.finish() }
        while true {
            await handle.settled()
            let worker = try await workers.acquire(stage.environmentID)
            let transaction = userState.transaction()
            let instructionID = worker.newInstructionID()
            let input = handle.begin(worker: worker, instructionID: instructionID)
            var tokens = sideInputTokens
            if stage.usesUserState { tokens.append(cacheTokens.userState(workerID: worker.id)) }
            progress.started(instructionID, on: worker)
            defer { progress.ended(instructionID) }
            let started = ContinuousClock.now
            do {
                let result = try await worker.processBundle(
                    descriptorID: workers.descriptorID(of: stage), inputs: [input], timers: timers,
                    cacheTokens: tokens,
                    stateHandler: BundleStateServer(sideInputs: sideInputs, userState: transaction),
                    instructionID: instructionID)
                await workers.release(worker)
                cacheTokens.committed(workerID: worker.id, wroteState: transaction.hasWrites)
                transaction.commit()
                metrics.add(await progress.resolve(result.response.monitoringInfos, result.response.monitoringData, from: worker))
                progress.ended(instructionID)
                progress.publish()
                RunnerMetrics.bundlesSucceeded.increment()
                RunnerMetrics.bundleDuration.record(duration: ContinuousClock.now - started)
                return RanBundle(result: result, worker: worker)
            } catch let error as WorkerError {
                progress.failed(instructionID)
                await workers.release(worker)
                cacheTokens.failed(workerID: worker.id)
                let retriable: Bool
                switch error {
                case .workerDied, .bundleFailed: retriable = true
                default: retriable = false
                }
                guard retriable, attempts.map({ attempt < $0 }) ?? true, !Task.isCancelled else {
                    RunnerMetrics.bundlesFailed.increment()
                    let tries = attempt > 1 ? " after \(attempt) attempts" : ""
                    throw ExecutionError("\(stage.displayName) failed\(tries): \(error)")
                }
                RunnerMetrics.bundlesRetried.increment()
                attempt += 1
                let wait = retries.backoff(beforeAttempt: attempt)
                let of = attempts.map { " of \($0)" } ?? ""
                if case .workerDied(let reason) = error {
                    job.post("SDK worker \(worker.id) died while running \(stage.displayName) (\(reason)); replacing it and retrying the bundle in \(wait) (attempt \(attempt)\(of))",
                             importance: .jobMessageWarning)
                    try await workers.replace(worker, in: stage.environmentID)
                } else {
                    job.post("\(stage.displayName) failed on SDK worker \(worker.id): \(Self.headline(of: error)); retrying the bundle in \(wait) (attempt \(attempt)\(of))",
                             importance: .jobMessageWarning)
                }
                try await Task.sleep(for: wait)
            } catch {
                await workers.release(worker)
                throw error
            }
        }
    }

    /// The error's headline: an SDK error's last line (Python puts the exception there), else its first.
    static func headline(of error: WorkerError) -> String {
        if case .bundleFailed(_, let message) = error,
           let last = message.split(whereSeparator: \.isNewline).last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            return String(last.prefix(300))
        }
        return String("\(error)".split(whereSeparator: \.isNewline).first?.prefix(300) ?? "")
    }

    func run(_ stage: FusedStage, input: BundleInput, userState: UserStateStore) async throws -> RanBundle {
        try await run(stage, handle: BundleHandle(input: input), timers: [], sideInputs: [:], userState: userState)
    }

    /// Bundle finalization callbacks run only after the bundle's output is
    /// committed, on the worker that ran it.
    func finalize(_ ran: RanBundle) async throws {
        guard ran.result.response.requiresFinalization else { return }
        try await ran.worker.finalizeBundle(instructionID: ran.result.instructionID)
    }
}

/// A successful bundle and the worker that ran it.
struct RanBundle: Sendable {
    let result: BundleResult
    let worker: SDKWorker
}

extension FusedStage {
    /// "Stage s3 [Map, Filter, ...]" for messages.
    var displayName: String {
        let names = transformNames.prefix(4).joined(separator: ", ")
        return "Stage \(id) [\(names)\(transformNames.count > 4 ? ", ..." : "")]"
    }
}
