import BeamCore
import Planner

// Drain (Job API `Drain`): sources stop, watermarks reach +inf, everything
// buffered fires, the job ends DRAINED. A splittable DoFn stops through the
// SDK's own TruncateSizedRestriction: from the drain on, its stage runs the
// truncating variant of its descriptor (unbounded restrictions are dropped by
// default, bounded ones finish), residuals resume at once instead of after
// their requested delay, and running bundles are asked to checkpoint so their
// remainders are truncated too. A TestStream's events not yet replayed are
// dropped. Processing-time timers fire once their stage's input has ended, as
// in batch.

extension Scheduler {
    /// Waits for the job's drain request; the loop then calls `beginDrain`.
    func watchForDrain(into group: inout ThrowingTaskGroup<Completion, any Error>) {
        let job = bundles.job
        group.addTask { .drain(await job.waitForDrainRequest()) }
    }

    func beginDrain() {
        guard !draining else { return }
        draining = true
        var truncated = 0
        for node in nodes {
            switch node.kind {
            case .testStream(let runtime):
                runtime.stopReplay()
            case .stage(let runtime):
                runtime.startDraining()
                if runtime.stage.truncating != nil { truncated += 1 }
            default:
                continue
            }
        }
        // A crash while draining resumes from here and drains again.
        if checkpoints != nil { pauseForCheckpoint() }
        let sources = truncated > 0 ? "; \(truncated) splittable DoFn stage(s) truncate their restrictions" : ""
        bundles.job.post("Draining: sources stop, watermarks advance to +inf and every window fires\(sources)")
        logger.info("job draining", metadata: ["truncating stages": "\(truncated)"])
    }

    /// The descriptor a bundle of `stage` runs with now.
    func stageToRun(_ stage: FusedStage) -> FusedStage {
        draining ? (stage.truncating ?? stage) : stage
    }

    /// Asks each bundle of a splittable DoFn that started before the drain to
    /// checkpoint now, so its remainder comes back as a residual and is truncated.
    func requestDrainCheckpoints(into group: inout ThrowingTaskGroup<Completion, any Error>) {
        if draining { askSplittableBundlesToCheckpoint(into: &group) }
    }
}
