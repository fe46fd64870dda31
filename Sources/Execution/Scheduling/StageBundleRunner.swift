import BeamCore
import Engine
import JobService
import Planner
import Worker

/// Runs one bundle of a fused stage on one of its environment's workers:
/// retries it on a fresh worker when that worker dies, finalizes it once its
/// outputs are committed (the caller commits before `finalize`), and folds
/// its metrics into the job's. Called from many bundle tasks at once.
struct StageBundleRunner: Sendable {
    let job: Job
    let workers: WorkerSet
    let settings: ExecutionSettings
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
            } catch WorkerError.workerDied(let reason) where attempt < settings.bundleAttempts && !Task.isCancelled {
                RunnerMetrics.bundlesRetried.increment()
                await workers.release(worker)
                cacheTokens.failed(workerID: worker.id)
                attempt += 1
                job.post("SDK worker \(worker.id) died while running \(stage.displayName) (\(reason)); replacing it and retrying the bundle (attempt \(attempt) of \(settings.bundleAttempts))",
                         importance: .jobMessageWarning)
                try await workers.replace(worker, in: stage.environmentID)
            } catch let error as WorkerError {
                RunnerMetrics.bundlesFailed.increment()
                await workers.release(worker)
                cacheTokens.failed(workerID: worker.id)
                throw ExecutionError("\(stage.displayName) failed: \(error)")
            } catch {
                await workers.release(worker)
                throw error
            }
        }
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
