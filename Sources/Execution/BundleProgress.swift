import BeamModel
import Foundation
import JobService
import Synchronization
import Worker

/// Live metrics of a job's running bundles: every `interval` each running
/// attempt is asked for its progress (ProcessBundleProgressRequest), its
/// monitoring data (short ids resolved once per worker) is kept as that
/// bundle's in-progress metrics, and the job's attempted metrics become the
/// committed ones plus those. A bundle's progress is dropped when it ends;
/// its final metrics are then committed, or, if it failed, its last progress
/// counts among the attempted metrics only (a failed attempt sends none).
///
/// Shared by the job's bundle tasks (which register attempts) and its poller task.
final class BundleProgress: Sendable {
    private struct State {
        var active: [String: SDKWorker] = [:]
        var progress: [String: [MonitoringInfo]] = [:]
        /// Per worker id: short monitoring id -> the info it stands for (no payload).
        var shortIDs: [String: [String: MonitoringInfo]] = [:]
    }

    private let state = Mutex(State())
    let metrics: MetricsAggregator
    let job: Job

    init(metrics: MetricsAggregator, job: Job) {
        self.metrics = metrics
        self.job = job
    }

    func started(_ instructionID: String, on worker: SDKWorker) {
        state.withLock { $0.active[instructionID] = worker }
    }

    func ended(_ instructionID: String) {
        state.withLock { state in
            state.active[instructionID] = nil
            state.progress[instructionID] = nil
        }
    }

    /// A failed attempt: what it last reported stays in the attempted metrics.
    func failed(_ instructionID: String) {
        let last = state.withLock { state in
            defer { state.progress[instructionID] = nil }
            return state.progress[instructionID]
        }
        if let last { metrics.addFailedAttempt(last) }
    }

    /// Publishes committed plus in-progress metrics on the job.
    func publish() {
        let running = state.withLock { Array($0.progress.values) }
        job.updateMetrics(metrics.results(inProgress: running))
    }

    /// Polls until cancelled.
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await pollOnce()
        }
    }

    func pollOnce() async {
        let active = state.withLock { $0.active }
        guard !active.isEmpty else { return }
        for (instructionID, worker) in active {
            guard let response = try? await worker.progress(instructionID: instructionID) else { continue }
            let infos = await resolve(response.monitoringInfos, response.monitoringData, from: worker)
            state.withLock { state in
                if state.active[instructionID] != nil { state.progress[instructionID] = infos }
            }
        }
        publish()
    }

    /// A response's metrics: its full MonitoringInfos when it sent them, else
    /// its short-id payloads resolved through MonitoringInfosMetadata (cached
    /// per worker). Python sends both; SDKs may send only the short form.
    func resolve(_ infos: [MonitoringInfo], _ data: [String: Data], from worker: SDKWorker) async -> [MonitoringInfo] {
        guard infos.isEmpty, !data.isEmpty else { return infos }
        var known = state.withLock { $0.shortIDs[worker.id] ?? [:] }
        let missing = data.keys.filter { known[$0] == nil }
        if !missing.isEmpty, let resolved = try? await worker.monitoringInfosMetadata(Array(missing)) {
            known.merge(resolved) { _, new in new }
            state.withLock { $0.shortIDs[worker.id] = known }
        }
        return data.compactMap { id, payload in
            guard var info = known[id] else { return nil }
            info.payload = payload
            return info
        }
    }
}
