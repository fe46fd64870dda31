import BeamCore
import Foundation
import Planner
import Worker

// Dynamic work rebalancing: a worker with nothing to run takes over part of
// a running bundle. The bundle is asked to split (ProcessBundleSplitRequest);
// what it gives up — input elements it has not started, and the residual
// restriction of a splittable element in progress — is queued again and
// runs as new bundles on the idle workers.

extension Scheduler {
    /// How long a bundle that kept all its work is left alone before it is asked again.
    static let splitRetryMillis: Int64 = 250

    /// Asks running bundles to split while their environment has idle
    /// workers that nothing else can use: one request per idle worker,
    /// oldest bundles first, at most one outstanding per bundle.
    func requestSplits(into group: inout ThrowingTaskGroup<Completion, any Error>) {
        // A TestStream's elements keep their order: its pipelines are not rebalanced.
        guard !clock.isTestOwned else { return }
        let now = ProcessingClock.wallMillis
        var idleByEnvironment: [String: Int] = [:]
        for environmentID in slots.keys {
            idleByEnvironment[environmentID] = idleSlotsForSplits(environmentID)
        }
        for id in running.keys.sorted() {
            guard let candidate = running[id], candidate.splittable, !splitting.contains(id),
                  (noSplitBefore[id] ?? 0) <= now, let environment = environment(ofBundle: id),
                  idleByEnvironment[environment, default: 0] > 0 else { continue }
            idleByEnvironment[environment, default: 0] -= 1
            let idle = max(1, idleSlots(environment))
            // Keep an even share: with k idle workers the running bundle keeps 1/(k+1) of what is left.
            askToSplit(id, fraction: Double(idle) / Double(idle + 1), into: &group)
        }
    }

    /// Sends running bundle `id` a split request; `apply` queues what it gives up.
    func askToSplit(_ id: Int, fraction: Double, into group: inout ThrowingTaskGroup<Completion, any Error>) {
        guard let handle = running[id]?.handle else { return }
        splitting.insert(id)
        let residualTransform = stage(ofBundle: id)?.residualTransformID
        group.addTask {
            do {
                return .split(id, .success(try await handle.split(fraction: fraction, residualTransformID: residualTransform)))
            } catch {
                return .split(id, .failure(error))
            }
        }
    }

    /// Queues what a split took off bundle `id`.
    func apply(_ outcome: Result<BundleHandle.Split?, any Error>, ofBundle id: Int) throws {
        splitting.remove(id)
        guard let bundle = running[id]?.bundle, case .stage(let runtime) = nodes[bundle.node].kind else { return }
        guard case .success(let split?) = outcome else {
            if case .failure(let error) = outcome {
                // The SDK gave work away that the runner cannot take back: never lose it silently.
                if error is ExecutionError { throw error }
                logger.debug("split request failed", metadata: ["bundle": "\(id)", "error": "\(error)"])
            }
            noSplitBefore[id] = ProcessingClock.wallMillis + Self.splitRetryMillis
            return
        }
        for element in split.requeued {
            try runtime.deliver(element, hold: bundle.hold)
        }
        let node = nodes[bundle.node]
        for residual in split.residuals {
            runtime.addResidual(residual, outputWatermark: node.outputWatermark, hold: bundle.hold)
        }
        splitCount += 1
        logger.debug("bundle split", metadata: ["bundle": "\(id)", "stage": "\(runtime.stage.id)",
                                                "requeued": "\(split.requeued.count)", "residuals": "\(split.residuals.count)"])
    }

    /// A closing job message on how the work was spread.
    func postSummary() {
        guard splitCount > 0 || nextBundleID > 0 else { return }
        bundles.job.post("Ran \(nextBundleID) bundles; \(splitCount) split to rebalance work onto idle workers")
    }

    /// Idle workers of an environment that no outstanding split request is already finding work for.
    func idleSlotsForSplits(_ environmentID: String) -> Int {
        idleSlots(environmentID) - splitting.count { environment(ofBundle: $0) == environmentID }
    }

    private func stage(ofBundle id: Int) -> FusedStage? {
        running[id].flatMap { nodes[$0.bundle.node].stageRuntime?.stage }
    }

    func environment(ofBundle id: Int) -> String? {
        stage(ofBundle: id)?.environmentID
    }
}
