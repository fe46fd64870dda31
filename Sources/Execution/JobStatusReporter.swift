import BeamCore
import Foundation
import JobService

/// While a job runs: puts its workers' states on the job every second (for
/// dashboards) and posts a progress message after `progressInterval`, then
/// at doubling intervals up to `maxProgressInterval` (a streaming job runs for
/// weeks): which stages still run, their bundles and backlog. Cancelled when
/// the run ends.
struct JobStatusReporter {
    let job: Job
    let workers: WorkerSet
    var interval: Duration = .seconds(1)
    var progressInterval: Duration = .seconds(10)
    var maxProgressInterval: Duration = .seconds(600)

    func run() async {
        let start = ContinuousClock.now
        var gap = progressInterval
        var nextProgress = start + gap
        // At once too, so a job shorter than `interval` still shows its workers.
        var first = true
        while !Task.isCancelled {
            if !first { try? await Task.sleep(for: interval) }
            first = false
            if Task.isCancelled { return }
            let status = await workers.status()
            job.updateRuntime { $0.workers = status }
            if ContinuousClock.now >= nextProgress {
                gap = min(gap * 2, maxProgressInterval)
                nextProgress = ContinuousClock.now + gap
                job.post(Self.progress(job.runtime, after: ContinuousClock.now - start))
            }
        }
    }

    static func progress(_ runtime: JobRuntimeStatus, after elapsed: Duration) -> String {
        let stages = runtime.stages.filter { $0.kind == "stage" }
        let open = stages.filter { ($0.outputWatermark ?? BeamTime.minTimestamp) < BeamTime.maxTimestamp }
        var text = "Progress after \(elapsed.components.seconds) s: \(stages.count - open.count) of \(stages.count) stages finished"
        let active = open.filter { $0.bundlesInFlight > 0 || $0.pendingBytes > 0 }
        if !active.isEmpty {
            text += "; running: " + active.prefix(5).map { stage in
                let names = stage.transforms.prefix(2).joined(separator: ", ")
                return "\(stage.id) [\(names)\(stage.transforms.count > 2 ? ", ..." : "")] \(stage.bundlesInFlight) bundle(s), \(Scheduler.describe(bytes: stage.pendingBytes)) queued"
            }.joined(separator: "; ")
        }
        let busy = runtime.workers.filter { $0.state == "busy" }.count
        return text + "; workers \(busy) busy of \(runtime.liveWorkers)"
    }
}
