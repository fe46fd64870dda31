import BeamCore
import Engine
import JobService
import Planner
import Worker

/// Runs one bundle of a fused stage on its environment's harness: retries it
/// on a fresh harness when the harness dies, finalizes it once its outputs
/// are committed (the caller commits before `finalize`), and folds its
/// metrics into the job's.
struct StageBundleRunner {
    let job: Job
    let workers: WorkerSet
    let settings: ExecutionSettings
    let metrics: MetricsAggregator

    /// User state writes of an attempt are kept in a transaction, committed
    /// only when the bundle succeeds, so a retried bundle does not repeat them.
    func run(_ stage: FusedStage, input: BundleInput, timers: [BundleTimerInput],
             sideInputs: [BundleStateServer.SideInputKey: BundleStateServer.SideInput],
             userState: UserStateStore) async throws -> BundleResult {
        var attempt = 1
        while true {
            let worker = try await workers.worker(for: stage.environmentID)
            let transaction = userState.transaction()
            do {
                let result = try await worker.processBundle(
                    descriptorID: stage.id, inputs: [input], timers: timers,
                    stateHandler: BundleStateServer(sideInputs: sideInputs, userState: transaction))
                transaction.commit()
                metrics.add(result.response.monitoringInfos)
                job.updateMetrics(metrics.results)
                return result
            } catch WorkerError.workerDied(let reason) where attempt < settings.bundleAttempts && !Task.isCancelled {
                attempt += 1
                job.post("The SDK harness died while running \(stage.displayName) (\(reason)); restarting it and retrying the bundle (attempt \(attempt) of \(settings.bundleAttempts))",
                         importance: .jobMessageWarning)
                try await workers.restart(stage.environmentID)
            } catch let error as WorkerError {
                throw ExecutionError("\(stage.displayName) failed: \(error)")
            }
        }
    }

    /// Bundle finalization callbacks run only after the bundle's output is committed.
    func finalize(_ result: BundleResult, of stage: FusedStage) async throws {
        guard result.response.requiresFinalization else { return }
        try await workers.worker(for: stage.environmentID).finalizeBundle(instructionID: result.instructionID)
    }
}

extension FusedStage {
    /// "Stage s3 [Map, Filter, ...]" for messages.
    var displayName: String {
        let names = transformNames.prefix(4).joined(separator: ", ")
        return "Stage \(id) [\(names)\(transformNames.count > 4 ? ", ..." : "")]"
    }
}
