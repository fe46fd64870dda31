import Foundation
import JobService
import Planner

// Autoscaling: an environment's worker count grows while its workers are all
// busy and work waits (queued input, or a running bundle that could be split
// onto another worker) for longer than `scaleUpAfter`, up to the job's
// maximum; it shrinks one worker at a time once it has not been saturated for
// `coolDown` and has a worker idle with nothing queued. Each decision is a job
// message with its reason.

/// How a job's worker counts follow its backlog.
struct AutoscalingPolicy: Sendable {
    /// Workers per environment the job may grow to.
    var maximum: Int
    var scaleUpAfter: Duration = .seconds(1)
    var coolDown: Duration = .seconds(5)
    /// How long a retired worker waits in the server's pool for another job.
    var keepWarm: Duration = .seconds(5)
}

/// The autoscaler's memory: since when each environment has been saturated,
/// when it last was (or its worker count last changed), and which are
/// starting a worker now.
struct AutoscalingState {
    let policy: AutoscalingPolicy
    var saturatedSince: [String: Int64] = [:]
    var lastSaturated: [String: Int64] = [:]
    var starting: Set<String> = []
    /// Environments whose worker failed to start: not grown again.
    var capped: Set<String> = []
}

extension Scheduler {
    func autoscale(into group: inout ThrowingTaskGroup<Completion, any Error>) async {
        guard var state = autoscaling else { return }
        defer { autoscaling = state }
        let now = ProcessingClock.wallMillis
        for environmentID in slots.keys.sorted() {
            let workers = slots[environmentID] ?? 1
            let busy = busySlots[environmentID] ?? 0
            let queued = queuedBytes(environmentID)
            let splittable = running.contains { id, bundle in bundle.splittable && environment(ofBundle: id) == environmentID }
            if busy >= workers && (queued > 0 || splittable) {
                state.lastSaturated[environmentID] = now
                let since = state.saturatedSince[environmentID] ?? now
                state.saturatedSince[environmentID] = since
                guard now - since >= state.policy.scaleUpAfter.millis, workers < state.policy.maximum,
                      !state.starting.contains(environmentID), !state.capped.contains(environmentID) else { continue }
                state.starting.insert(environmentID)
                state.saturatedSince[environmentID] = nil
                let backlog = queued > 0 ? "\(Self.describe(bytes: queued)) queued" : "a running bundle can be split"
                bundles.job.post("Scaling environment \(environmentID) to \(workers + 1) workers: \(busy) of \(workers) busy, \(backlog)")
                let workerSet = bundles.workers
                group.addTask {
                    do {
                        try await workerSet.addWorker(environmentID)
                        return .scaledUp(environmentID, .success(()))
                    } catch {
                        return .scaledUp(environmentID, .failure(error))
                    }
                }
                continue
            }
            state.saturatedSince[environmentID] = nil
            let calmSince = state.lastSaturated[environmentID] ?? now
            state.lastSaturated[environmentID] = calmSince
            guard busy < workers, queued == 0, workers > 1, !state.starting.contains(environmentID),
                  now - calmSince >= state.policy.coolDown.millis else { continue }
            if await bundles.workers.retireIdleWorker(environmentID, keepWarm: state.policy.keepWarm) {
                slots[environmentID] = workers - 1
                state.lastSaturated[environmentID] = now
                recordScaling(environmentID, up: false, workers: workers - 1,
                              reason: "not saturated for \(state.policy.coolDown), \(workers - busy) idle, nothing queued")
            }
        }
    }

    func scaled(_ environmentID: String, _ outcome: Result<Void, any Error>) {
        autoscaling?.starting.remove(environmentID)
        switch outcome {
        case .success:
            slots[environmentID, default: 1] += 1
            autoscaling?.lastSaturated[environmentID] = ProcessingClock.wallMillis
            recordScaling(environmentID, up: true, workers: slots[environmentID] ?? 1, reason: "backlog while every worker was busy")
        case .failure(let error):
            autoscaling?.capped.insert(environmentID)
            bundles.job.post("Could not start another SDK worker for environment \(environmentID) (\(error)); keeping \(slots[environmentID] ?? 1)",
                             importance: .jobMessageWarning)
        }
    }

    /// A change of an environment's worker count: a job message and a dashboard entry.
    private func recordScaling(_ environmentID: String, up: Bool, workers: Int, reason: String) {
        bundles.job.post("Scaled environment \(environmentID) \(up ? "up" : "down") to \(workers) worker\(workers == 1 ? "" : "s"): \(reason)")
        let decision = JobRuntimeStatus.ScalingDecision(time: ProcessingClock.wallMillis, environment: environmentID,
                                                        workers: workers, reason: (up ? "up: " : "down: ") + reason)
        bundles.job.updateRuntime { $0.record(decision) }
    }

    /// When the autoscaler next has a decision to make, in wall-clock millis.
    var nextAutoscalingCheck: Int64? {
        guard let state = autoscaling else { return nil }
        let ups = state.saturatedSince.values.map { $0 + state.policy.scaleUpAfter.millis }
        let downs = state.lastSaturated.filter { (slots[$0.key] ?? 1) > 1 }.values.map { $0 + state.policy.coolDown.millis }
        return (ups + downs).min()
    }

    private func queuedBytes(_ environmentID: String) -> Int {
        nodes.reduce(0) { total, node in
            guard let runtime = node.stageRuntime, runtime.stage.environmentID == environmentID else { return total }
            return total + runtime.pendingBytes + runtime.dueResidualCount(wallNow: ProcessingClock.wallMillis)
        }
    }

    static func describe(bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MB", Double(bytes) / 1e6) : "\(bytes) bytes"
    }
}

extension Duration {
    var millis: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
