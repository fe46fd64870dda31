import BeamCore
import BeamModel
import Engine
import Foundation
import Planner
import Worker

// Checkpoints of a streaming job (`--checkpoint-interval`). When one is due,
// the scheduler stops launching bundles and applying TestStream events, asks
// running splittable-DoFn bundles to checkpoint (a split at fraction 0), and
// once nothing runs and no split is outstanding it encodes its whole state
// (SchedulerCheckpoint) and hands it to the policy's writer. A job restarted
// after a crash begins from the last one instead of from its Impulse.

extension Scheduler {
    /// Drives the checkpoint cadence; called once per loop pass. True when it
    /// ended a pause: the pass starts over, so the bundles the pause held back
    /// launch before anything else happens (a TestStream's next event above all).
    func checkpointIfDue(into group: inout ThrowingTaskGroup<Completion, any Error>) throws -> Bool {
        guard let policy = checkpoints else { return false }
        let now = ProcessingClock.wallMillis
        if !checkpointPending, now >= nextCheckpointAt { pauseForCheckpoint() }
        guard checkpointPending else { return false }
        guard inFlightTotal == 0, splitting.isEmpty else {
            guard now - checkpointDueSince < pauseLimitMillis(policy) else {
                // A bundle that neither ends nor checkpoints must not stop the job: skip this one.
                checkpointPending = false
                nextCheckpointAt = now + Int64(policy.interval / .milliseconds(1))
                checkpointsSkipped += 1
                if checkpointsSkipped == 1 {
                    bundles.job.post("A checkpoint was skipped: \(inFlightTotal) bundle(s) still ran \(pauseLimitMillis(policy)) ms after it was due (a splittable DoFn that does not checkpoint on request, or a long bundle); the job goes on and tries again every \(policy.interval)",
                                     importance: .jobMessageWarning)
                }
                return true
            }
            askSplittableBundlesToCheckpoint(into: &group)
            return false
        }
        defer { checkpointPending = false }
        let started = ContinuousClock.now
        nextCheckpointAt = ProcessingClock.wallMillis + Int64(policy.interval / .milliseconds(1))
        let encoded = try JSONEncoder().encode(try takeCheckpoint())
        do {
            try policy.write([UInt8](encoded))
        } catch {
            // The job itself is unharmed: only what a crash would resume from is older.
            checkpointWriteFailures += 1
            if checkpointWriteFailures == 1 {
                bundles.job.post("A checkpoint could not be written (\(error)); the job goes on, but after a crash it would resume from an older checkpoint, or fail without one. Retrying every \(policy.interval)",
                                 importance: .jobMessageWarning)
            }
            return true
        }
        let took = ContinuousClock.now - started
        if checkpointsTaken == 0 || checkpointWriteFailures > 0 || checkpointsSkipped > 0 {
            bundles.job.post("Checkpoint \(checkpointsTaken + 1) written (\(encoded.count) bytes in \(took.formatted(.units(allowed: [.milliseconds])))); the job checkpoints every \(policy.interval) and resumes from the last one after a server crash")
        }
        checkpointsTaken += 1
        checkpointWriteFailures = 0
        checkpointsSkipped = 0
        logger.debug("checkpoint written", metadata: ["bytes": "\(encoded.count)", "took": "\(took)",
                                                      "pausedMillis": "\(ProcessingClock.wallMillis - checkpointDueSince)"])
        return true
    }

    /// Starts a checkpoint's pause (no bundle launches until it is written or skipped).
    func pauseForCheckpoint() {
        checkpointPending = true
        checkpointDueSince = ProcessingClock.wallMillis
    }

    /// How long bundles may pause for running ones to finish before a checkpoint is skipped.
    func pauseLimitMillis(_ policy: CheckpointPolicy) -> Int64 {
        max(5_000, Int64(policy.interval / .milliseconds(1)) / 2)
    }

    /// Millis until the next checkpoint is due, or until a pending one gives up waiting.
    var millisUntilCheckpoint: Int64? {
        guard let policy = checkpoints else { return nil }
        let at = checkpointPending ? checkpointDueSince + pauseLimitMillis(policy) : nextCheckpointAt
        return at - ProcessingClock.wallMillis
    }

    /// Asks each running bundle of a splittable DoFn, once, to checkpoint now:
    /// its remainder comes back as a residual (truncated if the job drains).
    func askSplittableBundlesToCheckpoint(into group: inout ThrowingTaskGroup<Completion, any Error>) {
        for (id, candidate) in running where candidate.splittable && !splitting.contains(id) && !checkpointAsked.contains(id) {
            guard let stage = nodes[candidate.bundle.node].stageRuntime?.stage, stage.residualTransformID != nil,
                  !candidate.bundle.truncating else { continue }
            checkpointAsked.insert(id)
            askToSplit(id, fraction: 0, into: &group)
        }
    }

    /// The plan's steps, as a checkpoint names them.
    var planSteps: [String] {
        plan.steps.map { step in
            switch step {
            case .impulse(let output): "impulse \(output)"
            case .testStream(let testStream): "teststream \(testStream.outputs.values.sorted())"
            case .groupByKey(let gbk): "gbk \(gbk.transformID)"
            case .flatten(let flatten): "flatten \(flatten.transformID)"
            case .stage(let stage): "stage \(stage.id)"
            }
        }
    }

    /// The state as it is now; only while no bundle runs.
    private func takeCheckpoint() throws -> SchedulerCheckpoint {
        var saved: [SchedulerCheckpoint.Node] = []
        for node in nodes {
            var entry = SchedulerCheckpoint.Node(inputWatermark: node.inputWatermark, outputWatermark: node.outputWatermark)
            switch node.kind {
            case .stage(let runtime):
                entry.stage = SchedulerCheckpoint.Stage(
                    pending: runtime.queues.flatMap { $0.queuedChunks.map { SchedulerCheckpoint.Chunk(bytes: $0.bytes, hold: $0.hold) } },
                    timers: runtime.timers.heldTimers.map { SchedulerCheckpoint.TimerFamily(transformID: $0.key.transformID, familyID: $0.key.timerFamilyID, timers: $0.value) },
                    residuals: runtime.residuals, stateExpiredThrough: runtime.stateExpiredThrough)
            case .groupByKey(let runtime):
                entry.grouping = try runtime.grouping.checkpoint()
            case .testStream(let runtime):
                entry.testStream = SchedulerCheckpoint.TestStream(position: runtime.position, watermarks: runtime.watermarks)
            case .impulse, .flatten:
                break
            }
            saved.append(entry)
        }
        return SchedulerCheckpoint(
            planSteps: planSteps, takenAtMillis: ProcessingClock.wallMillis, nodes: saved,
            sideInputs: sideInputs.mapValues { SchedulerCheckpoint.SideInput(chunks: $0.committedChunks, isReleased: $0.isReleased) },
            userState: userState.checkpoint(), clock: clock,
            metrics: try bundles.metrics.committedInfos.map { try $0.serializedData() })
    }

    /// Puts the state of `encoded` in place of a fresh start (the Impulse is not delivered again).
    func restore(from encoded: [UInt8]) throws {
        let checkpoint = try JSONDecoder().decode(SchedulerCheckpoint.self, from: Data(encoded))
        guard checkpoint.version == SchedulerCheckpoint.currentVersion else {
            throw ExecutionError("The job's checkpoint has format version \(checkpoint.version); this server reads \(SchedulerCheckpoint.currentVersion)")
        }
        guard checkpoint.planSteps == planSteps, checkpoint.nodes.count == nodes.count else {
            throw ExecutionError("The job's checkpoint belongs to another plan of its pipeline (a server of another version planned it); it cannot be resumed")
        }
        for (node, saved) in zip(nodes, checkpoint.nodes) {
            node.inputWatermark = saved.inputWatermark
            node.outputWatermark = saved.outputWatermark
            switch node.kind {
            case .stage(let runtime):
                guard let stage = saved.stage else { continue }
                for chunk in stage.pending { try runtime.deliver(chunk.bytes, hold: chunk.hold) }
                try runtime.timers.record(Dictionary(stage.timers.map {
                    (BundleTimerKey(transformID: $0.transformID, timerFamilyID: $0.familyID), $0.timers)
                }, uniquingKeysWith: +))
                runtime.restore(residuals: stage.residuals)
                runtime.stateExpiredThrough = stage.stateExpiredThrough
            case .groupByKey(let runtime):
                if let grouping = saved.grouping { try runtime.grouping.restore(grouping) }
                runtime.advancedWatermark = saved.inputWatermark
            case .testStream(let runtime):
                if let stream = saved.testStream { runtime.restore(position: stream.position, watermarks: stream.watermarks) }
            case .impulse, .flatten:
                break
            }
        }
        for (id, saved) in checkpoint.sideInputs {
            guard let side = sideInputs[id] else { continue }
            saved.chunks.forEach(side.append)
            if saved.isReleased { side.release() }
        }
        userState.restore(checkpoint.userState)
        clock = checkpoint.clock
        bundles.metrics.add(try checkpoint.metrics.map { try MonitoringInfo(serializedBytes: $0) })
        bundles.progress.publish()
        let age = Double(ProcessingClock.wallMillis - checkpoint.takenAtMillis) / 1000
        bundles.job.post("Resumed from the checkpoint taken \(String(format: "%.1f", age)) s ago: work not committed by then runs again")
    }
}
